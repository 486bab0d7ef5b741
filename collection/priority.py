"""
A case's priority, until a scoring model exists: a transparent formula, the
sum of four parts (and a strategy's boost when one is set), each shown on the case page with its points.

    overdue amount          bands of the case's overdue total (in its currency):
                            ≥ 50,000: 300 · ≥ 20,000: 240 · ≥ 10,000: 180 ·
                            ≥ 5,000: 120 · ≥ 1,000: 60 · more than 0: 20
    days past due           one point a day, at most 180
    broken promises         50 a broken promise, at most 3 counted (150)
    days since last contact never contacted or ≥ 15 days: 80 · 8–14: 60 ·
                            4–7: 40 · 2–3: 20 · today or yesterday: 0
    strategy boost          the points a strategy step "queue for a call" adds
                            (Case.strategy_priority_boost, collection/strategies),
                            until the case leaves its segment; shown only when set

Days are the lender's calendar days (settings.TIME_ZONE). The same formula is
written twice: in Python for one case (`priority_parts`, `priority_score`,
`priority_refresh`), and as one SQL expression (`priority_sql`) that the
nightly lifecycle writes with each case's figures and `priorities_refresh`
applies to every open case; a test holds them equal.
"""

import datetime
from dataclasses import dataclass
from decimal import Decimal

from django.db import connection
from django.utils.formats import number_format
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from collection.models import Case, CaseStatus
from lending.services import LENDER_TZ, lender_today

# (overdue total at least, points), highest first.
OVERDUE_BANDS: tuple[tuple[Decimal, int], ...] = (
    (Decimal("50000.00"), 300),
    (Decimal("20000.00"), 240),
    (Decimal("10000.00"), 180),
    (Decimal("5000.00"), 120),
    (Decimal("1000.00"), 60),
    (Decimal("0.01"), 20),
)
DAYS_PAST_DUE_CAP = 180  # one point a day up to this
POINTS_PER_BROKEN_PROMISE = 50
BROKEN_PROMISES_COUNTED = 3
# (days since the last contact at least, points), highest first; never contacted: NO_CONTACT_POINTS.
CONTACT_BANDS: tuple[tuple[int, int], ...] = ((15, 80), (8, 60), (4, 40), (2, 20))
NO_CONTACT_POINTS = 80


@dataclass(frozen=True)
class PriorityPart:
    code: str  # "overdue_amount", "days_past_due", "broken_promises", "days_since_contact"
    label: str
    value: str  # the case's figure, as shown
    points: int


def _day_start(day: datetime.date) -> datetime.datetime:
    return datetime.datetime.combine(day, datetime.time.min, tzinfo=LENDER_TZ)


def overdue_points(overdue_total: Decimal) -> int:
    for threshold, points in OVERDUE_BANDS:
        if overdue_total >= threshold:
            return points
    return 0


def days_past_due_points(days_past_due: int) -> int:
    return max(0, min(days_past_due, DAYS_PAST_DUE_CAP))


def broken_promises_points(broken_promises: int) -> int:
    return POINTS_PER_BROKEN_PROMISE * min(broken_promises, BROKEN_PROMISES_COUNTED)


def days_since_contact(last_contact_at: datetime.datetime | None, today: datetime.date) -> int | None:
    if last_contact_at is None:
        return None
    return (today - last_contact_at.astimezone(LENDER_TZ).date()).days


def contact_points(days: int | None) -> int:
    if days is None:
        return NO_CONTACT_POINTS
    for at_least, points in CONTACT_BANDS:
        if days >= at_least:
            return points
    return 0


def priority_parts(case: Case, *, today: datetime.date | None = None) -> list[PriorityPart]:
    """The formula's four parts for one case, in the order the case page shows them."""
    today = today or lender_today()
    days = days_since_contact(case.last_contact_at, today)
    amount = number_format(case.overdue_total, decimal_pos=2, use_l10n=True, force_grouping=True)
    if days is None:
        contact_value = str(_("never"))
    else:
        contact_value = ngettext("%(days)d day", "%(days)d days", max(days, 0)) % {"days": max(days, 0)}
    return [
        PriorityPart(
            code="overdue_amount",
            label=str(_("Overdue amount")),
            value=f"{amount} {case.currency}",
            points=overdue_points(case.overdue_total),
        ),
        PriorityPart(
            code="days_past_due",
            label=str(_("Days past due")),
            value=str(case.days_past_due),
            points=days_past_due_points(case.days_past_due),
        ),
        PriorityPart(
            code="broken_promises",
            label=str(_("Broken promises")),
            value=str(case.broken_promises),
            points=broken_promises_points(case.broken_promises),
        ),
        PriorityPart(
            code="days_since_contact",
            label=str(_("Days since last contact")),
            value=contact_value,
            points=contact_points(days),
        ),
        *strategy_boost_parts(case),
    ]


def strategy_boost_parts(case: Case) -> list[PriorityPart]:
    """The strategy's boost as a fifth part, when a step asked for one."""
    boost = case.strategy_priority_boost or 0
    if not boost:
        return []
    return [PriorityPart(code="strategy_boost", label=str(_("Strategy boost")), value=f"+{boost}", points=boost)]


def priority_score(case: Case, *, today: datetime.date | None = None) -> int:
    return sum(part.points for part in priority_parts(case, today=today))


def _datetime_literal(moment: datetime.datetime, vendor: str) -> str:
    if vendor == "postgresql":
        return f"CAST('{moment.astimezone(datetime.UTC).isoformat()}' AS timestamptz)"
    return f"'{connection.ops.adapt_datetimefield_value(moment)}'"  # SQLite: Django's UTC text


def priority_sql(
    *,
    today: datetime.date,
    overdue_total: str = "overdue_total",
    days_past_due: str = "days_past_due",
    broken_promises: str = "broken_promises",
    last_contact_at: str = "last_contact_at",
    strategy_priority_boost: str = "strategy_priority_boost",
) -> str:
    """
    The same formula as one SQL expression over the given columns, for
    `today`, on PostgreSQL or SQLite. Only constants of this module are
    written into it. The contact bands become comparisons of the last contact
    with the start of each band's day (computed here), so the SQL needs no
    time-zone arithmetic, which SQLite lacks.
    """
    vendor = connection.vendor
    least = "LEAST" if vendor == "postgresql" else "MIN"
    overdue = " ".join(f"WHEN {overdue_total} >= {threshold} THEN {points}" for threshold, points in OVERDUE_BANDS)
    # At least N days since the last contact ⇔ it happened before the start of day (today − N + 1).
    starts = {
        at_least: _datetime_literal(_day_start(today - datetime.timedelta(days=at_least - 1)), vendor)
        for at_least, _points in CONTACT_BANDS
    }
    contact = " ".join(
        f"WHEN {last_contact_at} < {starts[at_least]} THEN {points}" for at_least, points in CONTACT_BANDS
    )
    return (
        f"((CASE {overdue} ELSE 0 END)"
        f" + {least}({days_past_due}, {DAYS_PAST_DUE_CAP})"
        f" + {POINTS_PER_BROKEN_PROMISE} * {least}({broken_promises}, {BROKEN_PROMISES_COUNTED})"
        f" + (CASE WHEN {last_contact_at} IS NULL THEN {NO_CONTACT_POINTS} {contact} ELSE 0 END)"
        f" + {strategy_priority_boost})"
    )


def priorities_refresh(*, today: datetime.date) -> int:
    """Set-based: write the priority of every open case whose priority changes; return how many."""
    table = Case._meta.db_table
    formula = priority_sql(today=today)
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {table} SET priority = {formula} "  # noqa: S608 (our table and constants only)
            f"WHERE status <> '{CaseStatus.CLOSED}' AND priority <> {formula}"
        )
        return max(cursor.rowcount, 0)


def priority_refresh(*, case: Case, today: datetime.date | None = None) -> int:
    """
    Recompute one case's priority (after a contact, a broken promise...) and
    write it if it changed. Returns the priority. Derived data: no audit event.
    """
    score = priority_score(case, today=today)
    if score != case.priority:
        Case.objects.filter(pk=case.pk).update(priority=score)
        case.priority = score
    return score
