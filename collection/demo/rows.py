"""
The rows of the demo's past: `_History` collects every case's contacts,
promises, holds, arrangements, visits and timeline lines, and `_write`
writes them in bulk, linking what the database's ids link. Also the two
small helpers every part of the story uses: a weighted pick and a moment
inside contact hours in the borrower's zone.
"""

import datetime
import random
import zoneinfo

from accounts.demo import demo_locale
from collection import events
from collection.demo.texts import NOTES
from collection.models import (
    Arrangement,
    ArrangementInstallment,
    CaseEvent,
    ContactAttempt,
    FieldVisit,
    Hold,
    PromiseToPay,
)
from collection.services.timeline import event_build


def _pick(rng: random.Random, weighted):
    total = sum(weight for _item, weight in weighted)
    point = rng.random() * total
    for item, weight in weighted:
        point -= weight
        if point < 0:
            return item
    return weighted[-1][0]


def _local_moment(day: datetime.date, zone: str, rng: random.Random, *, earliest=9, latest=20) -> datetime.datetime:
    """A time on `day` inside contact hours in the borrower's zone."""
    hour = rng.randint(earliest, latest - 1)
    minute = rng.randint(0, 59)
    return datetime.datetime(day.year, day.month, day.day, hour, minute, tzinfo=zoneinfo.ZoneInfo(zone))


class _History:
    """Collects the rows of every case's past, then writes them in bulk."""

    def __init__(self):
        self.contacts: list[ContactAttempt] = []
        self.contact_events: list[tuple[ContactAttempt, CaseEvent]] = []
        self.promises: list[tuple[PromiseToPay, ContactAttempt | None]] = []
        self.events: list[CaseEvent] = []
        self.holds: list[Hold] = []
        self.arrangements: list[tuple[Arrangement, list[ArrangementInstallment]]] = []
        self.visits: list[FieldVisit] = []
        self.notes: dict = NOTES[demo_locale()]

    def event(self, case, facts: events.EventFacts, at, actor=None, notes=""):
        """A timeline line of the same code and facts as the service that does the thing writes."""
        event = event_build(case=case, facts=facts, at=at, actor=actor, notes=notes)
        self.events.append(event)
        return event


def _write(history: _History) -> None:
    ContactAttempt.objects.bulk_create(history.contacts, batch_size=2000)
    for contact, event in history.contact_events:  # the line points at its contact, as the service's does
        event.data["contact_id"] = contact.pk
    for promise, contact in history.promises:
        promise.contact = contact
    PromiseToPay.objects.bulk_create([promise for promise, _contact in history.promises], batch_size=2000)
    Hold.objects.bulk_create(history.holds, batch_size=2000)
    Arrangement.objects.bulk_create([arrangement for arrangement, _parts in history.arrangements], batch_size=2000)
    parts = []
    for arrangement, installments in history.arrangements:
        for installment in installments:
            installment.arrangement = arrangement
            parts.append(installment)
    ArrangementInstallment.objects.bulk_create(parts, batch_size=2000)
    FieldVisit.objects.bulk_create(history.visits, batch_size=2000)
    CaseEvent.objects.bulk_create(history.events, batch_size=2000)
