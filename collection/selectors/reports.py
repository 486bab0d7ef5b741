"""
Two compliance reports, each scoped by the case scope (cases.py), so that a
team lead sees their teams' cases and a manager every case:

- the guard's refusals (`ContactRefusal`): counts by rule, collector and
  day, the rows behind them, and the same rows for a CSV export;
- the inbound contacts collectors logged (a contact "the borrower started"
  asks no rule of the guard, so a team lead watches who logs many): counts
  by collector and day and the list behind one count.

Days are the lender's calendar days (LENDER_TZ), as on every other report.
"""

import datetime
from dataclasses import dataclass

from django.db.models import Count, QuerySet
from django.db.models.functions import TruncDate

from accounts.permissions import Capability, user_can
from collection.models import ContactAttempt, ContactRefusal, Direction
from collection.selectors.cases import cases_visible_to
from lending.services import LENDER_TZ

# The longest period a report covers at once (a quarter), so that a page stays a page.
REPORT_MOST_DAYS = 92
# The rows shown under the counts (the CSV export has them all).
LIST_MOST_ROWS = 200


@dataclass(frozen=True)
class Period:
    first: datetime.date
    last: datetime.date

    def bounds(self) -> tuple[datetime.datetime, datetime.datetime]:
        start = datetime.datetime.combine(self.first, datetime.time.min, tzinfo=LENDER_TZ)
        end = datetime.datetime.combine(self.last + datetime.timedelta(days=1), datetime.time.min, tzinfo=LENDER_TZ)
        return start, end


def _in_scope(user, queryset: QuerySet) -> QuerySet:
    """Rows about the cases the user may see (a manager: all; a team lead: their teams')."""
    if user_can(user, Capability.VIEW_ALL_CASES):
        return queryset if user_can(user, Capability.VIEW_CASES) else queryset.none()
    return queryset.filter(case__in=cases_visible_to(user).values("pk"))


# --- Refusals ---------------------------------------------------------------------------------


def refusals_visible_to(user, *, period: Period, rule: str = "", actor_id: int | None = None) -> QuerySet:
    start, end = period.bounds()
    rows = _in_scope(user, ContactRefusal.objects.filter(refused_at__gte=start, refused_at__lt=end))
    if rule:
        rows = rows.filter(rule=rule)
    if actor_id is not None:
        rows = rows.filter(actor_id=actor_id)
    return rows


ACTOR_FIELDS = ("actor_id", "actor__first_name", "actor__last_name", "actor__username")


def _counts_by_day(rows: QuerySet, moment: str, *keys: str) -> list[dict]:
    """One dict per (keys..., collector, lender's day of `moment`) with its count, the newest day first."""
    return list(
        rows.annotate(day=TruncDate(moment, tzinfo=LENDER_TZ))
        .values(*keys, *ACTOR_FIELDS, "day")
        .annotate(count=Count("pk"))
        .order_by("-day", *keys, "actor__username")
    )


def refusal_counts(refusals: QuerySet) -> list[dict]:
    """One row per (rule, collector, day): {rule, actor_id, actor name, day, count}, the newest day first."""
    return _counts_by_day(refusals, "refused_at", "rule")


def refusal_rows(refusals: QuerySet) -> QuerySet:
    """The refusals themselves, newest first, with what a row shows."""
    return refusals.select_related("actor", "case", "contact_point").order_by("-refused_at", "-pk")


def refusal_actors(user, *, period: Period) -> list[tuple[int, str]]:
    """The staff who were refused in the period (for the filter)."""
    rows = (
        refusals_visible_to(user, period=period)
        .exclude(actor=None)
        .values_list(*ACTOR_FIELDS)
        .distinct()
        .order_by("actor__username")
    )
    return [(pk, _name(first, last, username)) for pk, first, last, username in rows]


# --- Inbound contacts ---------------------------------------------------------------------------


def inbound_visible_to(user, *, period: Period, actor_id: int | None = None, day=None) -> QuerySet:
    if day is not None:
        period = Period(day, day)
    start, end = period.bounds()
    rows = _in_scope(
        user,
        ContactAttempt.objects.filter(direction=Direction.INBOUND, occurred_at__gte=start, occurred_at__lt=end),
    )
    if actor_id is not None:
        rows = rows.filter(actor_id=actor_id)
    return rows


def inbound_counts(inbound: QuerySet) -> list[dict]:
    """One row per (collector, day): {actor_id, actor name, day, count}, the newest day first."""
    return _counts_by_day(inbound, "occurred_at")


def inbound_rows(inbound: QuerySet) -> QuerySet:
    return inbound.select_related("actor", "case", "contact_point").order_by("-occurred_at", "-pk")


def actor_name(row: dict) -> str:
    """The name of a count row's collector."""
    return _name(row.get("actor__first_name"), row.get("actor__last_name"), row.get("actor__username"))


def _name(first, last, username) -> str:
    full = f"{first or ''} {last or ''}".strip()
    return full or (username or "")
