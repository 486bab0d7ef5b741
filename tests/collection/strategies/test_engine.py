"""The night's steps: due steps only, once; holds and promises pause; a broken promise resumes; versions kept."""

import datetime

import pytest
from django.urls import reverse

from collection.models import (
    CaseEvent,
    CaseStatus,
    CaseStrategy,
    HoldKind,
    OutboundMessage,
    PromiseStatus,
    StepExecution,
    StepOutcome,
    StrategyStep,
)
from collection.strategies import strategies_nightly
from collection.strategies.engine import strategies_run
from collection.strategies.segments import segments_assign
from collection.strategies.services import strategy_version_save
from tests.collection.factories import HoldFactory, PromiseToPayFactory, case_in_arrears
from tests.collection.strategies.factories import SMS_DEMAND, segment_make, step, strategy_make

pytestmark = pytest.mark.django_db


@pytest.fixture
def early(db):
    strategy = strategy_make(
        "Early",
        step(1, "send_message", **SMS_DEMAND),
        step(3, "queue_call", boost=40),
        step(20, "move_stage", stage="late"),
    )
    segment_make("Early", champion=strategy, max_days_past_due=30)
    return strategy


def _night(case, days, on):
    case.days_past_due = days
    case.save(update_fields=["days_past_due"])
    return strategies_nightly(on)


def _positions(case):
    return list(
        StepExecution.objects.filter(case=case).order_by("executed_at", "id").values_list("step__position", flat=True)
    )


def test_the_due_step_runs_once_and_the_next_when_its_day_comes(early, today):
    case = case_in_arrears(days_past_due=1)

    first = _night(case, 1, today)
    again = strategies_nightly(today)
    _night(case, 2, today + datetime.timedelta(days=1))
    _night(case, 3, today + datetime.timedelta(days=2))

    assert first["steps_done"] == 1 and first["by_step"] == {"Early v1 #1 send_message": 1}
    assert again["steps_done"] == 0
    assert _positions(case) == [1, 2]
    assert CaseStrategy.objects.get(case=case).last_step_position == 2


def test_a_case_that_comes_in_late_does_the_step_its_days_call_for(early, today):
    case = case_in_arrears(days_past_due=5)

    strategies_nightly(today)

    assert _positions(case) == [2]  # the call, not the day-1 message it passed
    assert not OutboundMessage.objects.filter(case=case).exists()


def test_a_hold_pauses_the_steps(early, today):
    case = case_in_arrears(days_past_due=1)
    HoldFactory(case=case, kind=HoldKind.DISPUTE)
    case.status = CaseStatus.ON_HOLD
    case.save()

    counts = strategies_nightly(today)

    assert counts["steps_done"] == 0
    assert CaseStrategy.objects.get(case=case).paused_by == "hold"
    assert not StepExecution.objects.filter(case=case).exists()


def test_a_promise_pauses_and_a_broken_promise_resumes_at_the_next_step(early, today):
    case = case_in_arrears(days_past_due=1)
    strategies_nightly(today)  # step 1
    promise = PromiseToPayFactory(case=case)
    case.status = CaseStatus.PROMISED
    case.save()

    paused = _night(case, 3, today + datetime.timedelta(days=2))
    assert paused["steps_done"] == 0
    assert CaseStrategy.objects.get(case=case).paused_by == "promise"

    promise.status = PromiseStatus.BROKEN
    promise.save()
    case.status = CaseStatus.OPEN
    case.save()
    resumed = _night(case, 6, today + datetime.timedelta(days=5))

    assert resumed["steps_done"] == 1
    assert _positions(case) == [1, 2]
    assert CaseStrategy.objects.get(case=case).paused_by == ""


def test_editing_a_strategy_keeps_old_executions_on_the_old_version(early, today, manager):
    case = case_in_arrears(days_past_due=1)
    strategies_nightly(today)
    old_version = early.current_version

    strategy_version_save(strategy=early, steps=[step(1, "queue_call", boost=10)], note="Call first", actor=manager)

    early.refresh_from_db()
    execution = StepExecution.objects.get(case=case)
    assert early.current_version.number == 2
    assert execution.strategy_version == old_version
    assert execution.step.version == old_version
    assert StrategyStep.objects.filter(version=old_version).count() == 3
    # The case keeps following the version it entered with; a new case follows v2.
    newcomer = case_in_arrears(days_past_due=1)
    strategies_nightly(today)
    assert CaseStrategy.objects.get(case=case).strategy_version == old_version
    assert StepExecution.objects.get(case=newcomer).strategy_version == early.current_version


def test_each_execution_records_version_segment_arm_and_outcome(early, today):
    case = case_in_arrears(days_past_due=1)

    strategies_nightly(today)

    execution = StepExecution.objects.get(case=case)
    state = CaseStrategy.objects.get(case=case)
    assert (execution.strategy_version_id, execution.segment_id, execution.arm) == (
        state.strategy_version_id,
        state.segment_id,
        state.arm,
    )
    assert (execution.outcome, execution.result_code) == (StepOutcome.DONE, "message_queued")


def test_a_collector_sees_the_step_on_the_timeline(early, today, client, collector):
    case = case_in_arrears(days_past_due=1, collector=collector)
    strategies_nightly(today)
    client.force_login(collector)

    page = client.get(reverse("collection:case_detail", args=[case.pk])).content.decode()

    event = CaseEvent.objects.get(case=case, code="strategy_step_done")
    assert event.data["version"] == 1 and event.data["position"] == 1
    assert "Strategy Early v1, step 1: SMS: Request to pay the overdue amount — queued for sending" in page


def test_the_timeline_line_reads_in_chinese(early, today):
    from django.utils import translation

    from collection.timeline import event_text

    case = case_in_arrears(days_past_due=1)
    strategies_nightly(today)
    event = CaseEvent.objects.get(case=case, code="strategy_step_done")

    with translation.override("zh-hans"):
        chinese = event_text(event)
    with translation.override("en"):
        english = event_text(event)

    assert english.startswith("Strategy Early v1, step 1")
    assert chinese  # rendered, never the stored fallback
    assert event.summary == ""


def test_a_closed_case_does_nothing(early, today):
    case = case_in_arrears(days_past_due=1)
    segments_assign(on=today)
    case.status = CaseStatus.CLOSED
    case.closed_on = today
    case.save()

    assert strategies_run(on=today)["steps_done"] == 0
