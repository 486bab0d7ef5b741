"""
The run itself: `lifecycle_run` checks that lending's figures are for the
day, then runs the steps in order (promises, arrangements, open, join, leave,
figures, close, stages, statuses, distribute) in one transaction;
`collection_nightly_run` is lending's nightly run followed by it.
"""

import datetime

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from collection.errors import CollectionError
from collection.lifecycle.arrangements import arrangements_track
from collection.lifecycle.figures import cases_refresh
from collection.lifecycle.membership import accounts_join, accounts_leave, cases_close, cases_open
from collection.lifecycle.promises import promises_decide
from collection.lifecycle.report import LifecycleReport, StepClock, report_log
from collection.lifecycle.stages import stages_write
from collection.lifecycle.statements import NightStatements, T
from collection.lifecycle.statuses import promise_dates_refresh, statuses_refresh
from collection.models import Case, Portfolio
from collection.services.assignment import cases_distribute
from lending.models import DelinquencyRun
from lending.sql import advisory_xact_lock_try, is_postgresql, settings_set_local

LENDING_NOT_RUN = _(
    "The accounts' figures are for {figures_day}, not {day}: run lending's nightly run for {day} first "
    "(manage.py run_collection_nightly runs both)."
)
LENDING_NEVER_RUN = _("Lending's nightly run has never run: run it first (manage.py run_collection_nightly runs both).")
NO_DEFAULT_PORTFOLIO = _("There is no default portfolio: mark one portfolio as the default in the admin.")
ALREADY_RUNNING = _("Another collection nightly run is in progress; try again when it has finished.")

WORK_MEM = "256MB"  # PostgreSQL, this transaction only
ADVISORY_LOCK_KEY = int.from_bytes(b"collect", "big")  # pg_try_advisory_xact_lock key: "collect" in ASCII


def _lending_check(as_of: datetime.date) -> None:
    figures_day = DelinquencyRun.objects.order_by("-finished_at", "-id").values_list("as_of", flat=True).first()
    if figures_day is None:
        raise CollectionError(LENDING_NEVER_RUN)
    if figures_day != as_of:
        raise CollectionError(LENDING_NOT_RUN.format(figures_day=figures_day.isoformat(), day=as_of.isoformat()))


def lifecycle_run(*, as_of: datetime.date) -> LifecycleReport:
    """Bring the cases to the day (see the package's docstring), in one transaction; safe to run again."""
    report = LifecycleReport(as_of=as_of)
    default_portfolio = Portfolio.objects.filter(is_default=True).values_list("pk", flat=True).first()
    if default_portfolio is None:
        raise CollectionError(NO_DEFAULT_PORTFOLIO)
    with transaction.atomic():
        if is_postgresql():
            if not advisory_xact_lock_try(ADVISORY_LOCK_KEY):
                raise CollectionError(ALREADY_RUNNING)
            # The statements are many and short; JIT-compiling each (~0.4 s apiece) costs more than it saves.
            settings_set_local(work_mem=f"'{WORK_MEM}'", jit="off")
        _lending_check(as_of)
        run = NightStatements(as_of=as_of, now=timezone.now(), default_portfolio=default_portfolio)
        clock = StepClock(report)
        report.promises = promises_decide(run)
        clock.lap("promises")
        report.installments, report.arrangements_completed, report.arrangements_broken = arrangements_track(run)
        clock.lap("arrangements")
        report.cases_opened = cases_open(run)
        run.analyze(T["case"], rows_added=report.cases_opened)
        clock.lap("open")
        report.accounts_joined = accounts_join(run)
        run.analyze(T["member"], rows_added=report.accounts_joined)
        clock.lap("join")
        report.accounts_left = accounts_leave(run)
        clock.lap("leave")
        report.cases_refreshed, bucket_moved = cases_refresh(run)
        clock.lap("figures")
        report.cases_closed = cases_close(run)
        clock.lap("close")
        report.stage_changes, escalated = stages_write(run)
        clock.lap("stages")
        report.statuses_changed = statuses_refresh(run)
        report.promise_dates_changed = promise_dates_refresh(run)
        clock.lap("statuses")
        new_cases = list(
            Case.objects.filter(created_at=run.now, opened_on=as_of).order_by("id").values_list("pk", flat=True)
        )
        moved = set(bucket_moved) | set(escalated)
        report.cases_assigned = cases_distribute(case_ids=[*new_cases, *moved])
        clock.lap("assignment")
    report_log(report)
    return report


def collection_nightly_run(*, as_of: datetime.date):
    """Lending's nightly run, then the lifecycle, for the day: what beat and the command run. Safe to run twice."""
    from lending.delinquency import run_nightly

    lending_report = run_nightly(as_of=as_of)
    return lending_report, lifecycle_run(as_of=as_of)
