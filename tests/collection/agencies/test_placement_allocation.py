"""
Sharing cases among several agencies (collection/agencies/allocation.py and
`cases_allocate`): round-robin, by region, by past performance (part B's
liquidation rates, equal shares without them), each within its caseload, and
the cases no agency may take reported back with the reason.
"""

from decimal import Decimal

import pytest

from collection.agencies import performance
from collection.agencies.allocation import allocation_plan, performance_weights
from collection.agencies.placement import CASELOAD, PLACED, REGION, cases_allocate
from collection.errors import CollectionError
from collection.models import AgencyStatus, AllocationRule, Placement, PlacementBatch
from tests.collection.agencies import placement_fixtures
from tests.collection.agencies.factories import AgencyContractFactory, AgencyFactory, placed_case

# The shared fixtures (tests/collection/agencies/placement_fixtures.py).
agency, cases_of, contract = placement_fixtures.agency, placement_fixtures.cases_of, placement_fixtures.contract

pytestmark = pytest.mark.django_db


def _agency(name, **contract_fields):
    return AgencyContractFactory(agency=AgencyFactory(name=name), **contract_fields).agency


def _shares(plan) -> dict[str, int]:
    return {share.agency.name: len(share.case_ids) for share in plan.shares}


def test_round_robin_shares_evenly_within_the_caps(cases_of, manager):
    north, south, east = _agency("North"), _agency("South"), _agency("East", max_caseload=1)
    cases = cases_of(7)
    result = cases_allocate(
        case_ids=[case.pk for case in cases],
        agencies=[north, south, east],
        rule=AllocationRule.ROUND_ROBIN,
        actor=manager,
    )
    counts = {batch.agency.name: batch.case_count for batch in result}
    assert counts == {"North": 3, "South": 3, "East": 1}
    assert result.unplaced == {}
    assert {batch.rule for batch in result} == {AllocationRule.ROUND_ROBIN}
    assert Placement.objects.count() == 7


def test_the_most_urgent_cases_are_placed_when_the_caps_cut(cases_of, manager):
    north = _agency("North", max_caseload=2)
    cases = cases_of(3)
    for priority, case in zip((10, 90, 50), cases, strict=True):
        case.priority = priority
        case.save()
    result = cases_allocate(
        case_ids=[case.pk for case in cases], agencies=[north], rule=AllocationRule.ROUND_ROBIN, actor=manager
    )
    assert set(result[0].placements.values_list("case_id", flat=True)) == {cases[1].pk, cases[2].pk}
    assert result.unplaced == {cases[0].pk: CASELOAD}


def test_by_region_a_case_goes_to_an_agency_covering_its_province(cases_of, manager):
    beijing = _agency("Beijing desk", regions=["北京市"])
    shanghai = _agency("Shanghai desk", regions=["上海市"])
    anywhere = _agency("Nationwide")
    in_beijing = cases_of(2)
    in_shanghai = cases_of(1)
    elsewhere = cases_of(1)
    for case, province in [(in_shanghai[0], "上海市"), (elsewhere[0], "广东省")]:
        case.borrower.province = province
        case.borrower.save()
    ids = [case.pk for case in in_beijing + in_shanghai + elsewhere]
    plan = allocation_plan(case_ids=ids, agencies=[beijing, shanghai, anywhere], rule=AllocationRule.BY_REGION)
    by_agency = {share.agency.name: set(share.case_ids) for share in plan.shares}
    assert by_agency == {
        "Beijing desk": {case.pk for case in in_beijing},  # the agencies naming the province come first
        "Shanghai desk": {in_shanghai[0].pk},
        "Nationwide": {elsewhere[0].pk},
    }
    plan = allocation_plan(case_ids=ids, agencies=[beijing, shanghai], rule=AllocationRule.BY_REGION)
    assert plan.refusals == {elsewhere[0].pk: REGION}


def test_by_performance_the_better_rate_gets_more(cases_of, manager, monkeypatch):
    good, poor = _agency("Good"), _agency("Poor")
    monkeypatch.setattr(
        performance,
        "agency_liquidation_rates",
        lambda agencies: {good.pk: Decimal("0.30"), poor.pk: Decimal("0.10")},
        raising=False,
    )
    cases = cases_of(8)
    result = cases_allocate(
        case_ids=[case.pk for case in cases], agencies=[good, poor], rule=AllocationRule.BY_PERFORMANCE, actor=manager
    )
    assert {batch.agency.name: batch.case_count for batch in result} == {"Good": 6, "Poor": 2}


def test_by_performance_without_rates_shares_equally(cases_of, monkeypatch):
    first, second = _agency("First"), _agency("Second")
    monkeypatch.setattr(performance, "agency_liquidation_rates", lambda agencies: {}, raising=False)
    assert performance_weights([first, second]) == {first.pk: 1, second.pk: 1}

    def broken(agencies):
        raise RuntimeError("no figures tonight")

    monkeypatch.setattr(performance, "agency_liquidation_rates", broken, raising=False)
    plan = allocation_plan(
        case_ids=[case.pk for case in cases_of(4)], agencies=[first, second], rule=AllocationRule.BY_PERFORMANCE
    )
    assert _shares(plan) == {"First": 2, "Second": 2}


def test_a_newcomer_at_zero_still_gets_a_few_cases(monkeypatch):
    known, newcomer = _agency("Known"), _agency("Newcomer")
    monkeypatch.setattr(
        performance,
        "agency_liquidation_rates",
        lambda agencies: {known.pk: Decimal("0.5"), newcomer.pk: 0},
        raising=False,
    )
    assert performance_weights([known, newcomer]) == {known.pk: Decimal("0.5"), newcomer.pk: Decimal("0.05")}


def test_unplaceable_cases_and_refused_agencies_are_reported(cases_of, agency, manager):
    suspended = _agency("Suspended")
    suspended.status = AgencyStatus.SUSPENDED
    suspended.save()
    free, taken = cases_of(2)
    placed_case(case=taken, contract=AgencyContractFactory())
    plan = allocation_plan(case_ids=[free.pk, taken.pk], agencies=[agency, suspended], rule=AllocationRule.ROUND_ROBIN)
    assert _shares(plan) == {"North Recoveries": 1}
    assert plan.refusals == {taken.pk: PLACED}
    assert list(plan.agencies_refused.values()) == ["Suspended is not active: no case can be placed with it."]
    with pytest.raises(CollectionError, match="is not active"):
        cases_allocate(case_ids=[free.pk], agencies=[suspended], rule=AllocationRule.ROUND_ROBIN, actor=manager)
    assert PlacementBatch.objects.filter(agency=suspended).count() == 0
