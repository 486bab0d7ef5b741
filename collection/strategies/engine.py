"""
The strategy engine: the night's steps for every open case, set-based.

For each strategy version that open cases follow, and each of its steps, one
query selects the cases where the step is due tonight:

- the case follows that version, is open and not paused (a hold, a live
  promise to pay or an arrangement pause it: `pauses_refresh`);
- the step comes after the last step the case did (`last_step_position`)
  and was not done since the case entered its segment;
- its trigger is reached (days past due ≥ N, or N days since the case
  entered its current stage — the last StageChange to it);
- no later step of the version is due as well: a case that comes into a
  strategy late, or back from a pause, does the step its days call for
  now, not the ones it passed (docs/strategies.md).

Then, for the whole batch: StepExecution rows are bulk-created (unique per
step, case and day, conflicts ignored: a re-run the same night claims
nothing), the action runs once for the claimed cases, the cases whose
outcome was not the ordinary one get theirs, the timeline gets one line per
case, and `last_step_position` moves on in one UPDATE per chunk.
"""

import datetime
import json
import logging
from collections import defaultdict
from collections.abc import Callable

from django.db import transaction
from django.db.models import Exists, F, OuterRef, Q, Subquery
from django.db.models.functions import Coalesce
from django.utils import timezone

from collection.models import (
    Case,
    CaseEvent,
    CaseStatus,
    CaseStrategy,
    StageChange,
    StepExecution,
    StepOutcome,
    StepTrigger,
    StrategyStep,
    StrategyVersion,
)
from collection.strategies.actions import StepResult, action_get, failed
from lending.sql import chunks

logger = logging.getLogger(__name__)

# Why a case's steps wait, by the case status that says so (collection/services/cases.py derives it).
PAUSES = {
    CaseStatus.ON_HOLD: "hold",
    CaseStatus.PROMISED: "promise",
    CaseStatus.IN_ARRANGEMENT: "arrangement",
}
STEP_DONE_CODE = "strategy_step_done"
STEP_REFUSED_CODE = "strategy_step_refused"


def _open_states():
    return CaseStrategy.objects.exclude(case__status=CaseStatus.CLOSED)


def pauses_refresh() -> int:
    """Set-based: each open case's `paused_by` from its status (held, promised, in an arrangement, or running)."""
    changed = 0
    states = _open_states()
    for status, code in PAUSES.items():
        changed += states.filter(case__status=status).exclude(paused_by=code).update(paused_by=code)
    changed += states.exclude(case__status__in=list(PAUSES)).exclude(paused_by="").update(paused_by="")
    return changed


def _stage_since():
    """The day the case entered its current stage (its last StageChange to it; the day it opened with none)."""
    entered = (
        StageChange.objects.filter(case_id=OuterRef("case_id"), to_stage=OuterRef("case__stage"))
        .order_by("-changed_on", "-id")
        .values("changed_on")[:1]
    )
    return Coalesce(Subquery(entered), F("case__opened_on"))


def step_due_q(step: StrategyStep, *, on: datetime.date) -> Q:
    """The step's trigger is reached (a Q over CaseStrategy; days in stage need the `stage_since` annotation)."""
    if step.trigger == StepTrigger.DAYS_IN_STAGE:
        return Q(stage_since__lte=on - datetime.timedelta(days=step.trigger_days))
    return Q(case__days_past_due__gte=step.trigger_days)


def step_candidates(step: StrategyStep, *, later: list[StrategyStep], on: datetime.date):
    """The case states where `step` is due on `on` (see the module's list)."""
    states = _open_states().filter(
        strategy_version_id=step.version_id, paused_by="", last_step_position__lt=step.position
    )
    if any(s.trigger == StepTrigger.DAYS_IN_STAGE for s in [step, *later]):
        states = states.annotate(stage_since=_stage_since())
    states = states.filter(step_due_q(step, on=on))
    for later_step in later:
        states = states.exclude(step_due_q(later_step, on=on))
    done = StepExecution.objects.filter(
        step_id=step.pk, case_id=OuterRef("case_id"), executed_on__gte=OuterRef("entered_segment_on")
    )
    return states.filter(~Exists(done))


def step_event_data(step: StrategyStep, *, outcome: str, code: str, data: dict) -> dict:
    version = step.version
    return {
        "strategy": version.strategy.name,
        "strategy_id": version.strategy_id,
        "version": version.number,
        "position": step.position,
        "action": step.action,
        "params": step.params or {},
        "outcome": outcome,
        "result": code,
        "result_data": data or {},
    }


def _executions_claim(step: StrategyStep, case_ids: list[int], *, on, now, state_of: dict) -> list[int]:
    action = action_get(step.action)
    done_code = action.done_code if action else "done"
    rows = [
        StepExecution(
            case_id=case_id,
            step_id=step.pk,
            strategy_version_id=step.version_id,
            segment_id=state_of[case_id][0],
            arm=state_of[case_id][1],
            executed_on=on,
            executed_at=now,
            outcome=StepOutcome.DONE,
            result_code=done_code,
        )
        for case_id in case_ids
    ]
    StepExecution.objects.bulk_create(rows, ignore_conflicts=True, batch_size=2000)
    # Ours are those written at this run's moment: a concurrent run's rows (or an earlier run's) are not.
    return list(
        StepExecution.objects.filter(step_id=step.pk, executed_on=on, executed_at=now).values_list("case_id", flat=True)
    )


def _action_run(step: StrategyStep, case_ids: list[int], *, on, now) -> dict[int, StepResult]:
    action = action_get(step.action)
    if action is None:
        return {case_id: failed("action_unavailable", action=step.action) for case_id in case_ids}
    try:
        with transaction.atomic():
            return action.run(case_ids=case_ids, step=step, on=on, now=now) or {}
    except Exception:
        # An action that breaks fails its batch (rolled back, recorded), not the whole night.
        logger.exception("strategy step %s failed for %d cases", step.pk, len(case_ids))
        return {case_id: failed("action_error") for case_id in case_ids}


def _results_write(step: StrategyStep, results: dict[int, StepResult], *, on) -> None:
    grouped = defaultdict(list)
    for case_id, result in results.items():
        grouped[(result.outcome, result.code, json.dumps(result.data or {}, sort_keys=True))].append(case_id)
    for (outcome, code, data), case_ids in grouped.items():
        for chunk in chunks(case_ids):
            StepExecution.objects.filter(step_id=step.pk, executed_on=on, case_id__in=chunk).update(
                outcome=outcome, result_code=code, result_data=json.loads(data)
            )


def _events_write(step: StrategyStep, case_ids: list[int], results: dict[int, StepResult], *, now) -> None:
    action = action_get(step.action)
    kind = action.event_kind if action else "status"
    done_code = action.done_code if action else "done"
    events = []
    for case_id in case_ids:
        result = results.get(case_id) or StepResult(StepOutcome.DONE, done_code, {})
        code = STEP_REFUSED_CODE if result.outcome == StepOutcome.REFUSED else STEP_DONE_CODE
        events.append(
            CaseEvent(
                case_id=case_id,
                occurred_at=now,
                kind=kind,
                code=code,
                data=step_event_data(step, outcome=result.outcome, code=result.code, data=result.data),
            )
        )
    CaseEvent.objects.bulk_create(events, batch_size=2000)


def step_run(step: StrategyStep, *, later: list[StrategyStep], on: datetime.date, now) -> dict[str, int]:
    """One step for every case where it is due: returns the outcomes' counts."""
    states = step_candidates(step, later=later, on=on).values_list("case_id", "segment_id", "arm")
    state_of = {case_id: (segment_id, arm) for case_id, segment_id, arm in states}
    if not state_of:
        return {}
    with transaction.atomic():
        claimed = _executions_claim(step, list(state_of), on=on, now=now, state_of=state_of)
        if not claimed:
            return {}
        results = _action_run(step, claimed, on=on, now=now)
        results = {case_id: result for case_id, result in results.items() if case_id in state_of}
        _results_write(step, results, on=on)
        _events_write(step, claimed, results, now=now)
        for chunk in chunks(claimed):
            CaseStrategy.objects.filter(case_id__in=chunk, strategy_version_id=step.version_id).update(
                last_step_position=step.position
            )
    counts = defaultdict(int)
    for case_id in claimed:
        result = results.get(case_id)
        counts[result.outcome if result else StepOutcome.DONE] += 1
    return dict(counts)


def step_count_key(step: StrategyStep) -> str:
    """How the night's counts name a step: "<strategy> v<version> #<position> <action>"."""
    return f"{step.version.strategy.name} v{step.version.number} #{step.position} {step.action}"


def strategies_run(*, on: datetime.date, progress: Callable[[int, int], None] | None = None) -> dict:
    """
    Every due step of every strategy for the night of `on`. Returns the
    night's counts: the outcomes in all and the cases each step took. Run
    twice the same night, the second run does nothing.
    """
    now = timezone.now()
    paused = pauses_refresh()
    version_ids = set(
        _open_states().filter(strategy_version__isnull=False).values_list("strategy_version_id", flat=True).distinct()
    )
    steps_by_version = defaultdict(list)
    steps = (
        StrategyStep.objects.filter(version_id__in=version_ids)
        .select_related("version__strategy")
        .order_by("version_id", "position")
    )
    for step in steps:
        steps_by_version[step.version_id].append(step)
    total = sum(len(steps) for steps in steps_by_version.values())
    counts = {"paused_changed": paused, "steps_done": 0, "steps_refused": 0, "steps_skipped": 0, "steps_failed": 0}
    per_step = {}
    done = 0
    for version_steps in steps_by_version.values():
        for index, step in enumerate(version_steps):
            outcomes = step_run(step, later=version_steps[index + 1 :], on=on, now=now)
            for outcome, number in outcomes.items():
                counts[f"steps_{outcome}"] = counts.get(f"steps_{outcome}", 0) + number
            if outcomes:
                per_step[step_count_key(step)] = sum(outcomes.values())
            done += 1
            if progress is not None:
                progress(done, total)
    counts["by_step"] = per_step
    return counts


def next_step(
    state: CaseStrategy, case: Case, *, on: datetime.date
) -> tuple[StrategyStep | None, datetime.date | None]:
    """The case's next step and the day it falls due (for the case page), or (None, None)."""
    if state.strategy_version_id is None:
        return None, None
    step = (
        StrategyStep.objects.filter(version_id=state.strategy_version_id, position__gt=state.last_step_position)
        .order_by("position")
        .first()
    )
    if step is None:
        return None, None
    if step.trigger == StepTrigger.DAYS_IN_STAGE:
        since = (
            StageChange.objects.filter(case=case, to_stage=case.stage)
            .order_by("-changed_on", "-id")
            .values_list("changed_on", flat=True)
            .first()
        ) or case.opened_on
        due = since + datetime.timedelta(days=step.trigger_days)
    else:
        due = on + datetime.timedelta(days=max(step.trigger_days - case.days_past_due, 0))
    return step, max(due, on)


def versions_in_use() -> list[StrategyVersion]:
    return list(StrategyVersion.objects.filter(case_states__isnull=False).distinct())
