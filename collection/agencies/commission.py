"""
Payments attributed to placements, and the agency's commission on each.

A payment on an account of a case, from any channel, received while the case
was placed (`placed_at <= received_at < recalled_at`, or the placement still
active) and while the account was in the case, is the placement's: it gets
one PAYMENT line with the rate of the contract's tier in force
(`tier_for`), commission = amount × rate rounded half-up to the cent. A
payment received after the recall is not the agency's. A reversed payment
with a PAYMENT line gets one CLAWBACK line that negates it exactly: amount
−amount, commission −the original commission (not recomputed), dated at the
reversal, so it falls on the statement of the month it was reversed in.

`commission_lines_attribute` is a sweep: set-based (one join finds the
payments that have no line yet, the lines are bulk-created), idempotent by the
unique constraint (payment, kind), run every few minutes by a Celery task and
once a night by the chain (after lending and the lifecycle), and first thing
when a statement is generated.

Tier codes are stored as codes ("bucket:M2", "bucket:other", "days:31-60",
"days:91+", "none") and read for the reader by `tier_text`.
"""

import datetime
from collections.abc import Iterable
from decimal import ROUND_HALF_UP, Decimal

from django.db import transaction
from django.db.models import Count, Exists, F, OuterRef, Q, Sum
from django.db.models.functions import TruncDate
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from collection.models import CommissionKind, CommissionLine, CommissionTier, Placement, TierBasis
from lending.models import Payment
from lending.services.calendar import LENDER_TZ, local_date

CENT = Decimal("0.01")
NO_TIER = "none"
OTHER_BUCKETS = "other"
# How many lines are written at once.
CHUNK = 2000

COUNT_LABELS = {
    "commission_lines": gettext_lazy("Payments attributed to agencies"),
    "commission_clawbacks": gettext_lazy("Agency commissions clawed back"),
}


def cents(total) -> Decimal:
    """A sum from the database to the cent (SQLite adds decimals as floats: 0.00999999999999979 is 0.01)."""
    return Decimal(total or 0).quantize(CENT, rounding=ROUND_HALF_UP)


def commission_of(amount: Decimal, rate: Decimal) -> Decimal:
    """The commission on `amount` at `rate`, rounded half-up to the cent."""
    return (amount * rate).quantize(CENT, rounding=ROUND_HALF_UP)


def _days_code(tier: CommissionTier) -> str:
    start = tier.min_days or 0
    return f"days:{start}+" if tier.max_days is None else f"days:{start}-{tier.max_days}"


def tier_pick(tiers: Iterable[CommissionTier], *, basis: str, bucket: str, days: int) -> tuple[Decimal, str]:
    """
    The (rate, tier code) of a contract's tiers for a placement of `bucket`
    (its bucket at placement) `days` days after it was placed; (0, "none")
    when no tier applies.
    """
    tiers = list(tiers)
    if basis == TierBasis.BUCKET:
        named = [tier for tier in tiers if tier.bucket and tier.bucket.upper() == (bucket or "").upper()]
        if named:
            return named[0].rate, f"bucket:{named[0].bucket}"
        other = [tier for tier in tiers if not tier.bucket]
        if other:
            return other[0].rate, f"bucket:{OTHER_BUCKETS}"
        return Decimal("0"), NO_TIER
    covering = [
        tier for tier in tiers if (tier.min_days or 0) <= days and (tier.max_days is None or days <= tier.max_days)
    ]
    if not covering:
        return Decimal("0"), NO_TIER
    # Overlapping tiers: the one that starts latest is the most specific.
    tier = max(covering, key=lambda tier: (tier.min_days or 0, -tier.pk if tier.pk else 0))
    return tier.rate, _days_code(tier)


def tier_for(*, placement: Placement, on: datetime.date) -> tuple[Decimal, str]:
    """The contract's (rate, tier code) for a payment on the placement received on `on` (the lender's date)."""
    contract = placement.contract
    return tier_pick(
        contract.tiers.all(),
        basis=contract.tier_basis,
        bucket=placement.bucket_at_placement,
        days=(on - placement.placed_on).days,
    )


def tier_text(code: str) -> str:
    """A tier code as the reader reads it."""
    if not code or code == NO_TIER:
        return _("No tier")
    kind, _sep, value = code.partition(":")
    if kind == "bucket":
        return _("Other buckets") if value == OTHER_BUCKETS else value
    if kind == "days":
        if value.endswith("+"):
            return _("Day %(start)s on") % {"start": value[:-1]}
        start, _sep, end = value.partition("-")
        return _("Days %(start)s–%(end)s") % {"start": start, "end": end}
    return code


# --- The sweep ----------------------------------------------------------------


def payments_unattributed(*, until: datetime.datetime):
    """
    (payment id, placement id) of each applied payment received before
    `until` while its account's case was placed and the account in the case,
    that has no PAYMENT line yet: one join Payment → CaseAccount → Placement.
    """
    member = "account__case_memberships"
    placement = f"{member}__case__placements"
    # One filter() call: every condition on the same CaseAccount and Placement rows of the join.
    placed_then = Q(**{f"{placement}__placed_at__lte": F("received_at")}) & (
        Q(**{f"{placement}__recalled_at__isnull": True}) | Q(**{f"{placement}__recalled_at__gt": F("received_at")})
    )
    in_case_then = Q(**{f"{member}__joined_on__lte": F("received_on")}) & (
        Q(**{f"{member}__left_on__isnull": True}) | Q(**{f"{member}__left_on__gte": F("received_on")})
    )
    rows = (
        Payment.objects.filter(status=Payment.Status.APPLIED, received_at__lt=until)
        .annotate(received_on=TruncDate("received_at", tzinfo=LENDER_TZ))
        .filter(placed_then & in_case_then)
        .exclude(Exists(CommissionLine.objects.filter(payment=OuterRef("pk"), kind=CommissionKind.PAYMENT)))
        .values_list("pk", placement)
        .order_by("pk")
    )
    return rows


def _payment_lines(pairs: list[tuple[int, int]]) -> list[CommissionLine]:
    """The PAYMENT lines of (payment id, placement id) pairs: two queries (the payments, the placements with tiers)."""
    payments = Payment.objects.in_bulk([payment_id for payment_id, _placement in pairs])
    placements = (
        Placement.objects.select_related("contract")
        .prefetch_related("contract__tiers")
        .in_bulk({placement_id for _payment, placement_id in pairs})
    )
    lines = []
    for payment_id, placement_id in pairs:
        payment, placement = payments[payment_id], placements[placement_id]
        rate, tier = tier_for(placement=placement, on=local_date(payment.received_at))
        lines.append(
            CommissionLine(
                placement=placement,
                agency_id=placement.agency_id,
                payment=payment,
                kind=CommissionKind.PAYMENT,
                amount=payment.amount,
                rate=rate,
                commission=commission_of(payment.amount, rate),
                tier=tier,
                currency=placement.currency,
                occurred_at=payment.received_at,
            )
        )
    return lines


def _clawbacks(*, until: datetime.datetime) -> list[CommissionLine]:
    """A CLAWBACK line for each PAYMENT line whose payment was reversed before `until` and has none yet."""
    originals = (
        CommissionLine.objects.filter(
            kind=CommissionKind.PAYMENT, payment__status=Payment.Status.REVERSED, payment__reversed_at__lt=until
        )
        .exclude(Exists(CommissionLine.objects.filter(payment=OuterRef("payment_id"), kind=CommissionKind.CLAWBACK)))
        .select_related("payment")
        .order_by("id")
    )
    return [
        CommissionLine(
            placement_id=line.placement_id,
            agency_id=line.agency_id,
            payment_id=line.payment_id,
            kind=CommissionKind.CLAWBACK,
            amount=-line.amount,
            rate=line.rate,
            commission=-line.commission,
            tier=line.tier,
            currency=line.currency,
            occurred_at=line.payment.reversed_at,
        )
        for line in originals.iterator(chunk_size=CHUNK)
    ]


def commission_lines_attribute(*, until: datetime.datetime | None = None) -> int:
    """
    Attribute every payment received while its case was placed (before
    `until`, default now) and claw back every reversed one: the number of
    lines written. Run twice, the second run writes nothing.
    """
    return sum(commission_lines_sweep(until=until).values())


def commission_lines_sweep(*, until: datetime.datetime | None = None) -> dict:
    """The sweep with its counts: {"commission_lines": n, "commission_clawbacks": m}."""
    until = until or timezone.now()
    written = 0
    with transaction.atomic():
        seen = set()
        pairs = []
        for payment_id, placement_id in payments_unattributed(until=until).iterator(chunk_size=CHUNK):
            # An account in a case twice over (it left and came back) joins twice: one line a payment.
            if payment_id in seen:
                continue
            seen.add(payment_id)
            pairs.append((payment_id, placement_id))
            if len(pairs) >= CHUNK:
                written += _write(_payment_lines(pairs))
                pairs = []
        if pairs:
            written += _write(_payment_lines(pairs))
        clawed = _write(_clawbacks(until=until))
    return {"commission_lines": written, "commission_clawbacks": clawed}


def _write(lines: list[CommissionLine]) -> int:
    # ignore_conflicts: a sweep running at the same moment wrote the same line (unique payment + kind).
    CommissionLine.objects.bulk_create(lines, batch_size=CHUNK, ignore_conflicts=True)
    return len(lines)


def commission_nightly_step(on: datetime.date) -> dict:
    """The nightly chain's step: the sweep up to the end of `on` (the lender's day), at most now."""
    day_end = datetime.datetime.combine(on + datetime.timedelta(days=1), datetime.time.min, tzinfo=LENDER_TZ)
    return commission_lines_sweep(until=min(day_end, timezone.now()))


# --- For the other parts' pages -------------------------------------------------


def batch_collected(batch) -> dict:
    """
    What a placement batch's cases brought in while placed: {"collected",
    "commission", "payments", "clawbacks", "currency"} (collected and
    commission net of clawbacks). One query.
    """
    totals = CommissionLine.objects.filter(placement__batch=batch).aggregate(
        collected=Sum("amount"),
        commission=Sum("commission"),
        payments=Count("id", filter=Q(kind=CommissionKind.PAYMENT)),
        clawbacks=Count("id", filter=Q(kind=CommissionKind.CLAWBACK)),
    )
    return {
        "collected": cents(totals["collected"]),
        "commission": cents(totals["commission"]),
        "payments": totals["payments"],
        "clawbacks": totals["clawbacks"],
        "currency": batch.currency,
    }


def register() -> None:
    """The nightly step (after lending's run and the lifecycle) and its counts' labels."""
    from collection.nightly.steps import NightlyStepSpec, nightly_count_labels_register, nightly_step_register

    nightly_step_register(
        NightlyStepSpec(
            "commission", gettext_lazy("Agency commission: payments attributed, clawbacks"), 24, commission_nightly_step
        )
    )
    nightly_count_labels_register(COUNT_LABELS)
