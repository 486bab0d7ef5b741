"""The demo's reminder history: sent by the real senders and the file backends, in contact hours."""

import datetime
import zoneinfo

import pytest
import time_machine
from django.utils import timezone

from accounts.demo import demo_staff_ensure
from collection.demo import collection_demo_seed
from collection.lifecycle import collection_nightly_run
from collection.models import CaseEvent, MessageOrigin, MessageStatus, OutboundMessage
from collection.reminders.demo import DAYS, reminders_demo
from lending.demo.services import demo_portfolio_seed
from tests.collection.factories import PortfolioFactory

pytestmark = pytest.mark.django_db

NOW = datetime.datetime(2026, 11, 28, 7, 0, tzinfo=datetime.UTC)  # mid-afternoon in Shanghai


@pytest.fixture
def demo(db):
    with time_machine.travel(NOW, tick=False):
        PortfolioFactory()
        demo_portfolio_seed(accounts=250, seed=3, as_of=timezone.localdate())
        demo_staff_ensure()
        collection_demo_seed(seed=3, today=timezone.localdate(), lifecycle=collection_nightly_run)
        counts = reminders_demo(seed=3, today=timezone.localdate())
    return counts


def test_the_demo_sends_its_past_reminders_through_the_senders_in_contact_hours(demo):
    """One test over one seeded demo (seeding is the slow part)."""
    reminders = OutboundMessage.objects.filter(origin=MessageOrigin.REMINDER).select_related("borrower")
    sent = reminders.filter(status__in=(MessageStatus.SENT, MessageStatus.DELIVERED))

    assert demo["reminders"] == reminders.count() > 0
    assert sent.exists()
    assert not sent.filter(body="").exists() and not sent.filter(recipient="").exists()
    first_day = NOW.date() - datetime.timedelta(days=DAYS)
    for message in sent:
        assert first_day <= message.sent_at.date() <= NOW.date()
        zone = zoneinfo.ZoneInfo(message.borrower.time_zone or "Asia/Shanghai")
        assert 8 <= message.sent_at.astimezone(zone).hour < 22, message

    # Every reminder on a timeline is one the senders sent (none written by hand), with its state.
    sent_with_case = sent.filter(case__isnull=False)
    assert sent_with_case.exists()
    reminder_events = CaseEvent.objects.filter(
        code="message_sent", data__purpose__in=["overdue_reminder", "due_today_reminder", "pre_due_reminder"]
    )
    assert reminder_events.count() == sent_with_case.count()
    assert {event.data["status"] for event in reminder_events} <= {MessageStatus.SENT, MessageStatus.DELIVERED}
