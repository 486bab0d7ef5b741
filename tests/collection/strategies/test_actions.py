"""Each built-in action, run by the engine for a batch: what it writes, and that a re-run writes nothing more."""

import pytest

from collection.compliance import Rule
from collection.models import (
    Case,
    CaseEvent,
    ContactRefusal,
    FieldVisit,
    MessageOrigin,
    MessageStatus,
    OutboundMessage,
    Stage,
    StageChange,
    StepExecution,
    StepOutcome,
)
from collection.priority import priority_score
from collection.strategies import strategies_nightly, strategy_message_relevance
from collection.strategies.actions import actions_available
from collection.strategies.builtin import credit_lines_available
from tests.collection.factories import case_in_arrears
from tests.collection.strategies.factories import SMS_DEMAND, segment_make, step, strategy_make
from tests.factories import TeamFactory
from tests.lending.factories import ContactPointFactory

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("morning")]


def one_step(*steps):
    strategy = strategy_make("Test", *steps)
    segment_make("Everyone", champion=strategy, max_days_past_due=365)
    return strategy


def test_send_message_queues_one_row_per_case_with_the_step_key(today):
    strategy = one_step(step(1, "send_message", **SMS_DEMAND))
    cases = [case_in_arrears(days_past_due=2) for _ in range(3)]

    strategies_nightly(today)
    strategies_nightly(today)

    step_id = strategy.current_version.steps.get().pk
    messages = OutboundMessage.objects.order_by("case_id")
    assert [m.idempotency_key for m in messages] == [f"step:{step_id}:{c.pk}:{today.isoformat()}" for c in cases]
    message = messages[0]
    assert (message.origin, message.kind, message.channel, message.status) == (
        MessageOrigin.STRATEGY,
        "payment_demand",
        "sms",
        MessageStatus.QUEUED,
    )
    assert message.strategy_step_id == step_id and message.contact_point.kind == "mobile"
    assert message.account == cases[0].case_accounts.get().account
    assert message.body == ""  # rendered when it is sent


def test_a_borrower_without_a_mobile_is_skipped(today):
    one_step(step(1, "send_message", **SMS_DEMAND))
    case = case_in_arrears(days_past_due=2)
    case.borrower.contact_points.all().delete()

    strategies_nightly(today)

    execution = StepExecution.objects.get(case=case)
    assert (execution.outcome, execution.result_code) == (StepOutcome.SKIPPED, "no_contact_point")
    assert not OutboundMessage.objects.exists()


def test_a_strategy_message_of_a_closed_case_is_no_longer_relevant(today):
    one_step(step(1, "send_message", **SMS_DEMAND))
    case = case_in_arrears(days_past_due=2)
    strategies_nightly(today)
    message = OutboundMessage.objects.get()
    assert strategy_message_relevance(message) is None

    Case.objects.filter(pk=case.pk).update(status="closed", closed_on=today)

    assert strategy_message_relevance(message) == "case_closed"


def test_queue_for_a_call_boosts_the_priority_and_moves_the_team(today, collector):
    other_team = TeamFactory(name="Late team")
    one_step(step(1, "queue_call", boost=120, team=str(other_team.pk)))
    case = case_in_arrears(days_past_due=2, collector=collector)
    before = priority_score(Case.objects.get(pk=case.pk), today=today)

    strategies_nightly(today)

    case.refresh_from_db()
    assert case.strategy_priority_boost == 120
    assert case.team == other_team
    assert priority_score(case, today=today) == before + 120
    assert case.next_action_at is not None


def test_request_a_field_visit(today, case):
    ContactPointFactory(borrower=case.borrower, kind="home_address", value="8 Garden Road, Pudong")
    one_step(step(1, "request_visit"))

    strategies_nightly(today)

    visit = FieldVisit.objects.get(case=case)
    assert visit.requested_by is None and visit.reason == "Test v1 #1"
    assert StepExecution.objects.get(case=case).result_code == "visit_requested"


def test_a_visit_the_guard_refuses_is_recorded_as_refused(today, case):
    ContactPointFactory(borrower=case.borrower, kind="home_address", value="8 Garden Road, Pudong")
    case.borrower.is_deceased = True
    case.borrower.save()
    one_step(step(1, "request_visit"))

    strategies_nightly(today)

    execution = StepExecution.objects.get(case=case)
    assert execution.outcome == StepOutcome.REFUSED and execution.result_data["rule"] == Rule.BORROWER_FLAG
    assert ContactRefusal.objects.filter(case=case).exists()
    assert not FieldVisit.objects.filter(case=case).exists()
    assert CaseEvent.objects.get(case=case, code="strategy_step_refused")


def test_move_stage_records_the_change_and_its_line(today):
    one_step(step(1, "move_stage", stage=Stage.FIELD))
    case = case_in_arrears(days_past_due=2)

    strategies_nightly(today)

    case.refresh_from_db()
    assert case.stage == Stage.FIELD
    change = StageChange.objects.filter(case=case).latest("id")
    assert (change.from_stage, change.to_stage, change.changed_on) == (Stage.EARLY, Stage.FIELD, today)
    assert CaseEvent.objects.filter(case=case, code="stage_changed", data__to=Stage.FIELD).exists()


def test_the_registry_lists_legal_s_actions_and_the_credit_line_ones_only_when_lending_has_them():
    codes = [action.code for action in actions_available()]
    assert {"send_message", "queue_call", "request_visit", "move_stage", "generate_letter", "refer_to_legal"} <= set(
        codes
    )
    assert ("freeze_credit_line" in codes) == credit_lines_available()


@pytest.mark.skipif(not credit_lines_available(), reason="lending's credit-line services are not there yet")
def test_freeze_and_cut_the_credit_line(today):
    from lending.models import CreditLimitChange

    strategy = strategy_make("Lines", step(1, "freeze_credit_line"))
    segment_make("Frozen", champion=strategy, max_days_past_due=10)
    cutter = strategy_make("Cuts", step(1, "cut_credit_line", keep_percent=50))
    segment_make("Cut", champion=cutter, min_days_past_due=11)
    frozen = case_in_arrears(days_past_due=2)
    cut = case_in_arrears(days_past_due=20)
    cut_account = cut.case_accounts.get().account
    limit = cut_account.credit_limit

    strategies_nightly(today)

    assert StepExecution.objects.get(case=frozen).outcome == StepOutcome.DONE
    assert CreditLimitChange.objects.filter(account=frozen.case_accounts.get().account).exists()
    assert StepExecution.objects.get(case=cut).outcome == StepOutcome.DONE
    cut_account.refresh_from_db()
    assert cut_account.credit_limit == (limit * 50 / 100).quantize(limit)
