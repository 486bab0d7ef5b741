"""
Segments: which open case goes to which segment, and why.

A segment's conditions become one `Q` over `Case` (`segment_q`); the
segments are tried in priority order and the first that matches takes the
case, so `segment_target()` is a single SQL CASE expression: WHEN the first
segment's conditions THEN its id WHEN the second's ... ELSE the catch-all.

`segments_assign(*, on)` writes each open case's `CaseStrategy` set-based:
per segment one UPDATE for the cases that move into it and one
INSERT ... SELECT for the cases that have none yet, then the challenger's
share of the segment's new cases (a stable hash of the case, `arm_for`) in
one UPDATE per chunk of ids. A case entering a segment starts at its arm's
strategy's current version and keeps that version while it stays in the
segment: a strategy edited later applies to the cases that enter after the
edit (docs/strategies.md). The facts that matched are written with the row,
as codes and values (`segment_facts`), and rendered for each reader by
`segment_why`.
"""

import datetime
from collections import defaultdict
from decimal import Decimal

from django.db import connection, transaction
from django.db.models import Case as SqlCase
from django.db.models import (
    CharField,
    DateField,
    Exists,
    F,
    IntegerField,
    JSONField,
    OuterRef,
    Q,
    Subquery,
    Value,
    When,
)
from django.db.models.functions import Cast, JSONObject
from django.utils.formats import number_format
from django.utils.translation import gettext as _

from accounts.templatetags.arrears import money
from collection.models import (
    Arm,
    Case,
    CaseAccount,
    CaseStatus,
    CaseStrategy,
    LatenessReason,
    Segment,
    Stage,
)
from collection.strategies.arms import arm_for
from lending.sql import CHUNK, chunks

# The conditions a segment may have, by the code its facts are stored under.
CONDITION_FIELDS = {
    "days_past_due": ("min_days_past_due", "max_days_past_due"),
    "bucket": ("buckets",),
    "product": ("product_ids",),
    "overdue_total": ("min_balance", "max_balance"),
    "province": ("provinces",),
    "reason": ("reasons",),
    "stage": ("stages",),
    "risk_grade": ("risk_grades",),
    "score": ("min_score", "max_score"),
}
# Enough new rows for PostgreSQL's figures of the table to be out of date.
ANALYZE_AFTER = 5000
CONDITION_COLUMNS = tuple(column for columns in CONDITION_FIELDS.values() for column in columns)


def segment_has_conditions(segment: Segment) -> bool:
    return any(getattr(segment, column) not in (None, [], "") for column in CONDITION_COLUMNS)


def _product_match(product_ids) -> Exists:
    return Exists(
        CaseAccount.objects.filter(
            case=OuterRef("pk"), left_on__isnull=True, account__product_id__in=[int(pk) for pk in product_ids]
        )
    )


def segment_q(segment: Segment) -> Q:
    """The segment's conditions as one Q over open cases (an empty Q for the catch-all)."""
    q = Q()
    if segment.min_days_past_due is not None:
        q &= Q(days_past_due__gte=segment.min_days_past_due)
    if segment.max_days_past_due is not None:
        q &= Q(days_past_due__lte=segment.max_days_past_due)
    if segment.buckets:
        q &= Q(bucket__in=list(segment.buckets))
    if segment.product_ids:
        q &= Q(_product_match(segment.product_ids))
    if segment.min_balance is not None:
        q &= Q(overdue_total__gte=segment.min_balance)
    if segment.max_balance is not None:
        q &= Q(overdue_total__lte=segment.max_balance)
    if segment.provinces:
        q &= Q(borrower__province__in=list(segment.provinces))
    if segment.reasons:
        q &= Q(reason__in=list(segment.reasons))
    if segment.stages:
        q &= Q(stage__in=list(segment.stages))
    if segment.risk_grades:
        q &= Q(borrower__risk_grade__in=list(segment.risk_grades))
    if segment.min_score is not None:
        q &= Q(score__gte=segment.min_score)
    if segment.max_score is not None:
        q &= Q(score__lte=segment.max_score)
    return q


def catch_all_segment() -> Segment | None:
    """The last segment: it has no conditions and takes every case the others leave."""
    return Segment.objects.order_by("-priority").first()


def segments_in_order() -> list[Segment]:
    """The active segments as they are tried (the catch-all last, active whatever its flag says)."""
    segments = list(Segment.objects.order_by("priority").select_related("champion", "challenger"))
    if not segments:
        return []
    *others, last = segments
    return [segment for segment in others if segment.is_active] + [last]


def segment_target(segments: list[Segment]):
    """SQL: the id of the first of `segments` whose conditions the case meets (the last one otherwise)."""
    whens = []
    default = segments[-1]
    for segment in segments[:-1]:
        if not segment_has_conditions(segment):
            default = segment  # a segment without conditions takes every case the ones above it leave
            break
        whens.append(When(segment_q(segment), then=Value(segment.pk)))
    if not whens:
        return Value(default.pk, output_field=IntegerField())
    return SqlCase(*whens, default=Value(default.pk), output_field=IntegerField())


def _facts_expression(segment: Segment):
    """The facts that matched, as a JSON object built in SQL from the case's own columns."""
    pairs = {}
    if segment.min_days_past_due is not None or segment.max_days_past_due is not None:
        pairs["days_past_due"] = F("days_past_due")
    if segment.buckets:
        pairs["bucket"] = F("bucket")
    if segment.product_ids:
        pairs["product"] = Subquery(
            CaseAccount.objects.filter(
                case=OuterRef("pk"),
                left_on__isnull=True,
                account__product_id__in=[int(pk) for pk in segment.product_ids],
            )
            .order_by("account__product_id")
            .values("account__product__code")[:1]
        )
    if segment.min_balance is not None or segment.max_balance is not None:
        pairs["overdue_total"] = Cast("overdue_total", CharField())
        pairs["currency"] = F("currency")
    if segment.provinces:
        pairs["province"] = F("borrower__province")
    if segment.reasons:
        pairs["reason"] = F("reason")
    if segment.stages:
        pairs["stage"] = F("stage")
    if segment.risk_grades:
        pairs["risk_grade"] = F("borrower__risk_grade")
    if segment.min_score is not None or segment.max_score is not None:
        pairs["score"] = F("score")
    if not pairs:
        pairs["catch_all"] = Value(True)
    return JSONObject(**pairs)


def _version_of(strategy) -> int | None:
    return strategy.current_version_id if strategy is not None else None


def _sql(queryset) -> tuple[str, tuple]:
    compiler = queryset.query.get_compiler(using=queryset.db)
    return compiler.as_sql()


def _open_cases():
    return Case.objects.exclude(status=CaseStatus.CLOSED)


@transaction.atomic
def segments_assign(*, on: datetime.date) -> dict:
    """
    Put every open case in its segment for the night of `on`; returns counts.
    Run twice, the second run changes nothing: only the cases whose segment
    changes are written.
    """
    segments = segments_in_order()
    counts = {"cases_entered": 0, "cases_moved": 0, "challenger_cases": 0}
    if not segments:
        return counts
    by_id = {segment.pk: segment for segment in segments}
    targeted = _open_cases().annotate(target_segment=segment_target(segments))
    # The cases whose segment changes (few on a normal night): one read, then an UPDATE per segment.
    # One read of the cases whose segment changes and those in none yet (few of either on a normal night).
    moving, new = defaultdict(list), []
    changes = (
        targeted.filter(Q(strategy_state__isnull=True) | ~Q(strategy_state__segment_id=F("target_segment")))
        .values_list("pk", "target_segment", "strategy_state__segment_id")
        .order_by()
    )
    for case_id, target, current in changes:
        if current is None:
            new.append(case_id)
        else:
            moving[target].append(case_id)
    for target, case_ids in moving.items():
        counts["cases_moved"] += _cases_move(by_id[target], case_ids, on=on)
    if new:
        counts["cases_entered"] = _cases_enter(targeted, segments, new_ids=new, on=on)
    for segment in segments:
        counts["challenger_cases"] += _challengers_assign(segment, on=on)
        _versions_fill(segment)
    return counts


def _cases_move(segment: Segment, case_ids: list[int], *, on: datetime.date) -> int:
    """The cases that move in from another segment start again at its first step, on its champion."""
    facts_of_case = Subquery(
        Case.objects.filter(pk=OuterRef("case_id")).annotate(facts=_facts_expression(segment)).values("facts")[:1]
    )
    for chunk in chunks(case_ids):
        CaseStrategy.objects.filter(case_id__in=chunk).update(
            segment_id=segment.pk,
            segment_facts=facts_of_case,
            entered_segment_on=on,
            arm=Arm.CHAMPION,
            strategy_version_id=_version_of(segment.champion),
            last_step_position=0,
            paused_by="",
            evaluated_on=on,
        )
        # A call boost asked for by the old segment's strategy ends with it.
        Case.objects.filter(pk__in=chunk).exclude(strategy_priority_boost=0).update(
            priority=F("priority") - F("strategy_priority_boost"), strategy_priority_boost=0
        )
    return len(case_ids)


def _cases_enter(targeted, segments: list[Segment], *, new_ids: list[int], on: datetime.date) -> int:
    """
    The cases in no segment yet (opened tonight, or before automation
    existed): one INSERT ... SELECT for all of them, each with its segment's
    facts and champion version, chosen by the same CASE.
    """
    facts = SqlCase(
        *(When(target_segment=segment.pk, then=_facts_expression(segment)) for segment in segments),
        output_field=JSONField(),
    )
    version = SqlCase(
        *(
            When(target_segment=segment.pk, then=Value(_version_of(segment.champion)))
            for segment in segments
            if segment.champion_id
        ),
        default=Value(None),
        output_field=IntegerField(),
    )
    entering = targeted.filter(strategy_state__isnull=True)
    if len(new_ids) <= CHUNK:
        entering = entering.filter(pk__in=new_ids)  # a normal night: the few new cases only
    new = (
        entering.annotate(
            s_facts=facts,
            s_entered=Value(on, output_field=DateField()),
            s_arm=Value(Arm.CHAMPION, output_field=CharField()),
            s_version=version,
            s_position=Value(0, output_field=IntegerField()),
            s_paused=Value("", output_field=CharField()),
            s_evaluated=Value(on, output_field=DateField()),
        )
        .order_by()
        .values_list(
            "pk",
            "target_segment",
            "s_facts",
            "s_entered",
            "s_arm",
            "s_version",
            "s_position",
            "s_paused",
            "s_evaluated",
        )
    )
    select, params = _sql(new)
    table = CaseStrategy._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} (case_id, segment_id, segment_facts, entered_segment_on, arm, "  # noqa: S608
            f"strategy_version_id, last_step_position, paused_by, evaluated_on) {select}",
            params,
        )
        entered = max(cursor.rowcount, 0)
        if entered >= ANALYZE_AFTER and connection.vendor == "postgresql":
            # The planner's figures for the table are from before these rows: the night's selections need new ones.
            cursor.execute(f"ANALYZE {table}")
    return entered


def _challengers_assign(segment: Segment, *, on: datetime.date) -> int:
    """The challenger's share of the cases that entered the segment on `on`, by the stable hash of each case."""
    if segment.challenger_id is None or segment.challenger_share <= 0:
        return 0
    entering = CaseStrategy.objects.filter(
        segment=segment, entered_segment_on=on, arm=Arm.CHAMPION, last_step_position=0
    ).values_list("case_id", flat=True)
    challengers = [
        case_id
        for case_id in entering.iterator(chunk_size=5000)
        if arm_for(segment_id=segment.pk, case_id=case_id, challenger_share=segment.challenger_share) == Arm.CHALLENGER
    ]
    version = _version_of(segment.challenger)
    for chunk in chunks(challengers):
        CaseStrategy.objects.filter(case_id__in=chunk).update(arm=Arm.CHALLENGER, strategy_version_id=version)
    return len(challengers)


def _versions_fill(segment: Segment) -> None:
    """Cases of a segment that had no strategy when they entered take its strategy as soon as it has one."""
    for arm, strategy in ((Arm.CHAMPION, segment.champion), (Arm.CHALLENGER, segment.challenger)):
        version = _version_of(strategy)
        if version is not None:
            CaseStrategy.objects.filter(segment=segment, arm=arm, strategy_version__isnull=True).update(
                strategy_version_id=version
            )


# --- Why: the facts rendered for the reader -----------------------------------------------------


def _range_text(low, high, render=str) -> str:
    if low is not None and high is not None:
        return _("%(low)s to %(high)s") % {"low": render(low), "high": render(high)}
    if low is not None:
        return _("at least %(low)s") % {"low": render(low)}
    return _("at most %(high)s") % {"high": render(high)}


def segment_why(segment: Segment, facts: dict) -> list[str]:
    """One line a condition: the case's value and the segment's condition it met, in the reader's language."""
    if not facts or facts.get("catch_all"):
        return [_("No other segment's conditions matched: the catch-all segment takes the case.")]
    lines = []
    if "days_past_due" in facts:
        lines.append(
            _("Days past due %(value)s (segment: %(range)s)")
            % {
                "value": facts["days_past_due"],
                "range": _range_text(segment.min_days_past_due, segment.max_days_past_due),
            }
        )
    if "bucket" in facts:
        lines.append(
            _("Bucket %(value)s (segment: %(list)s)") % {"value": facts["bucket"], "list": ", ".join(segment.buckets)}
        )
    if "product" in facts:
        lines.append(_("Product %(value)s") % {"value": facts["product"]})
    if "overdue_total" in facts:
        currency = facts.get("currency", "")
        lines.append(
            _("Overdue %(value)s (segment: %(range)s)")
            % {
                "value": money(facts["overdue_total"], currency),
                "range": _range_text(
                    segment.min_balance,
                    segment.max_balance,
                    lambda amount: number_format(Decimal(amount), decimal_pos=2, use_l10n=True, force_grouping=True),
                ),
            }
        )
    if "province" in facts:
        lines.append(_("Province %(value)s") % {"value": facts["province"]})
    if "reason" in facts:
        label = LatenessReason(facts["reason"]).label if facts["reason"] in LatenessReason.values else facts["reason"]
        lines.append(_("Reason for lateness: %(value)s") % {"value": label})
    if "stage" in facts:
        label = Stage(facts["stage"]).label if facts["stage"] in Stage.values else facts["stage"]
        lines.append(_("Stage %(value)s") % {"value": label})
    if "risk_grade" in facts:
        lines.append(_("Risk grade %(value)s") % {"value": facts["risk_grade"]})
    if "score" in facts:
        lines.append(
            _("Score %(value)s (segment: %(range)s)")
            % {"value": facts["score"], "range": _range_text(segment.min_score, segment.max_score)}
        )
    return lines
