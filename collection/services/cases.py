"""
A case's status follows from its facts, so every service that changes one of
them calls `case_status_refresh` instead of setting the status itself:

    closed          → stays closed (only the lifecycle closes and reopens)
    an active hold  → on hold
    an active arrangement → in arrangement
    a pending promise     → promised
    otherwise       → open
"""

from collection import events
from collection.models import ArrangementStatus, Case, CaseStatus, PromiseStatus
from collection.services.timeline import event_record


def case_status_derive(case: Case) -> str:
    if case.status == CaseStatus.CLOSED:
        return CaseStatus.CLOSED
    if case.holds.filter(released_at__isnull=True).exists():
        return CaseStatus.ON_HOLD
    if case.arrangements.filter(status=ArrangementStatus.ACTIVE).exists():
        return CaseStatus.IN_ARRANGEMENT
    if case.promises.filter(status=PromiseStatus.PENDING).exists():
        return CaseStatus.PROMISED
    return CaseStatus.OPEN


def case_status_refresh(*, case: Case, actor=None) -> str:
    """Set the case's status from its holds, arrangements and promises; a change goes on the timeline."""
    status = case_status_derive(case)
    if status != case.status:
        previous = case.status
        case.status = status
        case.save(update_fields=["status", "updated_at"])
        event_record(case=case, facts=events.status_changed(previous=previous, status=status), actor=actor)
    return status
