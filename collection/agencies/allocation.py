"""
Sharing cases out among several agencies by a rule (collection/agencies/placement.py
`cases_allocate` places the plan): round-robin, by region, by past performance,
each within its caseload cap. `allocation_plan` writes nothing: the manager's
confirmation page shows it before anything is placed.
"""

import datetime
from dataclasses import dataclass, field
from decimal import Decimal

from collection.agencies.placement import (
    AGENCY_REFUSALS,
    CASELOAD,
    MISSING,
    NO_AGENCY,
    RULE_UNKNOWN,
    CaseRow,
    Terms,
    agency_terms,
    cases_read,
)
from collection.errors import CollectionError
from collection.models import Agency, AllocationRule
from lending.services import lender_today


@dataclass
class Share:
    """What one agency would take in an allocation."""

    terms: Terms
    case_ids: list = field(default_factory=list)
    balance: Decimal = Decimal("0.00")

    @property
    def agency(self) -> Agency:
        return self.terms.agency


@dataclass
class AllocationPlan:
    """Which agency takes which case, and the cases none may take (with the reason)."""

    rule: str
    shares: list[Share]
    refusals: dict[int, str]
    rows: dict[int, CaseRow]
    # Agencies that cannot take any case at all (inactive, no contract): agency → message.
    agencies_refused: dict = field(default_factory=dict)

    @property
    def placeable(self) -> int:
        return sum(len(share.case_ids) for share in self.shares)


def performance_weights(agencies: list[Agency]) -> dict[int, Decimal]:
    """
    Each agency's weight by its liquidation rate (part B's
    `agency_liquidation_rates`): the better rate gets more. An agency without
    a rate yet weighs as the average of the others, and none weighs less than
    a tenth of the best (a newcomer at 0 still gets cases to be judged on);
    without any rate (or the function), all weigh alike.
    """
    equal = {agency.pk: Decimal(1) for agency in agencies}
    try:
        from collection.agencies.performance import agency_liquidation_rates
    except ImportError:
        return equal
    try:
        rates = agency_liquidation_rates(agencies) or {}
    except Exception:  # the comparison is only advice here: placing goes on with equal shares
        return equal
    known = {pk: Decimal(str(rate)) for pk, rate in rates.items() if rate is not None and pk in equal}
    best = max(known.values(), default=Decimal(0))
    if best <= 0:
        return equal
    average = sum(known.values()) / len(known)
    return {pk: max(known.get(pk, average), best / 10) for pk in equal}


def allocation_plan(
    *, case_ids, agencies: list[Agency], rule: str, actor=None, placed_on: datetime.date | None = None
) -> AllocationPlan:
    """
    Share the cases out (no write): smooth weighted round-robin over the
    agencies that may take each case (equal weights for round-robin, the
    liquidation rates by performance; by region, the agencies whose contract
    names the borrower's province first, those with every region after),
    each within its caseload cap. Cases in the order given by priority (the
    most urgent first), so caps cut the least urgent.
    """
    if rule not in AllocationRule.values:
        raise CollectionError(RULE_UNKNOWN, field="rule")
    agencies = list({agency.pk: agency for agency in agencies}.values())
    if not agencies:
        raise CollectionError(NO_AGENCY, field="agencies")
    placed_on = placed_on or lender_today()
    shares, agencies_refused = [], {}
    for agency in agencies:
        try:
            shares.append(Share(agency_terms(agency, on=placed_on)))
        except CollectionError as refused:
            agencies_refused[agency] = str(refused)
    rows = cases_read(case_ids, actor=actor)
    ordered = sorted((pk for pk, row in rows.items() if not row.refusal), key=lambda pk: (-rows[pk].priority, pk))
    refusals = {int(pk): MISSING for pk in case_ids if int(pk) not in rows}
    refusals.update({pk: row.refusal for pk, row in rows.items() if row.refusal})
    if rule == AllocationRule.BY_PERFORMANCE:
        weights = performance_weights([share.agency for share in shares])
    else:
        weights = {share.agency.pk: Decimal(1) for share in shares}
    current = {share.agency.pk: Decimal(0) for share in shares}
    left = {share.agency.pk: share.terms.capacity for share in shares}
    for pk in ordered:
        row = rows[pk]
        reasons = {share.agency.pk: share.terms.refusal(row) for share in shares}
        eligible = [share for share in shares if not reasons[share.agency.pk]]
        if rule == AllocationRule.BY_REGION:
            named = [share for share in eligible if share.terms.regions]
            eligible = named or eligible
        open_ = [share for share in eligible if left[share.agency.pk] > 0 and weights[share.agency.pk] > 0]
        if not open_:
            if eligible:
                refusals[pk] = CASELOAD
            else:
                found = {reason for reason in reasons.values() if reason}
                refusals[pk] = next((code for code in AGENCY_REFUSALS if code in found), MISSING)
            continue
        total = sum(weights[share.agency.pk] for share in open_)
        for share in open_:
            current[share.agency.pk] += weights[share.agency.pk]
        chosen = max(open_, key=lambda share: current[share.agency.pk])
        current[chosen.agency.pk] -= total
        chosen.case_ids.append(pk)
        chosen.balance += row.balance
        left[chosen.agency.pk] -= 1
    return AllocationPlan(rule, shares, refusals, rows, agencies_refused)


class Allocation(list):
    """The batches placed (a list), with `unplaced`: {case_id: refusal code} of the cases no agency took."""

    unplaced: dict

    def __init__(self, batches, unplaced):
        super().__init__(batches)
        self.unplaced = unplaced
