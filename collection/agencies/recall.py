"""
Recalling placed cases: by a manager (a case, a batch, or cases of a batch,
with a reason), at the end of the placement period (the nightly step), and
forced by events — a dispute, hardship-review, deceased or bankruptcy hold
(collection/services/contacts.py `hold_place`), a referral to legal
(legal/litigation/referral.py), a closed case, a borrower flagged deceased or
bankrupt, an agency suspended or terminated or whose contract ended (the
nightly step), a write-off or sale (portfolio calls `case_recall`).

A recall puts the case back in the stage it was placed from (`stage_before`,
unless something else moved it meanwhile), clears `Case.agency` and keeps the
case's collector, so it returns to the same queue; it writes a StageChange,
a "recalled" line on the timeline (the agency's name and code, the batch
number and the reason as facts) and an audit event per batch. Everything
the agency did stays on the timeline. Set-based, and idempotent: a
placement already recalled is left alone.
"""

import datetime
from collections import defaultdict

from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.services import audit_record
from collection import events
from collection.errors import CollectionError
from collection.models import (
    AgencyStatus,
    Case,
    CaseEvent,
    CaseStatus,
    Hold,
    HoldKind,
    Placement,
    PlacementBatch,
    PlacementStatus,
    RecallReason,
    Stage,
    StageChange,
    placement_batch_number,
)
from lending.services import lender_today
from lending.sql import chunks

AUDIT_RECALLED = "collection.placement.recalled"
ALREADY_RECALLED = _("This placement was already recalled.")
REASON_UNKNOWN = _("Choose the reason for the recall.")
# The holds that take a case back from its agency at once (their kind is the recall reason's code).
FORCED_RECALL_HOLDS = (HoldKind.DISPUTE, HoldKind.HARDSHIP_REVIEW, HoldKind.DECEASED, HoldKind.BANKRUPTCY)
# The reasons a manager gives by hand (the others are the system's own).
MANUAL_REASONS = (
    RecallReason.MANUAL,
    RecallReason.COMPLAINT,
    RecallReason.CEASE_CONTACT,
    RecallReason.DISPUTE,
    RecallReason.HARDSHIP_REVIEW,
    RecallReason.DECEASED,
    RecallReason.BANKRUPTCY,
    RecallReason.AGENCY_STOPPED,
)


def placements_recall(
    *,
    placements: QuerySet,
    reason: str,
    actor=None,
    note: str = "",
    on: datetime.date | None = None,
) -> int:
    """Recall the active placements among `placements`; returns how many were recalled."""
    if reason not in RecallReason.values:
        raise CollectionError(REASON_UNKNOWN, field="reason")
    on = on or lender_today()
    note = (note or "").strip()[:300]
    with transaction.atomic():
        rows = list(
            placements.filter(status=PlacementStatus.ACTIVE)
            .select_for_update(of=("self",))
            .order_by("pk")
            .values_list(
                "pk",
                "case_id",
                "case__stage",
                "stage_before",
                "batch_id",
                "batch__placed_on",
                "agency_id",
                "agency__code",
                "agency__name",
            )
        )
        if not rows:
            return 0
        now = timezone.now()
        for chunk in chunks([row[0] for row in rows]):
            Placement.objects.filter(pk__in=chunk, status=PlacementStatus.ACTIVE).update(
                status=PlacementStatus.RECALLED,
                recalled_on=on,
                recalled_at=now,
                recall_reason=reason,
                recall_note=note,
                recalled_by=actor,
            )
        # Back to the stage each was placed from, unless something else moved it since.
        back = defaultdict(list)
        for _pk, case_id, stage, before, *_rest in rows:
            if stage == Stage.AGENCY:
                back[before].append(case_id)
        for stage, case_ids in back.items():
            for chunk in chunks(case_ids):
                Case.objects.filter(pk__in=chunk, stage=Stage.AGENCY).update(stage=stage, agency=None, updated_at=now)
        for chunk in chunks([row[1] for row in rows]):
            Case.objects.filter(pk__in=chunk, agency__isnull=False).update(agency=None, updated_at=now)
        changes, lines, batches = [], [], defaultdict(list)
        for _pk, case_id, stage, before, batch_id, placed_on, agency_id, code, name in rows:
            number = placement_batch_number(batch_id, placed_on.year)
            batches[(batch_id, placed_on, agency_id, code, name)].append(case_id)
            to = before if stage == Stage.AGENCY else stage
            if stage == Stage.AGENCY:
                changes.append(StageChange(case_id=case_id, changed_on=on, from_stage=stage, to_stage=to, actor=actor))
            facts = events.case_recalled(
                agency_id=agency_id,
                agency_code=code,
                agency_name=name,
                batch_id=batch_id,
                batch_number=number,
                reason=reason,
            )
            lines.append(
                CaseEvent(
                    case_id=case_id,
                    occurred_at=now,
                    kind=facts.kind,
                    code=facts.code,
                    data={**facts.data, "to": to},
                    actor=actor,
                    notes=note,
                )
            )
        StageChange.objects.bulk_create(changes, batch_size=2000)
        CaseEvent.objects.bulk_create(lines, batch_size=2000)
        for (batch_id, placed_on, agency_id, code, name), case_ids in batches.items():
            batch = PlacementBatch(pk=batch_id, placed_on=placed_on, agency_id=agency_id)
            data = {"batch": batch_id, "batch_number": batch.number, "agency": agency_id, "agency_code": code}
            data.update({"agency_name": name, "reason": str(reason), "cases": len(case_ids), "note": note})
            if len(case_ids) == 1:
                data["case"] = case_ids[0]
            audit_record(action=AUDIT_RECALLED, target=batch, actor=actor, data=data)
    return len(rows)


def placement_recall(*, placement: Placement, reason: str, actor=None, note: str = "") -> Placement:
    """Recall one placement (a manager, from the case page); refused when it is already recalled."""
    recalled = placements_recall(
        placements=Placement.objects.filter(pk=placement.pk), reason=reason, actor=actor, note=note
    )
    if not recalled:
        raise CollectionError(ALREADY_RECALLED)
    placement.refresh_from_db()
    return placement


def batch_recall(*, batch, reason: str, actor, note: str = "") -> int:
    """Recall every case of the batch still placed."""
    return placements_recall(placements=batch.placements.all(), reason=reason, actor=actor, note=note)


def case_recall(*, case: Case, reason: str, actor=None, note: str = "") -> Placement | None:
    """
    Recall the case's active placement, if it has one (what the forced-recall
    hooks and portfolio's write-off and sale call); None when it is not placed.
    `case` is brought up to date (stage, agency).
    """
    placement = Placement.objects.filter(case_id=case.pk, status=PlacementStatus.ACTIVE).first()
    if placement is None:
        return None
    placements_recall(placements=Placement.objects.filter(pk=placement.pk), reason=reason, actor=actor, note=note)
    case.refresh_from_db(fields=["stage", "agency", "updated_at"])
    placement.refresh_from_db()
    return placement


def placements_recall_expired(*, on: datetime.date) -> int:
    """The placements whose placement period is over on `on` (recall due that day or before)."""
    due = Placement.objects.filter(status=PlacementStatus.ACTIVE, recall_due_on__lte=on)
    return placements_recall(placements=due, reason=RecallReason.EXPIRED, on=on)


def placements_recall_forced(*, on: datetime.date) -> dict[str, int]:
    """
    The night's sweep of what must come back whatever the date: closed cases,
    borrowers flagged deceased or bankrupt, cases on a forcing hold placed
    outside the hold service, agencies suspended or terminated or whose
    contract ended. Returns the recalls by reason.
    """
    active = Placement.objects.filter(status=PlacementStatus.ACTIVE)
    held = Hold.objects.filter(released_at__isnull=True)
    sweeps = (
        (RecallReason.CLOSED, Q(case__status=CaseStatus.CLOSED)),
        (
            RecallReason.DECEASED,
            Q(case__borrower__is_deceased=True) | Q(case__holds__in=held.filter(kind=HoldKind.DECEASED)),
        ),
        (
            RecallReason.BANKRUPTCY,
            Q(case__borrower__is_bankrupt=True) | Q(case__holds__in=held.filter(kind=HoldKind.BANKRUPTCY)),
        ),
        (RecallReason.DISPUTE, Q(case__holds__in=held.filter(kind=HoldKind.DISPUTE))),
        (RecallReason.HARDSHIP_REVIEW, Q(case__holds__in=held.filter(kind=HoldKind.HARDSHIP_REVIEW))),
        (RecallReason.AGENCY_STOPPED, ~Q(agency__status=AgencyStatus.ACTIVE) | Q(contract__ends_on__lt=on)),
    )
    counts = {}
    for reason, condition in sweeps:
        chosen = active.filter(pk__in=active.filter(condition).values("pk"))
        counts[str(reason)] = placements_recall(placements=chosen, reason=reason, on=on)
    return counts


def recalls_nightly(on: datetime.date) -> dict:
    """The nightly step: the forced recalls, then the expired placements; counts by reason."""
    counts = placements_recall_forced(on=on)
    counts[str(RecallReason.EXPIRED)] = placements_recall_expired(on=on)
    return {f"placements_recalled.{reason}": number for reason, number in counts.items()}


def register() -> None:
    """The nightly step (after the lifecycle: cases it closed come back the same night) and its counts."""
    from collection.nightly.steps import NightlyStepSpec, nightly_count_labels_register, nightly_step_register

    nightly_step_register(NightlyStepSpec("agency_recalls", _("Agencies: placements recalled"), 25, recalls_nightly))
    labels = {
        RecallReason.EXPIRED: _("Placements recalled: end of the placement period"),
        RecallReason.CLOSED: _("Placements recalled: case closed"),
        RecallReason.DECEASED: _("Placements recalled: borrower deceased"),
        RecallReason.BANKRUPTCY: _("Placements recalled: borrower bankrupt"),
        RecallReason.DISPUTE: _("Placements recalled: dispute"),
        RecallReason.HARDSHIP_REVIEW: _("Placements recalled: hardship review"),
        RecallReason.AGENCY_STOPPED: _("Placements recalled: agency stopped or contract ended"),
    }
    nightly_count_labels_register({f"placements_recalled.{reason}": label for reason, label in labels.items()})
