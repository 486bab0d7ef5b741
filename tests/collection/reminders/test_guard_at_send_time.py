"""
The guard is asked again when a reminder leaves: a borrower who disputed,
asked to stop or paid after it was queued gets nothing, and the refusal log
says which rule stopped it. A reminder that goes out is on the case timeline.
"""

import datetime

import pytest

from collection.models import CaseEvent, ContactRefusal, HoldKind, MessageStatus, OutboundMessage
from collection.reminders.dispatch import messages_dispatch_due
from collection.reminders.queueing import reminders_queue
from tests.collection.conftest import MORNING
from tests.collection.factories import HoldFactory, case_in_arrears

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("morning")]

SENDING = MORNING + datetime.timedelta(minutes=5)


@pytest.fixture
def case(collector):
    """A case one day past due, whose borrower's mobile is verified: the +1 reminder is due today."""
    case = case_in_arrears(collector=collector, days_past_due=1)
    case.borrower.time_zone = "Asia/Shanghai"
    case.borrower.save(update_fields=["time_zone"])
    case.borrower.contact_points.update(is_verified=True)
    return case


@pytest.fixture
def queued(case):
    reminders_queue(on=MORNING.date(), now=MORNING - datetime.timedelta(hours=8))
    message = OutboundMessage.objects.get()
    assert (message.case, message.kind, message.status) == (case, "overdue_reminder", MessageStatus.QUEUED)
    return message


def test_a_reminder_that_goes_out_is_on_the_case_timeline_with_its_state(case, queued):
    messages_dispatch_due(now=SENDING)

    queued.refresh_from_db()
    assert queued.status in (MessageStatus.SENT, MessageStatus.DELIVERED)
    assert queued.body and queued.recipient
    event = CaseEvent.objects.get(case=case, code="message_sent")
    assert event.data["purpose"] == "overdue_reminder" and event.data["status"] == queued.status


@pytest.mark.parametrize("kind", [HoldKind.DISPUTE, HoldKind.CEASE_CONTACT])
def test_a_hold_placed_after_queuing_stops_it_and_the_refusal_is_recorded(case, queued, kind):
    HoldFactory(case=case, kind=kind)

    messages_dispatch_due(now=SENDING)

    queued.refresh_from_db()
    assert queued.status == MessageStatus.SUPPRESSED and queued.sent_at is None
    refusal = ContactRefusal.objects.get()
    assert (refusal.case, refusal.channel, refusal.action) == (case, "sms", "message.reminder")
    assert queued.suppressed_rule == refusal.rule
    assert not CaseEvent.objects.filter(case=case, code="message_sent").exists()


def test_a_borrower_who_asked_to_stop_gets_nothing(case, queued):
    case.borrower.cease_contact_requested = True
    case.borrower.save(update_fields=["cease_contact_requested"])

    messages_dispatch_due(now=SENDING)

    queued.refresh_from_db()
    assert queued.status == MessageStatus.SUPPRESSED
    assert ContactRefusal.objects.filter(case=case, action="message.reminder").count() == 1


def test_a_borrower_who_paid_after_queuing_gets_nothing(case, queued):
    case.case_accounts.get().account.installments.filter(due_on=queued.installment_due_on).update(
        paid_off_on=MORNING.date()
    )

    messages_dispatch_due(now=SENDING)

    queued.refresh_from_db()
    assert (queued.status, queued.suppressed_rule) == (MessageStatus.SUPPRESSED, "already_paid")


def test_a_reminder_sent_is_not_sent_again_by_a_retried_run(case, queued):
    messages_dispatch_due(now=SENDING)
    messages_dispatch_due(now=SENDING + datetime.timedelta(minutes=1))
    reminders_queue(on=MORNING.date(), now=SENDING)
    messages_dispatch_due(now=SENDING + datetime.timedelta(minutes=2))

    assert OutboundMessage.objects.count() == 1
    assert CaseEvent.objects.filter(case=case, code="message_sent").count() == 1


def test_the_dispatch_task_run_twice_sends_once(case, queued):
    from collection.reminders.tasks import messages_dispatch_task

    first = messages_dispatch_task.apply().get()
    again = messages_dispatch_task.apply().get()

    assert (first, again) == (1, 0)
    queued.refresh_from_db()
    assert queued.status in (MessageStatus.SENT, MessageStatus.DELIVERED) and queued.attempts == 1
