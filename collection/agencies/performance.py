"""
The agencies and their placement batches side by side, so that a manager can
decide who gets the next batch.

Every figure is counted per placement batch with one grouped query per kind
of fact (placements, payments, contacts, promises, complaints, refusals), and
an agency's figures are the sums of its batches': the page costs the same
handful of queries whatever the number of agencies and batches.

- cases placed and balance placed: the placements (recalled ones too);
- collected: the commission lines' amounts (payments less reversals,
  collection/agencies/commission.py attributes them to the placement);
- liquidation rate: collected ÷ balance placed; by weeks since placement it is
  cumulative and counted on the placements placed at least that many weeks ago
  only (collected within N weeks of placement ÷ their balance), so a batch
  placed last week does not drag the 8-week figure down;
- right-party-contact rate: of the outbound contacts the agency's members
  logged on the case while it was placed, those that reached the borrower;
- promise-kept rate: of the promises the agency's members took during the
  placement that were decided (kept, partly kept or broken), those kept;
- complaints: complaint holds started during the placement;
- compliance refusals: the guard's refusals of the agency's members during it.
"""

import datetime
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

from django.db.models import Count, F, Q, Sum

from collection.models import (
    Agency,
    AnsweredBy,
    CommissionLine,
    ContactAttempt,
    ContactRefusal,
    Direction,
    Hold,
    HoldKind,
    Placement,
    PlacementBatch,
    PlacementStatus,
    PromiseStatus,
    PromiseToPay,
)

WEEKS = (1, 2, 4, 8, 12)
ZERO = Decimal("0.00")
RATE_PLACES = Decimal("0.0001")
# The batch table shows the latest batches (the agencies' figures count them all).
BATCHES_SHOWN = 200

# A promise has fallen due once the nightly run has decided it (one paid early is kept before its day).
DECIDED = (PromiseStatus.KEPT, PromiseStatus.PARTLY_KEPT, PromiseStatus.BROKEN)
COUNTS = ("contacts", "rpc", "promises_due", "promises_kept", "complaints", "refusals")


@dataclass
class Figures:
    """What one batch (or one agency, the sum of its batches) shows."""

    cases: int = 0
    active: int = 0
    balance: Decimal = ZERO
    collected: Decimal = ZERO
    # weeks -> (balance of the placements old enough, collected on them within that many weeks)
    matured: dict = field(default_factory=lambda: {weeks: [ZERO, ZERO] for weeks in WEEKS})
    contacts: int = 0
    rpc: int = 0
    promises_due: int = 0
    promises_kept: int = 0
    complaints: int = 0
    refusals: int = 0

    def add(self, other: "Figures") -> None:
        self.cases += other.cases
        self.active += other.active
        self.balance += other.balance
        self.collected += other.collected
        for weeks in WEEKS:
            self.matured[weeks][0] += other.matured[weeks][0]
            self.matured[weeks][1] += other.matured[weeks][1]
        for name in COUNTS:
            setattr(self, name, getattr(self, name) + getattr(other, name))

    @property
    def liquidation(self) -> Decimal | None:
        return _rate(self.collected, self.balance)

    @property
    def liquidation_by_week(self) -> list[tuple[int, Decimal | None]]:
        return [(weeks, _rate(collected, balance)) for weeks, (balance, collected) in self.matured.items()]

    @property
    def rpc_rate(self) -> Decimal | None:
        return _rate(self.rpc, self.contacts)

    @property
    def promise_kept_rate(self) -> Decimal | None:
        return _rate(self.promises_kept, self.promises_due)


def _rate(part, whole) -> Decimal | None:
    if not whole:
        return None
    return (Decimal(part) / Decimal(whole)).quantize(RATE_PLACES, rounding=ROUND_HALF_UP)


def _in_placement(prefix: str, moment: str) -> Q:
    """The row's `moment` falls inside the placement reached through `prefix` (placed ≤ moment < recalled)."""
    return Q(**{f"{prefix}placed_at__lte": F(moment)}) & (
        Q(**{f"{prefix}recalled_at__isnull": True}) | Q(**{f"{prefix}recalled_at__gt": F(moment)})
    )


def _by_member(prefix: str, actor: str) -> Q:
    """The row's `actor` works for the placement's agency."""
    return Q(**{f"{actor}__agency_membership__agency_id": F(f"{prefix}agency_id")})


def _placement_sums(today: datetime.date, batch_filter: Q) -> dict[int, dict]:
    cuts = {weeks: today - datetime.timedelta(weeks=weeks) for weeks in WEEKS}
    rows = (
        Placement.objects.filter(batch_filter)
        .values("batch_id")
        .annotate(
            cases=Count("id"),
            active=Count("id", filter=Q(status=PlacementStatus.ACTIVE)),
            balance=Sum("balance_at_placement"),
            **{
                f"matured_{weeks}": Sum("balance_at_placement", filter=Q(placed_on__lte=cut))
                for weeks, cut in cuts.items()
            },
        )
        .order_by()
    )
    return {row["batch_id"]: row for row in rows}


def _collected_sums(today: datetime.date, batch_filter: Q) -> dict[int, dict]:
    sums = {
        f"collected_{weeks}": Sum(
            "amount",
            filter=Q(placement__placed_on__lte=today - datetime.timedelta(weeks=weeks))
            & Q(occurred_at__lt=F("placement__placed_at") + datetime.timedelta(weeks=weeks)),
        )
        for weeks in WEEKS
    }
    rows = (
        CommissionLine.objects.filter(_prefixed(batch_filter, "placement__"))
        .values("placement__batch_id")
        .annotate(collected=Sum("amount"), **sums)
        .order_by()
    )
    return {row["placement__batch_id"]: row for row in rows}


def _prefixed(batch_filter: Q, prefix: str) -> Q:
    """The batch filter (on Placement's fields) as seen from a model reaching placements through `prefix`."""
    if not batch_filter:
        return Q()
    return Q(**{f"{prefix}{key}": value for key, value in batch_filter.children})


def _activity_counts(today: datetime.date, batch_filter: Q) -> dict[int, dict]:
    """Contacts, promises, complaints and refusals during each batch's placements, by batch."""
    found: dict[int, dict] = {}
    on_case = "case__placements__"
    contacts = (
        ContactAttempt.objects.filter(
            _in_placement(on_case, "occurred_at"),
            _by_member(on_case, "actor"),
            _prefixed(batch_filter, on_case),
            direction=Direction.OUTBOUND,
        )
        .values("case__placements__batch_id")
        .annotate(contacts=Count("id"), rpc=Count("id", filter=Q(answered_by=AnsweredBy.BORROWER)))
        .order_by()
    )
    promises = (
        PromiseToPay.objects.filter(
            _in_placement(on_case, "created_at"),
            _by_member(on_case, "created_by"),
            _prefixed(batch_filter, on_case),
            status__in=DECIDED,
        )
        .values("case__placements__batch_id")
        .annotate(promises_due=Count("id"), promises_kept=Count("id", filter=Q(status=PromiseStatus.KEPT)))
        .order_by()
    )
    complaints = (
        Hold.objects.filter(
            _in_placement(on_case, "started_at"), _prefixed(batch_filter, on_case), kind=HoldKind.COMPLAINT
        )
        .values("case__placements__batch_id")
        .annotate(complaints=Count("id"))
        .order_by()
    )
    refusals = (
        ContactRefusal.objects.filter(
            _in_placement(on_case, "refused_at"), _by_member(on_case, "actor"), _prefixed(batch_filter, on_case)
        )
        .values("case__placements__batch_id")
        .annotate(refusals=Count("id"))
        .order_by()
    )
    for query in (contacts, promises, complaints, refusals):
        for row in query:
            batch_id = row.pop("case__placements__batch_id")
            found.setdefault(batch_id, {}).update(row)
    return found


def batch_figures(*, today: datetime.date, agency_ids: list[int] | None = None) -> dict[int, Figures]:
    """Each batch's figures (of the given agencies, or all), six grouped queries."""
    batch_filter = Q(agency_id__in=agency_ids) if agency_ids is not None else Q()
    placements = _placement_sums(today, batch_filter)
    collected = _collected_sums(today, batch_filter)
    activity = _activity_counts(today, batch_filter)
    figures: dict[int, Figures] = {}
    for batch_id, row in placements.items():
        money = collected.get(batch_id, {})
        figure = Figures(
            cases=row["cases"],
            active=row["active"],
            balance=row["balance"] or ZERO,
            collected=money.get("collected") or ZERO,
        )
        for weeks in WEEKS:
            figure.matured[weeks] = [row[f"matured_{weeks}"] or ZERO, money.get(f"collected_{weeks}") or ZERO]
        for name, value in activity.get(batch_id, {}).items():
            setattr(figure, name, value)
        figures[batch_id] = figure
    return figures


def agency_liquidation_rates(agencies) -> dict[int, Decimal]:
    """Each agency's liquidation rate (collected ÷ balance placed, all its placements); 0 without placements."""
    ids = [agency.pk if isinstance(agency, Agency) else int(agency) for agency in agencies]
    balances = dict(
        Placement.objects.filter(agency_id__in=ids)
        .values("agency_id")
        .annotate(balance=Sum("balance_at_placement"))
        .values_list("agency_id", "balance")
        .order_by()
    )
    collected = dict(
        CommissionLine.objects.filter(agency_id__in=ids)
        .values("agency_id")
        .annotate(collected=Sum("amount"))
        .values_list("agency_id", "collected")
        .order_by()
    )
    return {agency_id: _rate(collected.get(agency_id) or 0, balances.get(agency_id)) or Decimal(0) for agency_id in ids}


def agencies_compare(*, today: datetime.date, figures: dict[int, Figures] | None = None) -> list[dict]:
    """
    Each agency's figures, one row per agency and currency (a row without
    placements for an agency that has none), best liquidation rate first.
    """
    if figures is None:
        figures = batch_figures(today=today)
    batches = PlacementBatch.objects.filter(pk__in=list(figures)).values_list("pk", "agency_id", "currency")
    totals: dict[tuple[int, str], Figures] = {}
    for batch_id, agency_id, currency in batches:
        totals.setdefault((agency_id, currency), Figures()).add(figures[batch_id])
    rows = []
    for agency in Agency.objects.order_by("name", "id"):
        keys = sorted(key for key in totals if key[0] == agency.pk) or [(agency.pk, "")]
        for key in keys:
            rows.append({"agency": agency, "currency": key[1], "figures": totals.get(key, Figures())})
    rows.sort(key=lambda row: (row["figures"].liquidation is None, -(row["figures"].liquidation or 0)))
    return rows


def batches_compare(
    *, today: datetime.date, agency: Agency | None = None, figures: dict[int, Figures] | None = None
) -> list[dict]:
    """The latest batches (of one agency, or all) with their figures, newest first."""
    if figures is None:
        figures = batch_figures(today=today, agency_ids=[agency.pk] if agency else None)
    batches = PlacementBatch.objects.select_related("agency").order_by("-placed_on", "-id")
    if agency is not None:
        batches = batches.filter(agency=agency)
    return [{"batch": batch, "figures": figures.get(batch.pk, Figures())} for batch in batches[:BATCHES_SHOWN]]


def register() -> None:
    from django.utils.translation import gettext_lazy as _

    from accounts.navigation import NavItem, nav_register
    from accounts.permissions import Capability

    nav_register(
        NavItem(
            "agency_performance",
            _("Agency performance"),
            "collection:agency_performance",
            Capability.MANAGE_AGENCIES,
            order=79,
            group="agencies",
            description=_(
                "The agencies and their batches side by side: liquidation by weeks since placement, "
                "right-party contacts, promises kept, complaints and compliance refusals."
            ),
        )
    )
