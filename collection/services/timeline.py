"""The case timeline: one CaseEvent per thing that happened, written by the service that did it."""

from django.utils import timezone

from collection.models import Case, CaseEvent


def event_record(
    *,
    case: Case,
    kind: str,
    summary: str,
    actor=None,
    notes: str = "",
    data: dict | None = None,
    at=None,
) -> CaseEvent:
    """Add a line to the case's timeline. Call it inside the service's transaction."""
    return CaseEvent.objects.create(
        case=case,
        kind=kind,
        summary=str(summary)[:300],
        actor=actor if getattr(actor, "is_authenticated", False) else None,
        notes=notes,
        data=data or {},
        occurred_at=at or timezone.now(),
    )
