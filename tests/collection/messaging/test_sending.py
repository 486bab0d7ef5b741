"""
Sending one message: queued once per key, claimed once, put to the guard at
send time (suppressed and logged when refused, waiting when only the hours
refuse), rendered with the opt-out line its jurisdiction requires.
"""

import datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine

from collection.compliance import Rule
from collection.messaging import codes
from collection.messaging.relevance import RELEVANCE_CHECKS, relevance_register
from collection.messaging.services import message_queue, message_send, messages_queue_many
from collection.models import (
    CaseEvent,
    ContactAttempt,
    ContactRefusal,
    HoldKind,
    MessageKind,
    MessageOrigin,
    MessageStatus,
    MessageTemplate,
    OutboundMessage,
    Outcome,
)
from collection.timeline import event_text
from tests.collection.factories import HoldFactory
from tests.collection.messaging.factories import OutboundMessageFactory, template_with_text
from tests.lending.factories import account_with_schedule

pytestmark = pytest.mark.django_db

SHANGHAI = ZoneInfo("Asia/Shanghai")
NEW_YORK = ZoneInfo("America/New_York")
MORNING = datetime.datetime(2026, 3, 16, 10, 0, tzinfo=SHANGHAI)
NIGHT = datetime.datetime(2026, 3, 16, 23, 0, tzinfo=SHANGHAI)
NEW_YORK_MORNING = datetime.datetime(2026, 3, 16, 10, 0, tzinfo=NEW_YORK)


@pytest.fixture(autouse=True)
def _templates(sms_template):
    return sms_template


@pytest.fixture
def _no_relevance_checks():
    saved = {origin: list(checks) for origin, checks in RELEVANCE_CHECKS.items()}
    RELEVANCE_CHECKS.clear()
    yield
    RELEVANCE_CHECKS.clear()
    RELEVANCE_CHECKS.update(saved)


def queue(case, key="step:1:1:2026-03-16", **fields):
    return message_queue(
        idempotency_key=key,
        origin=fields.pop("origin", MessageOrigin.STRATEGY),
        kind=fields.pop("kind", MessageKind.OVERDUE_REMINDER),
        channel=fields.pop("channel", "sms"),
        borrower=case.borrower,
        case=case,
        **fields,
    )


# --- Queuing ------------------------------------------------------------------------------


def test_queuing_twice_with_one_key_makes_one_message(case):
    with time_machine.travel(MORNING, tick=False):
        first = queue(case)
        second = queue(case, kind=MessageKind.PAYMENT_DEMAND)
    assert second.pk == first.pk
    assert second.kind == MessageKind.OVERDUE_REMINDER
    assert OutboundMessage.objects.count() == 1
    assert first.status == MessageStatus.QUEUED
    assert first.language == case.borrower.language


def test_a_message_queued_in_the_night_is_scheduled_for_the_morning(case):
    with time_machine.travel(NIGHT, tick=False):
        message = queue(case)
    assert message.scheduled_for == datetime.datetime(2026, 3, 17, 8, 0, tzinfo=SHANGHAI)


def test_queuing_enqueues_the_sending_on_commit(case, eager_celery, django_capture_on_commit_callbacks, sent_files):
    with time_machine.travel(MORNING, tick=False), django_capture_on_commit_callbacks(execute=True) as callbacks:
        message = queue(case)
    assert len(callbacks) == 1
    message.refresh_from_db()
    assert message.status == MessageStatus.SENT
    assert list(sent_files()) == [message.idempotency_key]


def test_queue_many_inserts_new_keys_and_ignores_known_ones(case):
    account = case.case_accounts.get().account
    OutboundMessageFactory(case=case, idempotency_key="reminder:known")

    def row(key):
        return OutboundMessage(
            idempotency_key=key,
            origin=MessageOrigin.REMINDER,
            kind=MessageKind.PRE_DUE_REMINDER,
            channel="sms",
            borrower_id=case.borrower_id,
            account_id=account.pk,
        )

    inserted = messages_queue_many([row("reminder:known"), row("reminder:a"), row("reminder:b")])
    assert inserted == 2
    assert messages_queue_many([row("reminder:a"), row("reminder:b")]) == 0
    fresh = OutboundMessage.objects.get(idempotency_key="reminder:a")
    assert (fresh.status, fresh.body, fresh.recipient) == (MessageStatus.QUEUED, "", "")
    assert OutboundMessage.objects.count() == 3


# --- Sending ------------------------------------------------------------------------------


def test_sending_renders_writes_the_file_the_contact_and_the_timeline(case, mobile, sent_files):
    message = OutboundMessageFactory(case=case, scheduled_for=MORNING)
    sent = message_send(message_id=message.pk, now=MORNING)
    assert sent.status == MessageStatus.SENT
    assert sent.attempts == 1
    assert sent.recipient == mobile.number_e164
    assert case.borrower.name in sent.body
    assert case.number in sent.body
    assert "1,012.50 CNY" in sent.body
    assert sent.segments == 1
    assert sent_files()[message.idempotency_key]["text"] == sent.body
    contact = ContactAttempt.objects.get(case=case)
    assert (contact.channel, contact.outcome, contact.answered_by) == ("sms", Outcome.MESSAGE_SENT, "nobody")
    event = CaseEvent.objects.get(case=case, code="message_sent")
    assert event.data["message_id"] == message.pk
    assert event_text(event) == "Overdue reminder sent by SMS"


def test_sending_twice_sends_once(case, mobile, sent_files):
    message = OutboundMessageFactory(case=case, scheduled_for=MORNING)
    message_send(message_id=message.pk, now=MORNING)
    again = message_send(message_id=message.pk, now=MORNING + datetime.timedelta(minutes=5))
    assert again.attempts == 1
    assert ContactAttempt.objects.filter(case=case).count() == 1
    assert CaseEvent.objects.filter(case=case, code="message_sent").count() == 1
    assert len(sent_files()) == 1


def test_a_message_claimed_by_another_sender_is_left_alone(case, mobile):
    message = OutboundMessageFactory(
        case=case, scheduled_for=MORNING, claimed_until=MORNING + datetime.timedelta(minutes=3)
    )
    untouched = message_send(message_id=message.pk, now=MORNING)
    assert (untouched.status, untouched.attempts) == (MessageStatus.QUEUED, 0)
    # Once the claim has expired (its sender was killed), the next sender takes it up.
    later = message_send(message_id=message.pk, now=MORNING + datetime.timedelta(minutes=4))
    assert later.status == MessageStatus.SENT


def test_a_message_not_yet_due_is_not_sent(case, mobile):
    message = OutboundMessageFactory(case=case, scheduled_for=MORNING + datetime.timedelta(hours=1))
    assert message_send(message_id=message.pk, now=MORNING).status == MessageStatus.QUEUED


def test_the_guard_refusing_at_send_time_suppresses_the_message_and_logs_the_refusal(case, mobile, sent_files):
    message = OutboundMessageFactory(case=case, scheduled_for=MORNING)
    # The borrower disputed the debt after the message was queued.
    HoldFactory(case=case, kind=HoldKind.DISPUTE)
    suppressed = message_send(message_id=message.pk, now=MORNING)
    assert suppressed.status == MessageStatus.SUPPRESSED
    assert suppressed.suppressed_rule == Rule.HOLD
    assert sent_files() == {}
    refusal = ContactRefusal.objects.get()
    assert (refusal.case_id, refusal.rule, refusal.channel, refusal.action) == (
        case.pk,
        Rule.HOLD,
        "sms",
        "message.strategy",
    )
    assert not ContactAttempt.objects.filter(case=case).exists()
    event = CaseEvent.objects.get(case=case, code="message_suppressed")
    assert event_text(event) == "Overdue reminder by SMS not sent: Case on hold"


def test_no_consent_suppresses_on_the_consent_rule(case, mobile):
    mobile.consent_sms = False
    mobile.save(update_fields=["consent_sms"])
    message = OutboundMessageFactory(case=case, scheduled_for=MORNING)
    assert message_send(message_id=message.pk, now=MORNING).suppressed_rule == Rule.CONSENT


def test_outside_the_contact_hours_the_message_waits_for_the_next_morning(case, mobile, sent_files):
    message = OutboundMessageFactory(case=case, scheduled_for=NIGHT)
    waiting = message_send(message_id=message.pk, now=NIGHT)
    assert waiting.status == MessageStatus.QUEUED
    assert waiting.scheduled_for == datetime.datetime(2026, 3, 17, 8, 0, tzinfo=SHANGHAI)
    assert waiting.claimed_until is None
    # Waiting is not a refusal: nothing in the refusal log, nothing sent.
    assert not ContactRefusal.objects.exists()
    assert sent_files() == {}
    sent = message_send(message_id=message.pk, now=waiting.scheduled_for)
    assert sent.status == MessageStatus.SENT


def test_a_relevance_check_suppresses_with_its_code(case, mobile, _no_relevance_checks):
    relevance_register(MessageOrigin.STRATEGY, lambda message: "case_closed" if message.case_id else None)
    message = OutboundMessageFactory(case=case, scheduled_for=MORNING)
    suppressed = message_send(message_id=message.pk, now=MORNING)
    assert (suppressed.status, suppressed.suppressed_rule) == (MessageStatus.SUPPRESSED, "case_closed")
    # Not the guard's refusal: the refusal log has nothing.
    assert not ContactRefusal.objects.exists()


def test_a_message_without_a_template_fails_saying_so(case, mobile):
    # The manager took the SMS of this kind out of use, in every language.
    MessageTemplate.objects.filter(kind=MessageKind.BROKEN_PROMISE, channel="sms").update(is_active=False)
    message = OutboundMessageFactory(case=case, scheduled_for=MORNING, kind=MessageKind.BROKEN_PROMISE)
    failed = message_send(message_id=message.pk, now=MORNING)
    assert (failed.status, failed.failure_code) == (MessageStatus.FAILED, codes.NO_TEMPLATE)
    assert event_text(CaseEvent.objects.get(case=case, code="message_failed")) == (
        "Promise to pay missed by SMS failed: no template for this kind, channel and language"
    )


# --- A reminder about an account in no case -----------------------------------------------


def account_reminder(account, **fields):
    return OutboundMessage.objects.create(
        idempotency_key=fields.pop("key", f"reminder:{account.pk}:1:2026-03-19"),
        origin=MessageOrigin.REMINDER,
        kind=MessageKind.PRE_DUE_REMINDER,
        channel="sms",
        language="zh-hans",
        borrower=account.borrower,
        account=account,
        installment_due_on=datetime.date(2026, 3, 19),
        created_at=MORNING,
        scheduled_for=fields.pop("scheduled_for", MORNING),
        **fields,
    )


@pytest.fixture
def account(db):
    from tests.lending.factories import ContactPointFactory

    account = account_with_schedule(opened_on=datetime.date(2026, 2, 19))
    ContactPointFactory(borrower=account.borrower)
    template_with_text(
        kind=MessageKind.PRE_DUE_REMINDER,
        body="{{ amount_due|money(currency) }} due {{ due_date|date }} on {{ account_number }}",
    )
    return account


def test_a_pre_due_reminder_without_a_case_is_sent_without_a_contact_row(account, sent_files):
    message = account_reminder(account)
    sent = message_send(message_id=message.pk, now=MORNING)
    assert sent.status == MessageStatus.SENT
    assert "1,012.50 CNY" in sent.body
    assert account.external_id[-4:] in sent.body
    assert account.external_id not in sent.body
    assert not ContactAttempt.objects.exists()
    assert not CaseEvent.objects.exists()


def test_a_pre_due_reminder_to_a_borrower_who_asked_to_stop_is_refused_with_no_case(account):
    account.borrower.cease_contact_requested = True
    account.borrower.save(update_fields=["cease_contact_requested"])
    suppressed = message_send(message_id=account_reminder(account).pk, now=MORNING)
    assert suppressed.suppressed_rule == Rule.CEASE_CONTACT
    refusal = ContactRefusal.objects.get()
    assert (refusal.case_id, refusal.borrower_id, refusal.rule) == (None, account.borrower_id, Rule.CEASE_CONTACT)


def test_a_pre_due_reminder_in_the_night_waits(account):
    waiting = message_send(message_id=account_reminder(account, scheduled_for=NIGHT).pk, now=NIGHT)
    assert waiting.status == MessageStatus.QUEUED
    assert waiting.scheduled_for == datetime.datetime(2026, 3, 17, 8, 0, tzinfo=SHANGHAI)


# --- The opt-out line ---------------------------------------------------------------------


def test_a_us_sms_ends_with_the_opt_out_line(us_case):
    message = OutboundMessageFactory(case=us_case, scheduled_for=NEW_YORK_MORNING)
    sent = message_send(message_id=message.pk, now=NEW_YORK_MORNING)
    assert sent.status == MessageStatus.SENT
    assert sent.body.endswith("Reply STOP to receive no more text messages from us.")


def test_a_chinese_sms_carries_no_opt_out_line(case, mobile):
    message = OutboundMessageFactory(case=case, scheduled_for=MORNING)
    sent = message_send(message_id=message.pk, now=MORNING)
    assert "STOP" not in sent.body


def test_a_us_sms_too_long_for_its_opt_out_line_is_suppressed_not_sent(us_case, sent_files):
    template_with_text(language="en", body="{{ borrower_name }} " + "please pay " * 14)
    message = OutboundMessageFactory(case=us_case, scheduled_for=NEW_YORK_MORNING)
    suppressed = message_send(message_id=message.pk, now=NEW_YORK_MORNING)
    assert (suppressed.status, suppressed.suppressed_rule) == (MessageStatus.SUPPRESSED, codes.OPT_OUT_OVERFLOW)
    assert sent_files() == {}


def test_a_promise_reminder_speaks_of_the_promise(case, mobile):
    from decimal import Decimal

    from tests.collection.factories import PromiseToPayFactory

    PromiseToPayFactory(case=case, amount=Decimal("300.00"), due_on=datetime.date(2026, 3, 18))
    message = OutboundMessageFactory(case=case, scheduled_for=MORNING, kind=MessageKind.PROMISE_REMINDER)
    sent = message_send(message_id=message.pk, now=MORNING)
    assert sent.status == MessageStatus.SENT
    assert "300.00 CNY" in sent.body
    assert "1,012.50" not in sent.body
