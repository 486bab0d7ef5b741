"""
What the guard reads about a case and its borrower at one moment:
`CaseFacts`. The checks (checks.py) only ever ask it; every database read
of the guard is here, and each happens once, when a rule first needs it.

Time is the borrower's local time (Borrower.time_zone). "Today" and "the
last 7 days" are calendar days in the borrower's zone: today and the six
days before it. Counts are per borrower, over all their cases, collectors
and agencies.

Queries: a check reads the borrower's active holds (one query) and, when a
rule needs them, the borrower's contact attempts in the window (one query on
the (borrower, -occurred_at) index) and the history of the third-party
points concerned (one query). `contact_points_verdicts` shares one
`CaseFacts` between all points, so it runs the same few queries for any
number of them. A new per-point history (say, refusals on one phone number)
belongs here too, read for all points at once as `third_party_history` is.
"""

import datetime
from dataclasses import dataclass
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.db.models import Min, Q
from django.utils import timezone

from collection.compliance.profiles import profile_for
from collection.compliance.rules import BORROWER_HOLDS, WINDOW_DAYS
from collection.models import AnsweredBy, CaseAccount, ContactAttempt, Hold, Outcome


@dataclass(frozen=True)
class Attempt:
    """One of the borrower's contact attempts, as the rules see it (its date in the borrower's zone)."""

    local_date: datetime.date
    channel: str
    direction: str
    answered_by: str
    outcome: str
    point_owner: str | None


class CaseFacts:
    """What the guard knows about one case at one moment; each read happens once, when a rule first needs it."""

    def __init__(self, case, at):
        self.case = case
        self.borrower = case.borrower
        self.profile = profile_for(case.portfolio)
        self.at = at
        self.zone = _zone(self.borrower.time_zone)
        self.local = timezone.localtime(at, self.zone) if self.zone else None
        self.today = self.local.date() if self.local else timezone.localdate(at)
        self._holds = None
        self._attempts = None
        self._third_party = {}

    # Holds: this case's, and the borrower-wide ones on any of the borrower's cases.
    def holds(self) -> set[str]:
        if self._holds is None:
            self._holds = set(
                Hold.objects.filter(
                    Q(case_id=self.case.pk) | Q(case__borrower_id=self.borrower.pk, kind__in=BORROWER_HOLDS),
                    released_at__isnull=True,
                ).values_list("kind", flat=True)
            )
        return self._holds

    # The borrower's attempts over the longest window any rule looks back over.
    def window_days(self) -> int:
        return max(WINDOW_DAYS, self.profile.unreachable_days)

    def attempts(self) -> list[Attempt]:
        if self._attempts is None:
            first_day = self.today - datetime.timedelta(days=self.window_days() - 1)
            start = _local_midnight(first_day, self.zone)
            end = _local_midnight(self.today + datetime.timedelta(days=1), self.zone)
            rows = ContactAttempt.objects.filter(
                borrower_id=self.borrower.pk, occurred_at__gte=start, occurred_at__lt=end
            ).values_list("occurred_at", "channel", "direction", "answered_by", "outcome", "contact_point__owner")
            self._attempts = [
                Attempt(timezone.localtime(occurred_at, self.zone).date(), *rest) for occurred_at, *rest in rows
            ]
        return self._attempts

    def attempts_since(self, days: int) -> list[Attempt]:
        """Attempts on today and the `days - 1` local days before it."""
        first_day = self.today - datetime.timedelta(days=days - 1)
        return [attempt for attempt in self.attempts() if attempt.local_date >= first_day]

    # Third-party points: ever refused, ever reached.
    def third_party_history(self, point_ids) -> None:
        wanted = [point_id for point_id in point_ids if point_id not in self._third_party]
        if not wanted:
            return
        for point_id in wanted:
            self._third_party[point_id] = (False, 0)
        rows = ContactAttempt.objects.filter(borrower_id=self.borrower.pk, contact_point_id__in=wanted).filter(
            Q(outcome=Outcome.THIRD_PARTY_REFUSED) | Q(answered_by=AnsweredBy.THIRD_PARTY)
        )
        for point_id, outcome, answered_by in rows.values_list("contact_point_id", "outcome", "answered_by"):
            refused, reached = self._third_party[point_id]
            self._third_party[point_id] = (
                refused or outcome == Outcome.THIRD_PARTY_REFUSED,
                reached + (answered_by == AnsweredBy.THIRD_PARTY),
            )

    def third_party(self, point_id) -> tuple[bool, int]:
        """(ever refused, times reached) for one third-party point."""
        self.third_party_history([point_id])
        return self._third_party[point_id]

    def oldest_unpaid_due_on(self) -> datetime.date:
        oldest = CaseAccount.objects.filter(case_id=self.case.pk, left_on__isnull=True).aggregate(
            oldest=Min("account__oldest_unpaid_due_on")
        )["oldest"]
        return oldest or self.case.opened_on


def _zone(name: str):
    # An unknown or empty zone is None: the rules that need local time then refuse (Rule.TIME_ZONE).
    try:
        return ZoneInfo(name) if name else None
    except (ZoneInfoNotFoundError, ValueError):
        return None


def _local_midnight(day: datetime.date, zone) -> datetime.datetime:
    midnight = datetime.datetime.combine(day, datetime.time.min)
    return midnight.replace(tzinfo=zone) if zone else timezone.make_aware(midnight)
