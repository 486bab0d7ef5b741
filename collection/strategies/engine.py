"""
The strategy engine: the night's steps for every open case, set-based.

For each strategy version that open cases follow, one query selects the
cases where one of its steps is due tonight, and which:

- the case follows that version, is open and not paused (a hold, a live
  promise to pay or an arrangement pause it: `pauses_refresh`);
- the step comes after the last step the case did (`last_step_position`)
  and was not done since the case entered its segment;
- its trigger is reached (days past due ≥ N, or N days since the case
  entered its current stage — the last StageChange to it);
- no later step of the version is due as well: a case that comes into a
  strategy late, or back from a pause, does the step its days call for
  now, not the ones it passed (docs/strategies.md).

That query is the INSERT ... SELECT of the StepExecution rows (unique per
step, case and day, conflicts ignored: a re-run the same night claims
nothing). Then, for each step's batch: the action runs once for the claimed
cases, the cases whose outcome was not the ordinary one get theirs, the
timeline gets one line per case (one INSERT ... SELECT), and
`last_step_position` moves on in one UPDATE.
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
    Stage,
    StageChange,
    StepExecution,
    StepOutcome,
    StepTrigger,
    StrategyStep,
    StrategyVersion,
)
from collection.strategies.actions import StepResult, action_get, failed, skipped
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
# A case placed with an agency is the agency's to work: the lender's own steps skip it (the result
# code says so), but for these, which the placement allows (collection/agencies/).
PLACED_CASE_ACTIONS = frozenset({"place_with_agency", "refer_to_legal", "freeze_credit_line", "cut_credit_line"})
PLACED_SKIP_CODE = "placed_with_agency"


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


def version_candidates(steps: list[StrategyStep], *, on: datetime.date):
    """
    The case states of one version where a step is due on `on`, each with
    `due_step`: the furthest step whose trigger is reached (a CASE over the
    steps, last first), if it comes after the last step done and was not done
    since the case entered its segment. One query for all the version's steps.
    """
    states = _open_states().filter(strategy_version_id=steps[0].version_id, paused_by="")
    if any(step.trigger == StepTrigger.DAYS_IN_STAGE for step in steps):
        states = states.annotate(stage_since=_stage_since())
    furthest = SqlCase(
        *(When(step_due_q(step, on=on), then=Value(step.position)) for step in reversed(steps)),
        default=Value(0),
        output_field=IntegerField(),
    )
    states = states.annotate(due_position=furthest).filter(due_position__gt=F("last_step_position"))
    states = states.annotate(
        due_step=SqlCase(
            *(When(due_position=step.position, then=Value(step.pk)) for step in steps), output_field=IntegerField()
        )
    )
    done = StepExecution.objects.filter(
        step_id=OuterRef("due_step"), case_id=OuterRef("case_id"), executed_on__gte=OuterRef("entered_segment_on")
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


def _executions_claim(steps: list[StrategyStep], candidates, *, on, now) -> dict[int, list[int]]:
    """
    One INSERT ... SELECT of the StepExecution rows of a version's candidates,
    conflicts (the same step, case and day: a re-run, a concurrent run)
    ignored; returns the cases whose row this run wrote (RETURNING) by step:
    the ones to act on.
    """
    done_code = SqlCase(
        *(
            When(due_step=step.pk, then=Value(action.done_code if (action := action_get(step.action)) else "done"))
            for step in steps
        ),
        output_field=CharField(),
    )
    rows = (
        candidates.annotate(
            x_version=Value(steps[0].version_id, output_field=IntegerField()),
            x_on=Value(on, output_field=DateField()),
            x_at=Value(now, output_field=DateTimeField()),
            x_outcome=Value(StepOutcome.DONE, output_field=CharField()),
            x_code=done_code,
            x_data=Value("{}", output_field=CharField()),
        )
        .order_by()
        .values_list(
            "case_id", "due_step", "x_version", "segment_id", "arm", "x_on", "x_at", "x_outcome", "x_code", "x_data"
        )
    )
    select, params = _sql(rows)
    claimed = defaultdict(list)
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {StepExecution._meta.db_table} (case_id, step_id, strategy_version_id, segment_id, arm, "  # noqa: S608
            f"executed_on, executed_at, outcome, result_code, result_data) {select} "
            "ON CONFLICT DO NOTHING RETURNING case_id, step_id",
            params,
        )
        for case_id, step_id in cursor.fetchall():
            claimed[step_id].append(case_id)
    return claimed


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


def _placed_skips(step: StrategyStep, case_ids: list[int]) -> dict[int, StepResult]:
    """The claimed cases in the agency stage, skipped, unless the step's action is one a placed case takes."""
    if step.action in PLACED_CASE_ACTIONS:
        return {}
    placed = []
    for chunk in chunks(case_ids):
        placed += Case.objects.filter(pk__in=chunk, stage=Stage.AGENCY).values_list("pk", flat=True)
    return {case_id: skipped(PLACED_SKIP_CODE) for case_id in placed}


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


def version_run(steps: list[StrategyStep], *, on: datetime.date, now) -> dict[int, dict[str, int]]:
    """A version's due steps for every case: claims them in one statement, then each step's action for its batch."""
    with transaction.atomic():
        claimed = _executions_claim(steps, version_candidates(steps, on=on), on=on, now=now)
    outcomes = {}
    for step in steps:
        if claimed.get(step.pk):
            outcomes[step.pk] = step_finish(step, claimed[step.pk], on=on, now=now)
    return outcomes


def step_finish(step: StrategyStep, claimed: list[int], *, on: datetime.date, now) -> dict[str, int]:
    """The action for the step's batch, the outcomes, the timeline lines, the cases moved on: the counts."""
    with transaction.atomic():
        # Written first: an action reading its batch in SQL takes only the executions still "done".
        skips = _placed_skips(step, claimed)
        _results_write(step, skips, on=on)
        acting = [case_id for case_id in claimed if case_id not in skips]
        acting_set = set(acting)
        results = _action_run(step, acting, on=on, now=now) if acting else {}
        results = {case_id: result for case_id, result in results.items() if case_id in acting_set}
        _results_write(step, results, on=on)
        results.update(skips)
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
    total = len(steps_by_version)
    counts = {"paused_changed": paused, "steps_done": 0, "steps_refused": 0, "steps_skipped": 0, "steps_failed": 0}
    per_step = {}
    for done, version_steps in enumerate(steps_by_version.values(), start=1):
        by_step = {step.pk: step for step in version_steps}
        for step_id, outcomes in version_run(version_steps, on=on, now=now).items():
            for outcome, number in outcomes.items():
                counts[f"steps_{outcome}"] = counts.get(f"steps_{outcome}", 0) + number
            per_step[step_count_key(by_step[step_id])] = sum(outcomes.values())
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
