"""
A litigation file after its acceptance: every status move is a service here,
checked against one transition table, and each writes the FileStatusChange,
a line on the case's timeline and the audit trail in one transaction.

    accepted → preparing → filed → hearing scheduled → judgment → enforcement → closed (won, lost, settled,
    withdrawn)

The court's work (hearings, the judgment, enforcement and what it recovers)
is in legal/litigation/court.py; the exhibits in legal/litigation/evidence.py.
The referral and its decision (referred → accepted or rejected) belong to
legal/litigation/referral.py.

Closing a file gives nothing back to the collectors: the case stays in the
legal stage, and a case whose debt was paid (won or settled) is closed by the
nightly run like any cured case.
"""

import datetime

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.permissions import Capability, user_can
from accounts.services import audit_record
from collection.models import Case
from collection.services.timeline import event_record
from legal.litigation import events
from legal.models import ENDED_STATUSES, FileStatus, FileStatusChange, Hearing, Judgment, LitigationFile

F = FileStatus
CLOSED = (F.CLOSED_WON, F.CLOSED_LOST, F.CLOSED_SETTLED, F.CLOSED_WITHDRAWN)

# Where a file may go from where it is. A hearing moves a filed file to "hearing scheduled"
# (court.hearing_add), a judgment to "judgment", an enforcement application to "enforcement".
TRANSITIONS: dict[str, frozenset[str]] = {
    F.ACCEPTED: frozenset({F.PREPARING, F.CLOSED_SETTLED, F.CLOSED_WITHDRAWN}),
    F.PREPARING: frozenset({F.FILED, F.CLOSED_SETTLED, F.CLOSED_WITHDRAWN}),
    F.FILED: frozenset({F.HEARING_SCHEDULED, F.JUDGMENT, F.CLOSED_SETTLED, F.CLOSED_WITHDRAWN}),
    F.HEARING_SCHEDULED: frozenset({F.JUDGMENT, F.CLOSED_SETTLED, F.CLOSED_WITHDRAWN}),
    F.JUDGMENT: frozenset({F.ENFORCEMENT, F.CLOSED_WON, F.CLOSED_LOST, F.CLOSED_SETTLED, F.CLOSED_WITHDRAWN}),
    F.ENFORCEMENT: frozenset({F.CLOSED_WON, F.CLOSED_LOST, F.CLOSED_SETTLED, F.CLOSED_WITHDRAWN}),
}

# Statuses in which the file is before the court (or after it): its exhibits are fixed.
FILED_OR_LATER = frozenset({F.FILED, F.HEARING_SCHEDULED, F.JUDGMENT, F.ENFORCEMENT, *CLOSED})
WORKED_STATUSES = frozenset(TRANSITIONS)

MOVE_REFUSED = _("A file in status “%(status)s” cannot move to “%(to)s”.")
FILE_CLOSED = _("The file is closed.")
NOT_OFFICER = _("Only a user who works litigation files can be the file's legal officer.")
COURT_REQUIRED = _("Give the court, the court's case number and the filing date.")
FILED_IN_FUTURE = _("The filing date cannot be in the future.")
CLOSE_OUTCOMES = frozenset(CLOSED)
NOT_A_CLOSE = _("Choose how the file ends: won, lost, settled or withdrawn.")


class LitigationError(Exception):
    """A rule of litigation refused the change; the message is for the user, `field` names the form field."""

    def __init__(self, message, *, field: str = ""):
        super().__init__(str(message))
        self.field = field


def file_moves(file: LitigationFile) -> frozenset[str]:
    """The statuses the file may move to from where it is (none once it is over)."""
    return TRANSITIONS.get(file.status, frozenset())


def _locked(file: LitigationFile) -> LitigationFile:
    """The file's row locked for the move, so two officers' clicks queue up instead of both moving it."""
    return LitigationFile.objects.select_for_update().select_related("case").get(pk=file.pk)


def _move_check(file: LitigationFile, to: str) -> None:
    if to not in file_moves(file):
        raise LitigationError(MOVE_REFUSED % {"status": F(file.status).label, "to": F(to).label}, field="status")


def file_status_move(*, file: LitigationFile, to: str, actor, note: str = "", fields: dict | None = None) -> None:
    """
    Move a locked file to `to` and save `fields` with it; write its status
    history, the timeline and the audit. For the services of this package:
    the caller has checked the move (`_move_check`) inside its transaction.
    """
    previous = file.status
    file.status = to
    for name, value in (fields or {}).items():
        setattr(file, name, value)
    file_deadline_refresh(file=file, save=False)
    file.save(update_fields=["status", "next_deadline_on", "updated_at", *(fields or {})])
    now = timezone.now()
    FileStatusChange.objects.create(
        file=file, from_status=previous, to_status=to, changed_at=now, actor=actor, note=note
    )
    facts = events.status_changed(file, previous=previous, status=to)
    event_record(case=file.case, facts=facts, actor=actor, notes=note, at=now)
    audit_record(action="legal.file.status_changed", target=file, actor=actor, data=facts.data)


def file_prepare(*, file: LitigationFile, actor, note: str = "") -> LitigationFile:
    """Start preparing the claim: the officer gathers evidence and the bundle."""
    with transaction.atomic():
        file = _locked(file)
        _move_check(file, F.PREPARING)
        file_status_move(file=file, to=F.PREPARING, actor=actor, note=note)
    return file


def file_filing_record(
    *, file: LitigationFile, court: str, court_case_number: str, filed_on: datetime.date, actor, note: str = ""
) -> LitigationFile:
    """
    The claim was filed with the court. A filing interrupts the limitation
    period (Civil Code art. 195), so the case's expiry is recomputed.
    """
    court, court_case_number = court.strip(), court_case_number.strip()
    if not court or not court_case_number or filed_on is None:
        raise LitigationError(COURT_REQUIRED, field="court")
    if filed_on > timezone.localdate():
        raise LitigationError(FILED_IN_FUTURE, field="filed_on")
    from legal.limitation import case_limitation_refresh

    with transaction.atomic():
        file = _locked(file)
        _move_check(file, F.FILED)
        file_status_move(
            file=file,
            to=F.FILED,
            actor=actor,
            note=note,
            fields={"court": court, "court_case_number": court_case_number, "filed_on": filed_on},
        )
        case_limitation_refresh(case=file.case)
        file.case.refresh_from_db(
            fields=["limitation_expires_on", "limitation_restarted_on", "limitation_restarted_by"]
        )
        file_deadline_refresh(file=file)
    return file


def file_close(*, file: LitigationFile, outcome: str, actor, note: str = "") -> LitigationFile:
    """End the file: won, lost, settled or withdrawn. The case is left as it is (see the module's note)."""
    if outcome not in CLOSE_OUTCOMES:
        raise LitigationError(NOT_A_CLOSE, field="outcome")
    with transaction.atomic():
        file = _locked(file)
        _move_check(file, outcome)
        file_status_move(file=file, to=outcome, actor=actor, note=note, fields={"closed_on": timezone.localdate()})
    return file


def file_assign(*, file: LitigationFile, legal_officer, outside_lawyer: str, actor) -> LitigationFile:
    """Who works the file: a legal officer (who must hold WORK_LEGAL) and the outside lawyer, if any."""
    if legal_officer is not None and not user_can(legal_officer, Capability.WORK_LEGAL):
        raise LitigationError(NOT_OFFICER, field="legal_officer")
    with transaction.atomic():
        file = _locked(file)
        if not file.is_open:
            raise LitigationError(FILE_CLOSED)
        file.legal_officer = legal_officer
        file.outside_lawyer = outside_lawyer.strip()
        file.save(update_fields=["legal_officer", "outside_lawyer", "updated_at"])
        officer_name = (legal_officer.get_full_name() or legal_officer.username) if legal_officer else ""
        facts = events.assigned(file, officer_name=officer_name, lawyer=file.outside_lawyer)
        event_record(case=file.case, facts=facts, actor=actor)
        audit_record(action="legal.file.assigned", target=file, actor=actor, data=facts.data)
    return file


def file_deadline_refresh(*, file: LitigationFile, save: bool = True, today: datetime.date | None = None) -> None:
    """
    Keep `next_deadline_on`: the earliest upcoming of the file's hearings to
    be held, its appeal deadline and the case's limitation expiry. A file
    that is over has none. The workspace's queue sorts by it.
    """
    today = today or timezone.localdate()
    candidates = []
    if file.is_open:
        hearing = (
            Hearing.objects.filter(file=file, outcome=Hearing.Outcome.PENDING, starts_at__date__gte=today)
            .order_by("starts_at")
            .values_list("starts_at", flat=True)
            .first()
        )
        if hearing is not None:
            candidates.append(timezone.localdate(hearing))
        appeal = (
            Judgment.objects.filter(file=file, appeal_deadline_on__gte=today)
            .values_list("appeal_deadline_on", flat=True)
            .first()
        )
        if appeal is not None:
            candidates.append(appeal)
        expires = Case.objects.filter(pk=file.case_id).values_list("limitation_expires_on", flat=True).first()
        if expires is not None and expires >= today:
            candidates.append(expires)
    deadline = min(candidates) if candidates else None
    if deadline != file.next_deadline_on:
        file.next_deadline_on = deadline
        if save:
            LitigationFile.objects.filter(pk=file.pk).update(next_deadline_on=deadline)


def case_files_deadline_refresh(*, case) -> None:
    """After the case's limitation expiry changed (legal/limitation.py): its open file's next deadline again."""
    for file in LitigationFile.objects.filter(case=case).exclude(status__in=ENDED_STATUSES):
        file_deadline_refresh(file=file)
