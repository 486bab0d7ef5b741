"""
The manager's edits of segments and strategies. A strategy's steps are never
changed in place: saving the editor writes the next `StrategyVersion` with
its steps and makes it current, so every StepExecution keeps pointing at the
version and step it came from. Each edit is audited.
"""

from dataclasses import dataclass

from django.db import transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.services import audit_record
from collection.errors import CollectionError
from collection.models import CaseStrategy, Segment, StepTrigger, Strategy, StrategyStep, StrategyVersion
from collection.strategies.actions import action_get, params_validate
from collection.strategies.segments import CONDITION_COLUMNS, catch_all_segment, segment_has_conditions

SEGMENT_HAS_CASES = _("This segment still has %(count)s open cases: they would have no segment. Deactivate it instead.")
CATCH_ALL_NO_CONDITIONS = _(
    "The last segment takes every case the others leave: it cannot have conditions. Add a new segment instead."
)
CATCH_ALL_STAYS_LAST = _("The catch-all segment stays last.")
CATCH_ALL_NOT_DELETED = _("The catch-all segment cannot be deleted.")
NAME_TAKEN = _("A segment or strategy of that name exists already.")
RANGE_REVERSED = _("%(field)s: the lower bound is above the upper one.")
CHALLENGER_NEEDS_SHARE = _("Give the challenger a share between 1 and 99%, or no challenger.")
CHALLENGER_SAME = _("The challenger must be another strategy than the champion.")
STEPS_REQUIRED = _("A strategy needs at least one step.")
STEP_ACTION_UNKNOWN = _("Step %(position)s: choose an action.")
STEP_DAYS = _("Step %(position)s: the day must be a whole number from 0 to 3650.")
STEP_SETTING = _("Step %(position)s: %(error)s")
STEP_TRIGGER_UNKNOWN = _("Step %(position)s: choose what the days count.")
STEP_ORDER = _("Step %(position)s comes at day %(days)s, before the step above it: order the steps by their day.")


def _open_count(segment: Segment) -> int:
    return CaseStrategy.objects.filter(segment=segment).exclude(case__status="closed").count()


def _segment_data(segment: Segment) -> dict:
    data = {column: getattr(segment, column) for column in CONDITION_COLUMNS}
    for key in ("min_balance", "max_balance"):
        data[key] = str(data[key]) if data[key] is not None else None
    data.update(
        name=segment.name,
        priority=segment.priority,
        is_active=segment.is_active,
        champion=segment.champion_id,
        challenger=segment.challenger_id,
        challenger_share=segment.challenger_share,
    )
    return data


def _segment_check(segment: Segment, *, is_catch_all: bool) -> None:
    if is_catch_all and segment_has_conditions(segment):
        raise CollectionError(CATCH_ALL_NO_CONDITIONS)
    for low, high, label in (
        ("min_days_past_due", "max_days_past_due", _("Days past due")),
        ("min_balance", "max_balance", _("Overdue")),
        ("min_score", "max_score", _("Score")),
    ):
        lower, upper = getattr(segment, low), getattr(segment, high)
        if lower is not None and upper is not None and lower > upper:
            raise CollectionError(RANGE_REVERSED % {"field": label}, field=low)
    if segment.challenger_id is not None:
        if segment.challenger_id == segment.champion_id:
            raise CollectionError(CHALLENGER_SAME, field="challenger")
        if not 1 <= segment.challenger_share <= 99:
            raise CollectionError(CHALLENGER_NEEDS_SHARE, field="challenger_share")
    elif segment.challenger_share:
        segment.challenger_share = 0
    if Segment.objects.filter(name__iexact=segment.name).exclude(pk=segment.pk).exists():
        raise CollectionError(NAME_TAKEN, field="name")


@transaction.atomic
def segment_save(*, segment: Segment, actor) -> Segment:
    """
    Create or change a segment (its fields already set). A new one goes just
    before the catch-all; a challenger newly set starts its comparison today.
    """
    catch_all = catch_all_segment()
    is_new = segment.pk is None
    is_catch_all = catch_all is not None and segment.pk == catch_all.pk
    if is_catch_all:
        segment.is_active = True
    previous = Segment.objects.filter(pk=segment.pk).values("challenger_id", "challenger_share").first()
    _segment_check(segment, is_catch_all=is_catch_all)
    if previous is None or (previous["challenger_id"], previous["challenger_share"]) != (
        segment.challenger_id,
        segment.challenger_share,
    ):
        segment.challenger_since = timezone.localdate() if segment.challenger_id else None
    if is_new:
        if catch_all is None:
            segment.priority = 1000
        else:
            # The catch-all moves one place down to make room before it.
            top = Segment.objects.aggregate(top=Max("priority"))["top"]
            Segment.objects.filter(pk=catch_all.pk).update(priority=top + 1)
            segment.priority = top
        segment.created_by = actor if getattr(actor, "pk", None) else None
    segment.save()
    audit_record(
        action="collection.segment.created" if is_new else "collection.segment.changed",
        target=segment,
        actor=actor,
        data=_segment_data(segment),
    )
    return segment


@transaction.atomic
def segment_delete(*, segment: Segment, actor) -> None:
    segment = Segment.objects.select_for_update().get(pk=segment.pk)
    catch_all = catch_all_segment()
    if catch_all is not None and catch_all.pk == segment.pk:
        raise CollectionError(CATCH_ALL_NOT_DELETED)
    count = _open_count(segment)
    if count:
        raise CollectionError(SEGMENT_HAS_CASES % {"count": count})
    data = _segment_data(segment)
    if segment.case_states.exists() or segment.executions.exists():
        # Closed cases and past steps still name it: it stays, inactive, for the history and the reports.
        segment.is_active = False
        segment.save(update_fields=["is_active", "updated_at"])
        action = "collection.segment.deactivated"
    else:
        segment.delete()
        action = "collection.segment.deleted"
    audit_record(action=action, target=None, actor=actor, data=data)


@transaction.atomic
def segment_move(*, segment: Segment, up: bool, actor) -> bool:
    """Swap the segment with the one above (or below) it; the catch-all stays last. False when nothing moved."""
    ordered = list(Segment.objects.select_for_update().order_by("priority"))
    index = next(i for i, item in enumerate(ordered) if item.pk == segment.pk)
    other = index - 1 if up else index + 1
    last = len(ordered) - 1
    if index == last or other < 0 or other >= last:
        if index == last or other == last:
            raise CollectionError(CATCH_ALL_STAYS_LAST)
        return False
    a, b = ordered[index], ordered[other]
    top = ordered[-1].priority + 1
    a_priority, b_priority = a.priority, b.priority
    Segment.objects.filter(pk=a.pk).update(priority=top)
    Segment.objects.filter(pk=b.pk).update(priority=a_priority)
    Segment.objects.filter(pk=a.pk).update(priority=b_priority)
    audit_record(
        action="collection.segment.moved",
        target=a,
        actor=actor,
        data={"from": a_priority, "to": b_priority, "swapped_with": b.pk},
    )
    return True


# --- Strategies ---------------------------------------------------------------------------------


@dataclass
class StepDraft:
    """One step as the editor sends it."""

    trigger: str
    trigger_days: int | str
    action: str
    params: dict


def steps_validate(drafts: list[StepDraft]) -> list[StrategyStep]:
    """The drafts as unsaved steps, numbered from 1; CollectionError naming the first problem."""
    if not drafts:
        raise CollectionError(STEPS_REQUIRED)
    steps = []
    previous_dpd = None
    for position, draft in enumerate(drafts, start=1):
        if draft.trigger not in StepTrigger.values:
            raise CollectionError(STEP_TRIGGER_UNKNOWN % {"position": position})
        try:
            days = int(draft.trigger_days)
        except (TypeError, ValueError):
            raise CollectionError(STEP_DAYS % {"position": position}) from None
        if not 0 <= days <= 3650:
            raise CollectionError(STEP_DAYS % {"position": position})
        action = action_get(draft.action)
        if action is None:
            raise CollectionError(STEP_ACTION_UNKNOWN % {"position": position})
        params, errors = params_validate(action, draft.params or {})
        if errors:
            raise CollectionError(STEP_SETTING % {"position": position, "error": next(iter(errors.values()))})
        if draft.trigger == StepTrigger.DAYS_PAST_DUE:
            # The engine does the furthest step a case's days call for: steps out of order would never run.
            if previous_dpd is not None and days < previous_dpd:
                raise CollectionError(STEP_ORDER % {"position": position, "days": days})
            previous_dpd = days
        steps.append(
            StrategyStep(
                position=position, trigger=draft.trigger, trigger_days=days, action=draft.action, params=params
            )
        )
    return steps


def _version_write(*, strategy: Strategy, steps: list[StrategyStep], note: str, actor) -> StrategyVersion:
    number = (strategy.versions.aggregate(top=Max("number"))["top"] or 0) + 1
    version = StrategyVersion.objects.create(
        strategy=strategy,
        number=number,
        change_note=(note or "").strip()[:300],
        created_by=actor if getattr(actor, "pk", None) else None,
        created_at=timezone.now(),
    )
    for step in steps:
        step.version = version
    StrategyStep.objects.bulk_create(steps)
    strategy.current_version = version
    strategy.save(update_fields=["current_version"])
    return version


def _steps_data(steps: list[StrategyStep]) -> list[dict]:
    return [
        {"position": s.position, "trigger": s.trigger, "days": s.trigger_days, "action": s.action, "params": s.params}
        for s in steps
    ]


@transaction.atomic
def strategy_create(*, name: str, description: str = "", steps: list[StepDraft], note: str = "", actor) -> Strategy:
    name = (name or "").strip()
    if not name:
        raise CollectionError(_("Give the strategy a name."), field="name")
    if Strategy.objects.filter(name__iexact=name).exists():
        raise CollectionError(NAME_TAKEN, field="name")
    validated = steps_validate(steps)
    strategy = Strategy.objects.create(name=name[:100], description=(description or "").strip()[:300])
    version = _version_write(strategy=strategy, steps=validated, note=note, actor=actor)
    audit_record(
        action="collection.strategy.created",
        target=strategy,
        actor=actor,
        data={"version": version.number, "steps": _steps_data(validated)},
    )
    return strategy


@transaction.atomic
def strategy_version_save(
    *, strategy: Strategy, steps: list[StepDraft], note: str, actor, description: str | None = None
) -> StrategyVersion:
    """
    Save the editor as the strategy's next version (the old ones stay as they
    were). Cases already following an older version keep it until they leave
    their segment; the cases that enter from now on follow this one.
    """
    strategy = Strategy.objects.select_for_update().get(pk=strategy.pk)
    validated = steps_validate(steps)
    if description is not None and description.strip() != strategy.description:
        strategy.description = description.strip()[:300]
        strategy.save(update_fields=["description"])
    version = _version_write(strategy=strategy, steps=validated, note=note, actor=actor)
    audit_record(
        action="collection.strategy.version_saved",
        target=strategy,
        actor=actor,
        data={"version": version.number, "note": version.change_note, "steps": _steps_data(validated)},
    )
    return version
