"""
The timeline stores what happened (kind, code, facts) and speaks the reader's
language: an event an English-speaking collector wrote reads in Chinese, with
Chinese number and date formats, for a Chinese reader.
"""

import datetime
import importlib
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.apps import apps
from django.urls import reverse
from django.utils import translation

from collection import events
from collection.models import CaseEvent, EventKind, HoldKind
from collection.services.contacts import hold_place
from collection.services.promises import promise_record
from collection.timeline import EVENT_TEXT, event_text
from tests.collection.factories import case_in_arrears

pytestmark = pytest.mark.django_db

MORNING = datetime.datetime(2026, 3, 16, 10, 0, tzinfo=ZoneInfo("Asia/Shanghai"))


@pytest.fixture(autouse=True)
def _morning():
    with time_machine.travel(MORNING, tick=False):
        yield


def test_every_code_has_one_rendering_and_every_rendering_a_code():
    assert set(EVENT_TEXT) == events.ALL_CODES


def test_an_event_written_in_english_reads_in_chinese_for_a_chinese_reader(client, collector, team_lead):
    case = case_in_arrears(collector=collector, days_past_due=20)
    with translation.override("en"):
        promise_record(case=case, amount=Decimal("2000.00"), due_on=datetime.date(2026, 3, 23), actor=collector)
    event = CaseEvent.objects.get(case=case, kind=EventKind.PROMISE)
    assert event.code == "promise_made"
    assert event.summary == ""  # no sentence in the writer's language is stored
    assert event.data["parts"] == [["2000.00", "2026-03-23"]]

    collector.language = "zh-hans"
    collector.save()
    client.force_login(collector)
    response = client.get(reverse("collection:case_detail", args=[case.pk]))
    [line] = [line for line in response.context["timeline"] if line.event.pk == event.pk]
    assert line.text == "承诺于 2026年3月23日 前还款 2,000.00 CNY"
    assert line.text in response.text

    client.force_login(team_lead)  # an English reader sees the same event in English
    response = client.get(reverse("collection:case_detail", args=[case.pk]))
    [line] = [line for line in response.context["timeline"] if line.event.pk == event.pk]
    assert line.text == "Promise to pay 2,000.00 CNY by 03/23/2026"


def test_a_hold_reads_in_the_readers_language(collector):
    case = case_in_arrears(collector=collector, days_past_due=20)
    hold_place(case=case, kind=HoldKind.DISPUTE, reason="Goods never arrived", actor=collector)
    event = CaseEvent.objects.get(case=case, code="hold_placed")
    with translation.override("en"):
        english = event_text(event)
    with translation.override("zh-hans"):
        chinese = event_text(event)
    assert english.startswith("On hold: ")
    assert chinese != english and "Dispute" not in chinese


def test_the_demo_writes_the_services_codes_and_facts():
    """Every event the demo writes has a known code whose rendering reads its facts."""
    from collection.demo import _History

    history = _History()
    case = case_in_arrears(days_past_due=40)
    history.event(case, events.message_sent(channel="sms", purpose="overdue_reminder"), MORNING)
    history.event(
        case,
        events.promise_decided(
            promise_id=None,
            status="broken",
            amount=Decimal("500.00"),
            paid=Decimal("0.00"),
            currency="CNY",
            due_on=datetime.date(2026, 3, 10),
        ),
        MORNING,
    )
    with translation.override("en"):
        assert [event_text(event) for event in history.events] == [
            "Overdue reminder sent by SMS",
            "Promise broken: 500.00 CNY were due 03/10/2026",
        ]


def test_old_events_get_their_code_and_lose_their_frozen_sentence():
    migration = importlib.import_module("collection.migrations.0005_case_event_code")
    case = case_in_arrears(days_past_due=20)
    readable = CaseEvent.objects.create(
        case=case,
        occurred_at=MORNING,
        kind=EventKind.PROMISE,
        summary="Promise broken: 500.00 CNY were due 2026-03-10",
        data={"code": "promise_broken", "amount": "500.00", "paid": "0.00", "currency": "CNY", "due_on": "2026-03-10"},
    )
    unreadable = CaseEvent.objects.create(
        case=case,
        occurred_at=MORNING,
        kind=EventKind.PROMISE,
        summary="Promise to pay 300 CNY by 2026-03-20",
        data={"code": "recorded", "amount": "300"},
    )
    migration.codes_fill(apps, None)
    readable.refresh_from_db()
    unreadable.refresh_from_db()
    assert (readable.code, readable.summary) == ("promise_broken", "")
    with translation.override("zh-hans"):
        assert "500.00 CNY" in event_text(readable) and "2026年3月10日" in event_text(readable)
    assert (unreadable.code, unreadable.summary) == ("", "Promise to pay 300 CNY by 2026-03-20")
    assert event_text(unreadable) == "Promise to pay 300 CNY by 2026-03-20"
