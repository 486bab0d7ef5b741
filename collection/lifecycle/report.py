"""
What a lifecycle run did: `LifecycleReport` (the command prints its lines,
the beat task returns its dict), the per-step timing and the run's log lines.
"""

import datetime
import logging
import time
from dataclasses import dataclass, field

# The lifecycle's logger keeps the package's name, whichever module logs.
logger = logging.getLogger("collection.lifecycle")


@dataclass
class LifecycleReport:
    as_of: datetime.date
    cases_opened: int = 0
    accounts_joined: int = 0
    accounts_left: int = 0
    cases_refreshed: int = 0
    cases_closed: dict[str, int] = field(default_factory=dict)  # outcome -> cases
    stage_changes: int = 0
    promises: dict[str, int] = field(default_factory=dict)  # kept / partly_kept / broken -> promises
    installments: dict[str, int] = field(default_factory=dict)  # paid / partly_paid / missed / due -> changed
    arrangements_completed: int = 0
    arrangements_broken: int = 0
    statuses_changed: int = 0
    promise_dates_changed: int = 0
    cases_assigned: int = 0
    seconds: dict[str, float] = field(default_factory=dict)

    @property
    def changes(self) -> int:
        """Every row the run changed (0 when the day was already run)."""
        return (
            self.cases_opened
            + self.accounts_joined
            + self.accounts_left
            + self.cases_refreshed
            + sum(self.cases_closed.values())
            + self.stage_changes
            + sum(self.promises.values())
            + sum(self.installments.values())
            + self.arrangements_completed
            + self.arrangements_broken
            + self.statuses_changed
            + self.promise_dates_changed
            + self.cases_assigned
        )

    def as_dict(self) -> dict:
        return {
            "as_of": self.as_of.isoformat(),
            "cases_opened": self.cases_opened,
            "accounts_joined": self.accounts_joined,
            "accounts_left": self.accounts_left,
            "cases_refreshed": self.cases_refreshed,
            "cases_closed": dict(self.cases_closed),
            "stage_changes": self.stage_changes,
            "promises": dict(self.promises),
            "installments": dict(self.installments),
            "arrangements_completed": self.arrangements_completed,
            "arrangements_broken": self.arrangements_broken,
            "statuses_changed": self.statuses_changed,
            "promise_dates_changed": self.promise_dates_changed,
            "cases_assigned": self.cases_assigned,
            "seconds": dict(self.seconds),
        }

    def lines(self) -> list[str]:
        def by(counts: dict[str, int], names) -> str:
            return " / ".join(str(counts.get(name, 0)) for name in names)

        return [
            f"Collection lifecycle for {self.as_of.isoformat()}:",
            f"  cases opened:           {self.cases_opened}",
            f"  accounts joined / left: {self.accounts_joined} / {self.accounts_left}",
            f"  cases refreshed:        {self.cases_refreshed} (figures or priority)",
            f"  cases closed:           {sum(self.cases_closed.values())} (cured / paid in full / settled: "
            f"{by(self.cases_closed, ('cured', 'paid_in_full', 'settled'))})",
            f"  stage changes:          {self.stage_changes}",
            f"  promises kept / partly kept / broken: {by(self.promises, ('kept', 'partly_kept', 'broken'))}",
            f"  installments paid / partly paid / missed: {by(self.installments, ('paid', 'partly_paid', 'missed'))}",
            f"  arrangements completed / broken: {self.arrangements_completed} / {self.arrangements_broken}",
            f"  statuses changed:       {self.statuses_changed}",
            f"  cases assigned:         {self.cases_assigned}",
            "  seconds: " + ", ".join(f"{step} {value:.2f}" for step, value in self.seconds.items()),
        ]


class StepClock:
    """The seconds each step took, into the report (`lap` at the end of each step)."""

    def __init__(self, report: LifecycleReport):
        self.report = report
        self.last = time.perf_counter()

    def lap(self, step: str) -> None:
        now = time.perf_counter()
        self.report.seconds[step] = round(now - self.last, 3)
        self.last = now


def report_log(report: LifecycleReport) -> None:
    """Two INFO lines with what the run changed."""
    day = report.as_of.isoformat()
    logger.info(
        "collection lifecycle %s: %d cases opened, %d accounts joined, %d left, %d cases refreshed, "
        "%d closed %s, %d stage changes",
        day,
        report.cases_opened,
        report.accounts_joined,
        report.accounts_left,
        report.cases_refreshed,
        sum(report.cases_closed.values()),
        report.cases_closed,
        report.stage_changes,
    )
    logger.info(
        "collection lifecycle %s: promises %s, installments %s, arrangements %d completed %d broken, "
        "%d statuses changed, %d cases assigned",
        day,
        report.promises,
        report.installments,
        report.arrangements_completed,
        report.arrangements_broken,
        report.statuses_changed,
        report.cases_assigned,
    )
