"""The demo's experiment (collection/strategies/demo_experiments.py): a running challenger with a history to compare."""

import datetime

import pytest
from django.utils import timezone

from collection.models import (
    Arm,
    CaseStatus,
    CaseStrategy,
    CloseOutcome,
    Segment,
    Strategy,
    StrategyStep,
    StrategyVersion,
)
from collection.strategies.arm_report import arm_report
from collection.strategies.arms import arm_for
from collection.strategies.demo_experiments import experiments_demo
from tests.collection.factories import CaseFactory

pytestmark = pytest.mark.django_db

TODAY = datetime.date(2026, 6, 30)
STEPS = (
    (1, "send_message", {"kind": "payment_demand", "channel": "sms"}),
    (3, "queue_call", {"team": "", "boost": 100}),
    (45, "request_visit", {"note": ""}),
)


def strategy(name):
    made = Strategy.objects.create(name=name)
    version = StrategyVersion.objects.create(strategy=made, number=1, created_at=timezone.now())
    StrategyStep.objects.bulk_create(
        StrategyStep(version=version, position=position, trigger_days=days, action=action, params=params)
        for position, (days, action, params) in enumerate(STEPS, start=1)
    )
    made.current_version = version
    made.save(update_fields=["current_version"])
    return made


def cases_in(segment, count, *, first_opened):
    cases = [CaseFactory(opened_on=first_opened + datetime.timedelta(days=index)) for index in range(count)]
    CaseStrategy.objects.bulk_create(
        CaseStrategy(
            case=case,
            segment=segment,
            entered_segment_on=TODAY,
            evaluated_on=TODAY,
            strategy_version=segment.champion.current_version,
        )
        for case in cases
    )
    return cases


@pytest.fixture
def segments():
    small = Segment.objects.create(name="Demo small", priority=5, champion=strategy("Small"))
    large = Segment.objects.create(name="Demo large", priority=6, champion=strategy("Large"))
    cases_in(small, 5, first_opened=datetime.date(2026, 3, 1))
    cases_in(large, 60, first_opened=datetime.date(2026, 2, 1))
    return small, large


def test_the_largest_segment_tries_a_challenger_from_when_its_cases_opened(segments):
    small, large = segments

    counts = experiments_demo(seed=1, today=TODAY)

    large.refresh_from_db()
    small.refresh_from_db()
    assert small.challenger is None
    assert large.challenger.name == "Large (sooner)"
    assert [step.trigger_days for step in large.challenger.current_version.steps.order_by("position")] == [1, 2, 30]
    assert large.challenger_share == 30
    assert large.challenger_since == datetime.date(2026, 2, 1)
    states = list(CaseStrategy.objects.filter(segment=large).select_related("case"))
    assert all(state.entered_segment_on == state.case.opened_on for state in states)
    for state in states:
        assert state.arm == arm_for(segment_id=large.pk, case_id=state.case_id, challenger_share=30)
        expected = large.challenger if state.arm == Arm.CHALLENGER else large.champion
        assert state.strategy_version_id == expected.current_version_id
    challengers = sum(state.arm == Arm.CHALLENGER for state in states)
    assert counts["experiments"] == 1
    assert counts["challenger cases"] == challengers
    assert 0 < challengers < 60
    report = arm_report(segment=large, as_of=TODAY)
    assert report.champion_cases + report.challenger_cases == 60


def test_a_second_run_changes_nothing(segments):
    experiments_demo(seed=1, today=TODAY)
    before = list(CaseStrategy.objects.order_by("case").values_list("case", "arm", "entered_segment_on"))
    counts = experiments_demo(seed=1, today=TODAY)
    assert counts["experiments"] == 1
    assert list(CaseStrategy.objects.order_by("case").values_list("case", "arm", "entered_segment_on")) == before
    assert Strategy.objects.filter(name="Large (sooner)").count() == 1


def test_closed_cases_the_segment_would_have_taken_count_in_its_arms(segments):
    pytest.importorskip("collection.strategies.segments")
    _small, large = segments
    Segment.objects.filter(pk=_small.pk).update(is_active=False)  # only the large one takes cases
    cured = CaseFactory(
        opened_on=datetime.date(2026, 4, 1),
        status=CaseStatus.CLOSED,
        closed_on=datetime.date(2026, 4, 20),
        close_outcome=CloseOutcome.CURED,
    )
    experiments_demo(seed=1, today=TODAY)
    state = CaseStrategy.objects.get(case=cured)
    assert (state.segment, state.entered_segment_on) == (large, datetime.date(2026, 4, 1))


def test_without_segments_the_demo_does_nothing():
    Segment.objects.update(challenger=None)
    assert experiments_demo(seed=1, today=TODAY) == {"experiments": 0}
