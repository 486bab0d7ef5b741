"""
Claimed payments (what an agency's return file says it collected) matched
against the payments the lender really received. A claim is never booked:
it only points at a real payment once one fits —

- on an account of the claim's case,
- of the same amount,
- received within CLAIM_MATCH_DAYS days either side of the claimed date
  (in the lender's time zone),
- during the placement (from its start, before its recall if recalled),
- applied (not reversed), and matched to no other claim —

the one received nearest the claimed date (then the earliest). Run when a
return file is applied and again every night (a payment often reaches the
core system a day or two after the agency's file), `claims_match` is
idempotent: a matched claim is left alone, a payment matches one claim at most
(a one-to-one column and a conditional update).
"""

import datetime

from django.db import IntegrityError, transaction
from django.db.models import Case, When
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.services import audit_record
from collection.models import ClaimedPayment, ClaimStatus
from lending.models import Payment
from lending.services import LENDER_TZ

CLAIM_MATCH_DAYS = 3
COUNT_LABELS = {"claims_matched": _("Agency claims matched to payments")}


def _window(claim: ClaimedPayment) -> tuple[datetime.datetime, datetime.datetime]:
    """[start, end) of the receipts a claim may match: its date ± CLAIM_MATCH_DAYS, within the placement."""
    start = datetime.datetime.combine(
        claim.paid_on - datetime.timedelta(days=CLAIM_MATCH_DAYS), datetime.time.min, tzinfo=LENDER_TZ
    )
    end = datetime.datetime.combine(
        claim.paid_on + datetime.timedelta(days=CLAIM_MATCH_DAYS + 1), datetime.time.min, tzinfo=LENDER_TZ
    )
    placement = claim.placement
    start = max(start, placement.placed_at)
    if placement.recalled_at is not None:
        end = min(end, placement.recalled_at)
    return start, end


def claim_candidates(claim: ClaimedPayment):
    """The real payments this claim may match, nearest its date first."""
    start, end = _window(claim)
    if start >= end:
        return []
    payments = (
        Payment.objects.filter(
            account__case_memberships__case_id=claim.placement.case_id,
            amount=claim.amount,
            status=Payment.Status.APPLIED,
            received_at__gte=start,
            received_at__lt=end,
            agency_claim__isnull=True,
        )
        .distinct()
        .order_by("received_at", "id")
    )
    noon = datetime.datetime.combine(claim.paid_on, datetime.time(12), tzinfo=LENDER_TZ)
    return sorted(payments, key=lambda payment: (abs(payment.received_at - noon), payment.received_at, payment.pk))


def _claim_match(claim: ClaimedPayment, now) -> bool:
    for payment in claim_candidates(claim):
        try:
            with transaction.atomic():
                matched = ClaimedPayment.objects.filter(pk=claim.pk, status=ClaimStatus.UNMATCHED).update(
                    status=ClaimStatus.MATCHED, matched_payment=payment, matched_at=now
                )
                if matched:
                    audit_record(
                        action="collection.claim.matched",
                        target=claim,
                        actor=None,
                        data={
                            "agency_id": claim.agency_id,
                            "reference": claim.reference,
                            "amount": str(claim.amount),
                            "paid_on": claim.paid_on.isoformat(),
                            "payment_id": payment.pk,
                        },
                    )
        except IntegrityError:  # another claim took this payment meanwhile: try the next one
            continue
        return bool(matched)
    return False


def claims_match(*, claims=None) -> int:
    """Match the unmatched claims (of `claims`, a queryset, or all); the number matched now."""
    pending = (claims if claims is not None else ClaimedPayment.objects.all()).filter(status=ClaimStatus.UNMATCHED)
    now = timezone.now()
    matched = 0
    for claim in pending.select_related("placement").order_by("paid_on", "id").iterator(chunk_size=500):
        matched += _claim_match(claim, now)
    return matched


def claims_for(agency_id: int | None):
    """The claims of one agency (every agency's: None), unmatched first, latest first."""
    claims = ClaimedPayment.objects.select_related("agency", "placement__case", "matched_payment")
    if agency_id is not None:
        claims = claims.filter(agency_id=agency_id)
    unmatched_first = Case(When(status=ClaimStatus.UNMATCHED, then=0), default=1)
    return claims.order_by(unmatched_first, "-paid_on", "-id")


def claims_nightly_step(on: datetime.date) -> dict:
    return {"claims_matched": claims_match()}


CLAIM_MATCHED = _("Agency claim %(reference)s matched to a payment received")


def register() -> None:
    from accounts.audit_text import audit_sentence_register
    from collection.nightly.steps import NightlyStepSpec, nightly_count_labels_register, nightly_step_register

    nightly_step_register(
        NightlyStepSpec("agency_claims", _("Agency claims matched to payments"), 26, claims_nightly_step)
    )
    nightly_count_labels_register(COUNT_LABELS)
    audit_sentence_register("collection.claim.matched", CLAIM_MATCHED)
