"""
The demo's champion/challenger experiment (make demo → seed_demo_automation,
after strategies_demo). If no demo segment runs a challenger yet, the largest
one gets a challenger strategy (its champion's steps, each a third sooner)
on 30% of its cases. Then the experiment is dated back to when its cases
opened: each case's `entered_segment_on` becomes its opening day, its arm is
the stable hash's, and the closed cases that would have been in the segment
are put back in it, so the arms' history (contacts, promises, payments, cures
the demo's earlier loaders wrote) gives the report real figures on its first
day.
"""

import datetime

from django.db import transaction
from django.db.models import Count, Exists, IntegerField, OuterRef, Value

from collection.models import (
    Arm,
    Case,
    CaseStatus,
    CaseStrategy,
    Segment,
    StepTrigger,
    Strategy,
    StrategyStep,
    StrategyVersion,
)
from collection.strategies.arms import arm_for
from collection.strategies.experiments import experiment_start

DEMO_SHARE = 30
CHUNK = 2000


def _chunks(ids: list[int]):
    for start in range(0, len(ids), CHUNK):
        yield ids[start : start + CHUNK]


def _challenger_of(champion: Strategy) -> Strategy:
    """The champion's steps, those counted in days past due each a third sooner: "the same, but earlier"."""
    name = f"{champion.name} (sooner)"[:100]
    existing = Strategy.objects.filter(name=name, current_version__isnull=False).first()
    if existing is not None:
        return existing
    steps = list(champion.current_version.steps.order_by("position"))
    sooner = [
        {
            "trigger": step.trigger,
            "trigger_days": step.trigger_days - step.trigger_days // 3
            if step.trigger == StepTrigger.DAYS_PAST_DUE
            else step.trigger_days,
            "action": step.action,
            "params": step.params,
        }
        for step in steps
    ]
    description = f"{champion.name}, each step a third sooner (demo challenger)"
    try:  # part C's service, so the strategy is made as the editor makes it (validated, audited)
        from collection.strategies.services import StepDraft, strategy_create
    except ImportError:
        StepDraft = strategy_create = None  # noqa: N806
    if strategy_create is not None:
        return strategy_create(
            name=name,
            description=description,
            steps=[StepDraft(**draft) for draft in sooner],
            note="demo challenger",
            actor=None,
        )
    from django.utils import timezone

    strategy = Strategy.objects.create(name=name, description=description)
    version = StrategyVersion.objects.create(strategy=strategy, number=1, created_at=timezone.now())
    StrategyStep.objects.bulk_create(
        StrategyStep(version=version, position=position, **draft) for position, draft in enumerate(sooner, start=1)
    )
    strategy.current_version = version
    strategy.save(update_fields=["current_version"])
    return strategy


def _largest_segment() -> Segment | None:
    """The segment with the most open cases whose strategy has steps to try a challenger against."""
    return (
        Segment.objects.filter(champion__current_version__isnull=False, is_active=True)
        .annotate(cases=Count("case_states"))
        .filter(cases__gt=0)
        .order_by("-cases", "priority")
        .first()
    )


def _closed_cases_put_back(segment: Segment) -> int:
    """The closed cases the segment's conditions would have taken (in segment order), entered when they opened."""
    try:
        from collection.strategies.segments import segment_target, segments_in_order
    except ImportError:
        return 0
    segments = segments_in_order()
    if not segments:
        return 0
    closed = (
        Case.objects.filter(status=CaseStatus.CLOSED)
        .filter(~Exists(CaseStrategy.objects.filter(case_id=OuterRef("pk"))))
        .annotate(target=segment_target(segments))
        .filter(target=Value(segment.pk, output_field=IntegerField()))
        .values_list("pk", "opened_on")
    )
    rows = [
        CaseStrategy(
            case_id=case_id,
            segment=segment,
            entered_segment_on=opened_on,
            evaluated_on=opened_on,
            arm=Arm.CHAMPION,
            strategy_version_id=segment.champion.current_version_id,
        )
        for case_id, opened_on in closed
    ]
    CaseStrategy.objects.bulk_create(rows, batch_size=CHUNK)
    return len(rows)


def _backdate(segment: Segment) -> dict:
    put_back = _closed_cases_put_back(segment)
    states = list(
        CaseStrategy.objects.filter(segment=segment).values_list("case_id", "case__opened_on", "entered_segment_on")
    )
    if not states:
        return {"cases": 0, "challenger cases": 0, "closed cases put back": put_back}
    by_opening: dict[datetime.date, list[int]] = {}
    for case_id, opened_on, entered_on in states:
        if opened_on != entered_on:
            by_opening.setdefault(opened_on, []).append(case_id)
    for opened_on, case_ids in by_opening.items():
        for chunk in _chunks(case_ids):
            CaseStrategy.objects.filter(case_id__in=chunk).update(entered_segment_on=opened_on)
    challengers = [
        case_id
        for case_id, _opened, _entered in states
        if arm_for(segment_id=segment.pk, case_id=case_id, challenger_share=segment.challenger_share) == Arm.CHALLENGER
    ]
    champions = sorted({case_id for case_id, _opened, _entered in states} - set(challengers))
    for arm, case_ids, strategy in (
        (Arm.CHALLENGER, challengers, segment.challenger),
        (Arm.CHAMPION, champions, segment.champion),
    ):
        for chunk in _chunks(case_ids):
            CaseStrategy.objects.filter(case_id__in=chunk).exclude(arm=arm).update(
                arm=arm, strategy_version_id=strategy.current_version_id
            )
    since = min(opened_on for _case, opened_on, _entered in states)
    Segment.objects.filter(pk=segment.pk).update(challenger_since=since)
    return {"cases": len(states), "challenger cases": len(challengers), "closed cases put back": put_back}


@transaction.atomic
def experiments_demo(*, seed: int, today) -> dict:
    """Give a demo segment a running challenger with a history to compare; returns counts."""
    running = list(
        Segment.objects.filter(challenger__isnull=False, champion__isnull=False).select_related(
            "champion", "challenger"
        )
    )
    if not running:
        segment = _largest_segment()
        if segment is None:
            return {"experiments": 0}
        challenger = _challenger_of(segment.champion)
        running = [experiment_start(segment=segment, challenger=challenger, share=DEMO_SHARE, actor=None, today=today)]
    counts = {"experiments": len(running)}
    for segment in running:
        for what, count in _backdate(segment).items():
            counts[what] = counts.get(what, 0) + count
    return counts
