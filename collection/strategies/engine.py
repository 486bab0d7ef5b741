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

from django.db import connection, transaction
from django.db.models import Case as SqlCase
from django.db.models import (
    CharField,
    DateField,
    DateTimeField,
    Exists,
    F,
    Func,
    IntegerField,
    JSONField,
    OuterRef,
    Q,
    Subquery,
    Value,
    When,
)
from django.db.models.functions import Cast, Coalesce, JSONObject
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
    """
    Set-based, one UPDATE: each open case's `paused_by` from its status (held,
    promised, in an arrangement, or running), written only where it changes.
    """
    table, cases = CaseStrategy._meta.db_table, Case._meta.db_table
    pause = "CASE c.status " + " ".join(f"WHEN '{status}' THEN '{code}'" for status, code in PAUSES.items())
    pause += " ELSE '' END"
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {table} SET paused_by = {pause} FROM {cases} c "  # noqa: S608 (our tables and constants)
            f"WHERE c.id = {table}.case_id AND c.status <> '{CaseStatus.CLOSED}' AND {table}.paused_by <> {pause}"
        )
        return max(cursor.rowcount, 0)


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


def _sql(queryset) -> tuple[str, tuple]:
    return queryset.query.get_compiler(using=queryset.db).as_sql()


def _executions_claim(step: StrategyStep, candidates, *, on, now) -> list[int]:
    """
    One INSERT ... SELECT of the StepExecution rows of the candidates, conflicts
    (the same step, case and day: a re-run, a concurrent run) ignored; returns
    the cases whose row this run wrote (RETURNING), the ones it is to act on.
    """
    action = action_get(step.action)
    rows = (
        candidates.annotate(
            x_step=Value(step.pk, output_field=IntegerField()),
            x_version=Value(step.version_id, output_field=IntegerField()),
            x_on=Value(on, output_field=DateField()),
            x_at=Value(now, output_field=DateTimeField()),
            x_outcome=Value(StepOutcome.DONE, output_field=CharField()),
            x_code=Value(action.done_code if action else "done", output_field=CharField()),
            x_data=Value("{}", output_field=CharField()),
        )
        .order_by()
        .values_list(
            "case_id", "x_step", "x_version", "segment_id", "arm", "x_on", "x_at", "x_outcome", "x_code", "x_data"
        )
    )
    select, params = _sql(rows)
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {StepExecution._meta.db_table} (case_id, step_id, strategy_version_id, segment_id, arm, "  # noqa: S608
            f"executed_on, executed_at, outcome, result_code, result_data) {select} "
            "ON CONFLICT DO NOTHING RETURNING case_id",
            params,
        )
        return [case_id for (case_id,) in cursor.fetchall()]


def step_executions_of_run(step: StrategyStep, *, on, now):
    """This run's executions of the step (written at its moment)."""
    return StepExecution.objects.filter(step_id=step.pk, executed_on=on, executed_at=now)


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


def _json_sql(expression):
    """A JSON value inside a JSON object built in SQL: as it is on PostgreSQL, parsed from its text on SQLite."""
    if connection.vendor == "postgresql":
        return Cast(expression, JSONField())
    return Func(expression, function="JSON", output_field=JSONField())


def _events_write(step: StrategyStep, *, on, now) -> int:
    """One INSERT ... SELECT: a timeline line for each of this run's executions of the step, with its outcome."""
    action = action_get(step.action)
    facts = step_event_data(step, outcome="", code="", data={})
    rows = (
        step_executions_of_run(step, on=on, now=now)
        .annotate(
            x_at=Value(now, output_field=DateTimeField()),
            x_kind=Value(action.event_kind if action else "status", output_field=CharField()),
            x_code=SqlCase(
                When(outcome=StepOutcome.REFUSED, then=Value(STEP_REFUSED_CODE)),
                default=Value(STEP_DONE_CODE),
                output_field=CharField(),
            ),
            x_empty=Value("", output_field=CharField()),
            x_data=JSONObject(
                strategy=Value(facts["strategy"], output_field=CharField()),
                strategy_id=Value(facts["strategy_id"], output_field=IntegerField()),
                version=Value(facts["version"], output_field=IntegerField()),
                position=Value(facts["position"], output_field=IntegerField()),
                action=Value(facts["action"], output_field=CharField()),
                params=_json_sql(Value(json.dumps(facts["params"]), output_field=CharField())),
                outcome=F("outcome"),
                result=F("result_code"),
                result_data=_json_sql(F("result_data")),
            ),
        )
        .order_by()
        .values_list("case_id", "x_at", "x_kind", "x_code", "x_empty", "x_data", "x_empty")
    )
    select, params = _sql(rows)
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {CaseEvent._meta.db_table} (case_id, occurred_at, kind, code, notes, data, summary) "  # noqa: S608
            f"{select}",
            params,
        )
        return cursor.rowcount


def step_run(step: StrategyStep, *, later: list[StrategyStep], on: datetime.date, now) -> dict[str, int]:
    """One step for every case where it is due: returns the outcomes' counts."""
    with transaction.atomic():
        claimed = _executions_claim(step, step_candidates(step, later=later, on=on), on=on, now=now)
        if not claimed:
            return {}
        claimed_set = set(claimed)
        results = _action_run(step, claimed, on=on, now=now)
        results = {case_id: result for case_id, result in results.items() if case_id in claimed_set}
        _results_write(step, results, on=on)
        _events_write(step, on=on, now=now)
        CaseStrategy.objects.filter(
            case_id__in=step_executions_of_run(step, on=on, now=now).values("case_id"),
            strategy_version_id=step.version_id,
        ).update(last_step_position=step.position)
    counts = defaultdict(int)
    for result in results.values():
        counts[result.outcome] += 1
    counts[StepOutcome.DONE] += len(claimed) - len(results)
    return {outcome: number for outcome, number in counts.items() if number}


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
    # The versions some case follows (a semi-join on the index, not a DISTINCT over every case).
    version_ids = set(
        StrategyVersion.objects.filter(
            Exists(
                CaseStrategy.objects.filter(strategy_version_id=OuterRef("pk")).exclude(case__status=CaseStatus.CLOSED)
            )
        ).values_list("pk", flat=True)
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
