"""The dispatcher: due queued messages claimed in disjoint batches and handed to the sender, once."""

import datetime

import pytest

from collection.models import MessageStatus, OutboundMessage
from collection.reminders import dispatch
from collection.reminders.dispatch import CLAIM_LEASE, messages_dispatch_due, messages_due_claim
from collection.reminders.queueing import reminders_queue
from tests.collection.reminders.conftest import DUE, SHANGHAI, reminder_account

pytestmark = pytest.mark.django_db

ON = DUE - datetime.timedelta(days=1)
QUEUED_AT = datetime.datetime.combine(ON, datetime.time(1, 30), tzinfo=SHANGHAI)
SENDING = datetime.datetime.combine(ON, datetime.time(10, 5), tzinfo=SHANGHAI)


@pytest.fixture
def queued():
    accounts = [reminder_account() for _ in range(5)]
    reminders_queue(on=ON, now=QUEUED_AT)
    return accounts


def test_nothing_goes_before_its_moment(queued):
    assert messages_dispatch_due(now=SENDING - datetime.timedelta(hours=1)) == 0
    assert set(OutboundMessage.objects.values_list("status", flat=True)) == {MessageStatus.QUEUED}


def test_due_messages_are_sent(queued):
    assert messages_dispatch_due(now=SENDING) == 5
    assert set(OutboundMessage.objects.values_list("status", flat=True)) == {MessageStatus.SENT}


def test_dispatching_twice_sends_nothing_the_second_time(queued):
    messages_dispatch_due(now=SENDING)
    sent_at = dict(OutboundMessage.objects.values_list("pk", "sent_at"))

    assert messages_dispatch_due(now=SENDING + datetime.timedelta(minutes=1)) == 0
    assert dict(OutboundMessage.objects.values_list("pk", "sent_at")) == sent_at


def test_a_reminder_of_an_installment_paid_after_queuing_is_not_sent(queued):
    paid = queued[0]
    paid.installments.update(paid_off_on=ON)

    messages_dispatch_due(now=SENDING)

    message = OutboundMessage.objects.get(account=paid)
    assert (message.status, message.suppressed_rule) == (MessageStatus.SUPPRESSED, "already_paid")
    assert message.sent_at is None
    assert OutboundMessage.objects.filter(status=MessageStatus.SENT).count() == 4


def test_claims_are_disjoint_and_capped(queued):
    first = messages_due_claim(now=SENDING, size=3)
    second = messages_due_claim(now=SENDING, size=3)

    assert len(first) == 3 and len(second) == 2
    assert not set(first) & set(second)
    assert messages_due_claim(now=SENDING, size=3) == []


def test_a_batch_left_claimed_by_a_dead_worker_is_taken_again_when_its_lease_ends(queued):
    dead_workers_batch = messages_due_claim(now=SENDING, size=10)

    assert messages_dispatch_due(now=SENDING + datetime.timedelta(minutes=1)) == 0
    later = SENDING + CLAIM_LEASE + datetime.timedelta(seconds=1)
    assert messages_dispatch_due(now=later) == len(dead_workers_batch) == 5
    assert OutboundMessage.objects.filter(status=MessageStatus.SENT).count() == 5


def test_the_limit_caps_a_run(queued, monkeypatch):
    monkeypatch.setattr(dispatch, "BATCH_SIZE", 2)

    assert messages_dispatch_due(now=SENDING, limit=3) == 3
    assert OutboundMessage.objects.filter(status=MessageStatus.QUEUED).count() == 2
    assert messages_dispatch_due(now=SENDING) == 2


def test_a_message_that_fails_to_send_does_not_stop_the_rest(queued, monkeypatch):
    import collection.messaging.services as messaging

    real_send, broken = messaging.message_send, OutboundMessage.objects.order_by("pk").first().pk

    def send(*, message_id, now=None):
        if message_id == broken:
            raise RuntimeError("provider library bug")
        return real_send(message_id=message_id, now=now)

    monkeypatch.setattr(messaging, "message_send", send)

    assert messages_dispatch_due(now=SENDING) == 5
    assert OutboundMessage.objects.get(pk=broken).status == MessageStatus.QUEUED
    assert OutboundMessage.objects.filter(status=MessageStatus.SENT).count() == 4
