"""Reads for the segment and strategy pages: annotated lists, a few queries whatever their length."""

from django.db.models import Count, Q
from django.shortcuts import get_object_or_404

from collection.models import CaseStatus, Segment, Strategy, StrategyStep, StrategyVersion
from collection.strategies.segments import segment_has_conditions
from collection.strategies.texts import step_label


def segment_rows() -> list[dict]:
    """The segments in the order they are tried, each with its open cases (one query for all)."""
    segments = list(
        Segment.objects.select_related("champion__current_version", "challenger__current_version")
        .annotate(
            open_cases=Count("case_states", filter=~Q(case_states__case__status=CaseStatus.CLOSED)),
        )
        .order_by("priority")
    )
    rows = []
    for index, segment in enumerate(segments):
        rows.append(
            {
                "segment": segment,
                "is_catch_all": index == len(segments) - 1,
                "is_first": index == 0,
                "is_before_catch_all": index == len(segments) - 2,
                "conditions": segment_conditions_text(segment),
            }
        )
    return rows


def segment_conditions_text(segment: Segment) -> list[str]:
    """The conditions as the list shows them (the catch-all: none)."""
    from django.utils.translation import gettext as _

    if not segment_has_conditions(segment):
        return []
    parts = []

    def bounds(label, low, high):
        if low is not None and high is not None:
            parts.append(f"{label} {low}–{high}")
        elif low is not None:
            parts.append(f"{label} ≥ {low}")
        elif high is not None:
            parts.append(f"{label} ≤ {high}")

    bounds(_("Days past due"), segment.min_days_past_due, segment.max_days_past_due)
    if segment.buckets:
        parts.append(_("Buckets %(list)s") % {"list": ", ".join(segment.buckets)})
    if segment.product_ids:
        parts.append(_("%(count)s products") % {"count": len(segment.product_ids)})
    bounds(_("Overdue"), segment.min_balance, segment.max_balance)
    if segment.provinces:
        parts.append(_("Provinces %(list)s") % {"list": ", ".join(segment.provinces)})
    if segment.reasons:
        parts.append(_("%(count)s reasons") % {"count": len(segment.reasons)})
    if segment.stages:
        parts.append(_("Stages %(list)s") % {"list": ", ".join(segment.stages)})
    if segment.risk_grades:
        parts.append(_("Risk grades %(list)s") % {"list": ", ".join(segment.risk_grades)})
    bounds(_("Score"), segment.min_score, segment.max_score)
    return parts


def strategy_rows() -> list[dict]:
    strategies = list(
        Strategy.objects.select_related("current_version")
        .annotate(version_count=Count("versions", distinct=True))
        .order_by("name")
    )
    current_ids = [s.current_version_id for s in strategies if s.current_version_id]
    steps = {}
    for step in StrategyStep.objects.filter(version_id__in=current_ids).order_by("version_id", "position"):
        steps.setdefault(step.version_id, []).append(step)
    uses = {}
    for segment in Segment.objects.only("name", "champion_id", "challenger_id"):
        for strategy_id in (segment.champion_id, segment.challenger_id):
            if strategy_id:
                uses.setdefault(strategy_id, []).append(segment.name)
    return [
        {
            "strategy": strategy,
            "steps": [
                {"step": step, "label": step_label(step.action, step.params)}
                for step in steps.get(strategy.current_version_id, [])
            ],
            "segments": uses.get(strategy.pk, []),
        }
        for strategy in strategies
    ]


def strategy_get(pk: int) -> Strategy:
    return get_object_or_404(Strategy.objects.select_related("current_version"), pk=pk)


def strategy_versions(strategy: Strategy) -> list[dict]:
    versions = list(
        StrategyVersion.objects.filter(strategy=strategy)
        .select_related("created_by")
        .annotate(step_count=Count("steps", distinct=True), executions_count=Count("executions", distinct=True))
        .order_by("-number")
    )
    return [{"version": version} for version in versions]


def version_get(strategy: Strategy, number: int) -> StrategyVersion:
    return get_object_or_404(StrategyVersion.objects.select_related("created_by"), strategy=strategy, number=number)


def version_steps(version: StrategyVersion) -> list[dict]:
    return [
        {"step": step, "label": step_label(step.action, step.params)} for step in version.steps.order_by("position")
    ]
