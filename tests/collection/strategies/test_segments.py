"""Segment evaluation: priority order, exactly one segment per open case, stable arms, and the case page's why."""

from decimal import Decimal

import pytest
from django.urls import reverse

from collection.errors import CollectionError
from collection.models import Arm, CaseStatus, CaseStrategy, Segment
from collection.strategies.arms import arm_for
from collection.strategies.segments import catch_all_segment, segments_assign
from collection.strategies.services import CATCH_ALL_NO_CONDITIONS, SEGMENT_HAS_CASES, segment_delete, segment_save
from tests.collection.factories import case_in_arrears
from tests.collection.strategies.factories import SMS_DEMAND, segment_make, step, strategy_make

pytestmark = pytest.mark.django_db


def test_the_first_matching_segment_takes_a_case_that_matches_two(today):
    early = segment_make("Early", max_days_past_due=30)
    big = segment_make("High balance", min_balance=Decimal("500.00"))  # after Early in the order
    case = case_in_arrears(days_past_due=10)  # overdue 1012.50: matches both

    segments_assign(on=today)

    assert CaseStrategy.objects.get(case=case).segment == early
    assert early.priority < big.priority < catch_all_segment().priority


def test_every_open_case_is_in_exactly_one_segment(today):
    segment_make("Early", max_days_past_due=30)
    segment_make("Late", min_days_past_due=31, max_days_past_due=90)
    cases = [case_in_arrears(days_past_due=days) for days in (5, 40, 120)]

    counts = segments_assign(on=today)

    assert counts["cases_entered"] == 3
    states = {state.case_id: state.segment.name for state in CaseStrategy.objects.select_related("segment")}
    assert states == {cases[0].pk: "Early", cases[1].pk: "Late", cases[2].pk: "All other cases"}


def test_a_second_run_the_same_night_changes_nothing(today):
    segment_make("Early", max_days_past_due=30)
    case_in_arrears(days_past_due=5)
    segments_assign(on=today)

    assert segments_assign(on=today) == {"cases_entered": 0, "cases_moved": 0, "challenger_cases": 0}


def test_a_case_that_moves_starts_its_new_segment_from_the_first_step(today):
    early = segment_make("Early", max_days_past_due=30)
    case = case_in_arrears(days_past_due=30)
    segments_assign(on=today)
    CaseStrategy.objects.filter(case=case).update(last_step_position=2)
    case.days_past_due = 31
    case.save()

    counts = segments_assign(on=today)

    state = CaseStrategy.objects.get(case=case)
    assert counts["cases_moved"] == 1
    assert state.segment != early and state.last_step_position == 0 and state.entered_segment_on == today


def test_conditions_on_products_reasons_stages_provinces_and_grades(today):
    case = case_in_arrears(days_past_due=10, reason="lost_income")
    product = case.case_accounts.get().account.product
    case.borrower.province = "Guangdong"
    case.borrower.risk_grade = "C"
    case.borrower.save()
    segment = segment_make(
        "Hardship in Guangdong",
        product_ids=[product.pk],
        reasons=["lost_income"],
        stages=["early"],
        provinces=["Guangdong"],
        risk_grades=["C"],
        buckets=["M1"],
    )
    segment_make("Other grade", risk_grades=["A"])

    segments_assign(on=today)

    state = CaseStrategy.objects.get(case=case)
    assert state.segment == segment
    assert state.segment_facts["reason"] == "lost_income"
    assert state.segment_facts["product"] == product.code
    assert state.segment_facts["province"] == "Guangdong"


def test_score_band_and_a_case_without_score(today):
    scored = case_in_arrears(days_past_due=10, score=700)
    unscored = case_in_arrears(days_past_due=10)
    segment_make("Likely payers", min_score=600)

    segments_assign(on=today)

    assert CaseStrategy.objects.get(case=scored).segment.name == "Likely payers"
    assert CaseStrategy.objects.get(case=unscored).segment.name == "All other cases"


def test_the_challenger_takes_the_share_the_stable_hash_gives(today):
    champion = strategy_make("Champion", step(1, "send_message", **SMS_DEMAND))
    challenger = strategy_make("Challenger", step(1, "queue_call", boost=50))
    segment = segment_make("Early", champion=champion, challenger=challenger, challenger_share=50)
    cases = [case_in_arrears(days_past_due=5) for _ in range(8)]

    segments_assign(on=today)

    for case in cases:
        state = CaseStrategy.objects.get(case=case)
        expected = arm_for(segment_id=segment.pk, case_id=case.pk, challenger_share=50)
        assert state.arm == expected
        version = challenger.current_version if expected == Arm.CHALLENGER else champion.current_version
        assert state.strategy_version == version
    # A later night does not switch anyone's arm.
    before = dict(CaseStrategy.objects.values_list("case_id", "arm"))
    segments_assign(on=today)
    assert dict(CaseStrategy.objects.values_list("case_id", "arm")) == before


def test_closed_cases_are_left_alone(today):
    case = case_in_arrears(days_past_due=5)
    case.status = CaseStatus.CLOSED
    case.closed_on = today
    case.save()

    segments_assign(on=today)

    assert not CaseStrategy.objects.filter(case=case).exists()


def test_a_segment_with_cases_cannot_be_deleted(today, manager):
    segment = segment_make("Early", max_days_past_due=30)
    case_in_arrears(days_past_due=5)
    segments_assign(on=today)

    with pytest.raises(CollectionError) as refused:
        segment_delete(segment=segment, actor=manager)

    assert str(refused.value) == str(SEGMENT_HAS_CASES % {"count": 1})
    assert Segment.objects.filter(pk=segment.pk, is_active=True).exists()


def test_the_catch_all_cannot_be_given_conditions(manager):
    catch_all = catch_all_segment()
    catch_all.min_days_past_due = 5

    with pytest.raises(CollectionError) as refused:
        segment_save(segment=catch_all, actor=manager)

    assert str(refused.value) == str(CATCH_ALL_NO_CONDITIONS)


def test_the_case_page_says_which_segment_and_why(client, collector, today):
    segment_make("Early", max_days_past_due=30)
    case = case_in_arrears(days_past_due=12, collector=collector)
    segments_assign(on=today)
    client.force_login(collector)

    page = client.get(reverse("collection:case_detail", args=[case.pk])).content.decode()

    assert 'data-testid="case-segment"' in page
    assert "Early" in page
    assert "Days past due 12 (segment: at most 30)" in page
