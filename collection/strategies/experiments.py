"""
Champion/challenger: a segment runs its champion strategy and, on
`challenger_share` percent of the cases that enter it (chosen by the stable
hash in arms.py), a challenger; the manager compares the two arms and
promotes the challenger when it wins.

An experiment is the segment's challenger, its share and `challenger_since`.
Starting, stopping and promoting are the services below, each audited with
the experiment's facts (both strategies, the share, the dates), so the
report of an experiment that ended can still be drawn from its audit event.
Stopping or promoting never rewrites a case: the cases of the challenger arm
keep the strategy version they entered with until they leave the segment
(their `CaseStrategy` and `StepExecution` rows keep their arm), and only the
cases that enter from then on follow the segment's champion.

The comparison of the arms is in arm_report.py.
"""

import datetime
from dataclasses import dataclass

from django.contrib.contenttypes.models import ContentType
from django.db import transaction
from django.db.models import (
    Count,
    F,
    QuerySet,
)
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.models import AuditEvent
from accounts.permissions import Capability, require_capability
from accounts.services import audit_record
from collection.errors import CollectionError
from collection.models import (
    Arm,
    CaseStrategy,
    Segment,
    Strategy,
)

# --- The services -------------------------------------------------------------------------------------------

STARTED = "collection.experiment.started"
STOPPED = "collection.experiment.stopped"
PROMOTED = "collection.experiment.promoted"
ENDED_ACTIONS = (STOPPED, PROMOTED)

NO_CHAMPION = _("%(segment)s has no strategy yet: give it one before trying a challenger against it.")
SAME_AS_CHAMPION = _("The challenger must be another strategy than the champion, %(strategy)s.")
NO_STEPS = _("%(strategy)s has no saved steps yet: save a version of it first.")
SHARE_OUT_OF_RANGE = _("The challenger's share must be between 1% and 99% of the cases.")
ALREADY_RUNNING = _("%(segment)s already runs %(strategy)s as its challenger: stop or promote it first.")
NOTHING_RUNNING = _("%(segment)s runs no challenger.")

MIN_SHARE, MAX_SHARE = 1, 99


def _experiment_facts(segment: Segment, *, until: datetime.date | None = None) -> dict:
    """What the audit trail keeps of an experiment: enough to draw its report after it ended."""
    facts = {
        "segment": segment.pk,
        "champion": segment.champion_id,
        "champion_name": segment.champion.name if segment.champion_id else "",
        "challenger": segment.challenger_id,
        "challenger_name": segment.challenger.name if segment.challenger_id else "",
        "share": segment.challenger_share,
        "since": segment.challenger_since.isoformat() if segment.challenger_since else None,
    }
    if until is not None:
        facts["until"] = until.isoformat()
    return facts


def _locked(segment: Segment) -> Segment:
    return Segment.objects.select_for_update(of=("self",)).select_related("champion", "challenger").get(pk=segment.pk)


def _authorised(actor) -> None:
    # None is the system (the demo, a command); a person must hold the right.
    if actor is not None:
        require_capability(actor, Capability.CONFIGURE_AUTOMATION)


@transaction.atomic
def experiment_start(
    *, segment: Segment, challenger: Strategy, share: int, actor, today: datetime.date | None = None
) -> Segment:
    """
    Run `challenger` on `share` percent of the cases that enter `segment` from
    `today` on. Raises CollectionError (with `field`) when the segment has no
    champion, already runs a challenger, the challenger is the champion or
    has no steps, or the share is not 1-99%.
    """
    _authorised(actor)
    segment = _locked(segment)
    if segment.champion_id is None:
        raise CollectionError(NO_CHAMPION % {"segment": segment.name})
    if segment.challenger_id is not None:
        raise CollectionError(ALREADY_RUNNING % {"segment": segment.name, "strategy": segment.challenger.name})
    if challenger.pk == segment.champion_id:
        raise CollectionError(SAME_AS_CHAMPION % {"strategy": segment.champion.name}, field="challenger")
    if challenger.current_version_id is None:
        raise CollectionError(NO_STEPS % {"strategy": challenger.name}, field="challenger")
    if not MIN_SHARE <= int(share) <= MAX_SHARE:
        raise CollectionError(SHARE_OUT_OF_RANGE, field="share")
    segment.challenger = challenger
    segment.challenger_share = int(share)
    segment.challenger_since = today or timezone.localdate()
    segment.save(update_fields=["challenger", "challenger_share", "challenger_since", "updated_at"])
    audit_record(action=STARTED, target=segment, actor=actor, data=_experiment_facts(segment))
    return segment


def _experiment_end(*, segment: Segment, actor, action: str, today: datetime.date | None) -> Segment:
    _authorised(actor)
    segment = _locked(segment)
    if segment.challenger_id is None:
        raise CollectionError(NOTHING_RUNNING % {"segment": segment.name})
    facts = _experiment_facts(segment, until=today or timezone.localdate())
    update = ["challenger", "challenger_share", "challenger_since", "updated_at"]
    if action == PROMOTED:
        segment.champion = segment.challenger
        update.append("champion")
    segment.challenger = None
    segment.challenger_share = 0
    segment.challenger_since = None
    segment.save(update_fields=update)
    audit_record(action=action, target=segment, actor=actor, data=facts)
    return segment


@transaction.atomic
def experiment_stop(*, segment: Segment, actor, today: datetime.date | None = None) -> Segment:
    """
    End the experiment and keep the champion: new entrants all follow the
    champion; the challenger arm's cases keep their version until they leave.
    """
    return _experiment_end(segment=segment, actor=actor, action=STOPPED, today=today)


@transaction.atomic
def challenger_promote(*, segment: Segment, actor, today: datetime.date | None = None) -> Segment:
    """
    The challenger becomes the segment's champion and the experiment ends:
    the cases that enter from now on follow it, the cases already in either
    arm keep the version they entered with until they leave, and both arms'
    history stays as it was (their rows keep their arm; the audit event keeps
    the experiment's dates and strategies for its report).
    """
    return _experiment_end(segment=segment, actor=actor, action=PROMOTED, today=today)


# --- The selectors ------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ExperimentRow:
    segment: Segment
    champion_cases: int
    challenger_cases: int


def experiments_running() -> list[ExperimentRow]:
    """
    The segments that run a challenger, with the cases in each arm that
    entered since it started (those in the segment now; the report also
    counts those that left). Two queries whatever the number of segments.
    """
    segments = list(
        Segment.objects.filter(challenger__isnull=False).select_related("champion", "challenger").order_by("priority")
    )
    counts = (
        CaseStrategy.objects.filter(segment__in=segments, entered_segment_on__gte=F("segment__challenger_since"))
        .values("segment", "arm")
        .annotate(cases=Count("pk"))
        .order_by()
    )
    by_segment_arm = {(row["segment"], row["arm"]): row["cases"] for row in counts} if segments else {}
    return [
        ExperimentRow(
            segment=segment,
            champion_cases=by_segment_arm.get((segment.pk, Arm.CHAMPION), 0),
            challenger_cases=by_segment_arm.get((segment.pk, Arm.CHALLENGER), 0),
        )
        for segment in segments
    ]


def experiments_ended(*, segment: Segment | None = None) -> QuerySet[AuditEvent]:
    """The experiments that were stopped or promoted (newest first), as their audit events."""
    events = AuditEvent.objects.filter(
        action__in=ENDED_ACTIONS, target_type=ContentType.objects.get_for_model(Segment)
    ).select_related("actor")
    if segment is not None:
        events = events.filter(target_id=str(segment.pk))
    return events.order_by("-occurred_at", "-id")


@dataclass(frozen=True)
class EndedExperiment:
    """An experiment that was stopped or promoted, read from its audit event."""

    event: AuditEvent
    segment_id: int
    segment_name: str
    champion_name: str
    challenger_name: str
    share: int
    since: datetime.date | None
    until: datetime.date
    promoted: bool


def experiments_ended_rows(*, segment: Segment | None = None, limit: int = 20) -> list[EndedExperiment]:
    rows = []
    for event in experiments_ended(segment=segment)[:limit]:
        facts = event.data
        rows.append(
            EndedExperiment(
                event=event,
                segment_id=int(event.target_id),
                segment_name=event.target_repr,
                champion_name=facts.get("champion_name", ""),
                challenger_name=facts.get("challenger_name", ""),
                share=facts.get("share", 0),
                since=datetime.date.fromisoformat(facts["since"]) if facts.get("since") else None,
                until=datetime.date.fromisoformat(facts["until"]),
                promoted=event.action == PROMOTED,
            )
        )
    return rows


def strategies_for_challenger(segment: Segment) -> QuerySet[Strategy]:
    """The strategies that may challenge the segment's champion: any other with saved steps."""
    return Strategy.objects.filter(current_version__isnull=False).exclude(pk=segment.champion_id or 0).order_by("name")
