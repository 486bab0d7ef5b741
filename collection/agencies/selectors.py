"""Reads for the manager's agency pages: the list (contract in force, caseload), one agency's page."""

import datetime
from decimal import Decimal

from django.db.models import Count, Prefetch, Q
from django.shortcuts import get_object_or_404
from django.utils import formats
from django.utils.translation import gettext as _

from collection.agencies.services import evaluation_state
from collection.models import (
    Agency,
    AgencyContract,
    AgencyEvaluation,
    AgencyField,
    AgencyMember,
    CommissionTier,
    Placement,
    PlacementStatus,
    TierBasis,
)
from lending.models import Bucket


def percent(rate) -> str:
    """A fraction as a percentage for the reader: 0.1250 -> "12.5%" (the decimal mark of their language)."""
    value = (Decimal(rate) * 100).quantize(Decimal("0.01")).normalize()
    return f"{formats.number_format(value, use_l10n=True)}%"


def tier_label(tier, basis: str) -> str:
    if basis == TierBasis.BUCKET:
        return tier.bucket or str(_("any other bucket"))
    if tier.max_days is None:
        return _("day %(start)s on") % {"start": tier.min_days}
    return _("days %(start)s–%(end)s") % {"start": tier.min_days, "end": tier.max_days}


def _tier_order(tier, bucket_order: dict[str, int]) -> tuple:
    """Day tiers by their first day; bucket tiers in the buckets' order, "any other bucket" last."""
    if tier.min_days is not None:
        return (0, tier.min_days)
    return (1, bucket_order.get(tier.bucket, len(bucket_order)) if tier.bucket else len(bucket_order) + 1)


# The agency page lists this many active placements (the batches' pages have them all).
PLACEMENTS_SHOWN = 50


def contracts_in_force(agency_ids, on: datetime.date) -> dict[int, AgencyContract]:
    """Each agency's contract covering `on` (the latest to start), in one query."""
    found: dict[int, AgencyContract] = {}
    contracts = AgencyContract.objects.filter(agency_id__in=list(agency_ids), starts_on__lte=on, ends_on__gte=on)
    for contract in contracts.order_by("agency_id", "-starts_on", "-id"):
        found.setdefault(contract.agency_id, contract)
    return found


def _active_count():
    return Count("placements", filter=Q(placements__status=PlacementStatus.ACTIVE))


def agency_rows(on: datetime.date) -> list[dict]:
    agencies = list(Agency.objects.annotate(active_placements=_active_count()).order_by("name", "id"))
    contracts = contracts_in_force([agency.pk for agency in agencies], on)
    return [
        {
            "agency": agency,
            "contract": contracts.get(agency.pk),
            "evaluation": evaluation_state(agency, on),
        }
        for agency in agencies
    ]


def agency_get(pk: int) -> Agency:
    return get_object_or_404(Agency.objects.annotate(active_placements=_active_count()), pk=pk)


def agency_page(agency: Agency, on: datetime.date) -> dict:
    """What the agency's page shows besides the agency: contracts and tiers, evaluations, members, placements."""
    contracts = list(
        agency.contracts.prefetch_related(
            Prefetch("tiers", queryset=CommissionTier.objects.order_by("min_days", "bucket", "id")), "products"
        ).order_by("-starts_on", "-id")
    )
    in_force = contracts_in_force([agency.pk], on).get(agency.pk)
    codes = Bucket.objects.order_by("min_days").values_list("code", flat=True)
    bucket_order = {code: index for index, code in enumerate(codes)}
    field_labels = dict(AgencyField.choices)
    contract_rows = [
        {
            "contract": contract,
            "in_force": in_force is not None and contract.pk == in_force.pk,
            "tiers": [
                {"label": tier_label(tier, contract.tier_basis), "rate": percent(tier.rate)}
                for tier in sorted(contract.tiers.all(), key=lambda tier: _tier_order(tier, bucket_order))
            ],
            "products": list(contract.products.all()),
            "fields": [field_labels.get(code, code) for code in contract.visible_fields or []],
        }
        for contract in contracts
    ]
    placements = list(
        Placement.objects.filter(agency=agency, status=PlacementStatus.ACTIVE)
        .select_related("case", "batch", "agent", "case__borrower")
        .order_by("recall_due_on", "id")[:PLACEMENTS_SHOWN]
    )
    return {
        "contract_in_force": in_force,
        "contract_rows": contract_rows,
        "evaluations": list(
            AgencyEvaluation.objects.filter(agency=agency).select_related("evaluated_by").order_by("-evaluated_on")
        ),
        "members": list(
            AgencyMember.objects.filter(agency=agency)
            .select_related("user")
            .order_by("-is_supervisor", "user__username")
        ),
        "placements": placements,
        "placements_more": max(agency.active_placements - len(placements), 0),
        "evaluation": evaluation_state(agency, on),
    }
