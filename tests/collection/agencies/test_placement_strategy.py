"""
Placement by a strategy step ("Place with an agency": one agency, or
round-robin among the active ones) and the engine skipping the lender's own
steps on cases placed with an agency.
"""

import pytest

from collection.models import (
    Case,
    OutboundMessage,
    Placement,
    PlacementBatch,
    Stage,
    StepExecution,
    StepOutcome,
)
from collection.strategies import strategies_nightly
from collection.strategies.actions import action_get, params_validate, result_text
from collection.strategies.texts import step_label
from tests.collection.agencies import placement_fixtures
from tests.collection.agencies.factories import AgencyContractFactory, placed_case
from tests.collection.factories import case_in_arrears
from tests.collection.strategies.factories import SMS_DEMAND, segment_make, step, strategy_make

# The shared fixtures (tests/collection/agencies/placement_fixtures.py).
agency, cases_of, contract = placement_fixtures.agency, placement_fixtures.cases_of, placement_fixtures.contract

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("morning")]


@pytest.fixture
def today(morning):
    return morning.date()


def one_step(*steps):
    strategy = strategy_make("Test", *steps)
    segment_make("Everyone", champion=strategy, max_days_past_due=365)
    return strategy


def test_the_step_places_the_cases_with_its_agency(today, agency):
    strategy = one_step(step(60, "place_with_agency", agency=str(agency.pk)))
    due = [case_in_arrears(days_past_due=70) for _ in range(2)]
    early = case_in_arrears(days_past_due=10)

    strategies_nightly(today)
    strategies_nightly(today)

    batch = PlacementBatch.objects.get()
    assert batch.agency == agency and batch.strategy_step == strategy.current_version.steps.get()
    assert set(Placement.objects.values_list("case_id", flat=True)) == {case.pk for case in due}
    assert Case.objects.get(pk=early.pk).stage == Stage.EARLY
    assert set(StepExecution.objects.values_list("outcome", "result_code")) == {(StepOutcome.DONE, "case_placed")}
    assert step_label("place_with_agency", {"agency": str(agency.pk)}) == "Place with North Recoveries"


def test_round_robin_among_the_active_agencies_and_a_case_none_may_take(today, agency, contract):
    other = AgencyContractFactory(max_caseload=1).agency
    one_step(step(60, "place_with_agency"))
    cases = [case_in_arrears(days_past_due=70) for _ in range(3)]
    contract.regions = ["北京市"]
    contract.save()
    cases[2].borrower.province = "上海市"
    cases[2].borrower.save()

    strategies_nightly(today)

    by_agency = dict(Placement.objects.values_list("case_id", "agency_id"))
    assert sorted(by_agency.values()) == sorted([agency.pk, other.pk])
    execution = StepExecution.objects.get(outcome=StepOutcome.SKIPPED)
    assert (execution.case_id, execution.result_code) == (cases[2].pk, "not_placed")
    # Shanghai is outside North's regions; the other agency (every region) was full.
    assert result_text(execution.result_code, execution.result_data) == (
        "not placed: beyond the agency's maximum caseload"
    )


def test_the_agency_param_offers_the_active_agencies_or_round_robin(agency):
    action = action_get("place_with_agency")
    cleaned, errors = params_validate(action, {})
    assert cleaned == {"agency": ""} and not errors
    _cleaned, errors = params_validate(action, {"agency": "999999"})
    assert "agency" in errors


def test_the_lender_s_steps_skip_a_placed_case(today, agency):
    one_step(step(1, "send_message", **SMS_DEMAND))
    placement = placed_case(agency=agency, days_past_due=5)
    free = case_in_arrears(days_past_due=5)

    strategies_nightly(today)

    assert list(OutboundMessage.objects.values_list("case_id", flat=True)) == [free.pk]
    skipped = StepExecution.objects.get(case=placement.case)
    assert (skipped.outcome, skipped.result_code) == (StepOutcome.SKIPPED, "placed_with_agency")
    assert result_text("placed_with_agency") == "skipped: the case is placed with an agency"


def test_a_stage_move_skips_a_placed_case(today, agency):
    one_step(step(1, "move_stage", stage=Stage.FIELD))
    placement = placed_case(agency=agency, days_past_due=5)
    strategies_nightly(today)
    assert Case.objects.get(pk=placement.case_id).stage == Stage.AGENCY
