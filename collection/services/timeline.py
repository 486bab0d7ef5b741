"""The case timeline: one CaseEvent per thing that happened, written by the service that did it."""

from django.utils import timezone

from collection.events import EventFacts
from collection.models import Case, CaseEvent


def event_record(*, case: Case, facts: EventFacts, actor=None, notes: str = "", at=None) -> CaseEvent:
    """
    Add a line to the case's timeline: its kind, code and facts (built by
    collection/events.py), never a sentence. Call it inside the service's transaction.
    """
    return CaseEvent.objects.create(
        case=case,
        kind=facts.kind,
        code=facts.code,
        data=facts.data,
        actor=actor if getattr(actor, "is_authenticated", False) else None,
        notes=notes,
        occurred_at=at or timezone.now(),
    )


def event_build(*, case: Case, facts: EventFacts, at, actor=None, notes: str = "") -> CaseEvent:
    """The same line unsaved, for writers that insert many at once (the demo's history)."""
    return CaseEvent(
        case=case,
        kind=facts.kind,
        code=facts.code,
        data=facts.data,
        actor=actor,
        notes=notes,
        occurred_at=at,
    )
