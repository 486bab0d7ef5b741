"""The case page's "Segment and strategy" section: segment and why, arm, version, pause, next step, steps done."""

from django.utils import timezone

from collection.models import CaseStrategy, StepExecution
from collection.strategies.engine import next_step
from collection.strategies.segments import segment_why
from collection.strategies.texts import outcome_text, step_label

STEPS_SHOWN = 20


def case_strategy_section(request, case) -> dict | None:
    state = CaseStrategy.objects.select_related("segment", "strategy_version__strategy").filter(case=case).first()
    if state is None:
        return None
    today = timezone.localdate()
    step, due_on = (None, None) if case.is_closed else next_step(state, case, on=today)
    executions = (
        StepExecution.objects.filter(case=case)
        .select_related("step", "strategy_version__strategy", "segment")
        .order_by("-executed_at", "-id")[:STEPS_SHOWN]
    )
    done = [
        {
            "on": execution.executed_on,
            "strategy": execution.strategy_version.strategy.name,
            "version": execution.strategy_version.number,
            "position": execution.step.position,
            "action": step_label(execution.step.action, execution.step.params),
            "outcome": execution.outcome,
            "outcome_label": execution.get_outcome_display(),
            "result": outcome_text(execution.outcome, execution.result_code, execution.result_data),
            "arm": execution.get_arm_display(),
        }
        for execution in executions
    ]
    return {
        "state": state,
        "why": segment_why(state.segment, state.segment_facts),
        "has_challenger": state.segment.challenger_id is not None,
        "next_step": step,
        "next_step_label": step_label(step.action, step.params) if step else "",
        "next_due_on": due_on,
        "done": done,
    }
