"""E-mail through Django's e-mail backends and in-app messages through the inbox file backend."""

import datetime
from zoneinfo import ZoneInfo

import pytest
from django.core import mail

from collection.messaging.backends import Outgoing, backend_for
from collection.messaging.backends.files import InAppFileBackend
from collection.messaging.services import message_send
from collection.models import MessageStatus
from tests.collection.messaging.factories import OutboundMessageFactory
from tests.lending.factories import ContactPointFactory

pytestmark = pytest.mark.django_db

NEW_YORK_MORNING = datetime.datetime(2026, 3, 16, 10, 0, tzinfo=ZoneInfo("America/New_York"))


@pytest.fixture
def email_point(us_case):
    return ContactPointFactory(
        borrower=us_case.borrower, kind="email", value="john@example.com", number_e164="", consent_email=True
    )


def test_a_us_email_goes_through_django_with_its_subject_and_opt_out_line(us_case, email_point):
    message = OutboundMessageFactory(case=us_case, channel="email", scheduled_for=NEW_YORK_MORNING)
    sent = message_send(message_id=message.pk, now=NEW_YORK_MORNING)
    assert sent.status == MessageStatus.SENT
    assert len(mail.outbox) == 1
    email = mail.outbox[0]
    assert email.to == ["john@example.com"]
    assert email.subject == sent.subject
    assert "overdue" in email.subject
    assert email.body.endswith("To receive no more e-mails from us, reply with the word UNSUBSCRIBE.")
    assert "Dear John Smith" in email.body
    assert email.extra_headers["Message-ID"] == f"<{message.idempotency_key.replace(':', '.')}@arrears.invalid>"
    assert sent.provider_message_id == email.extra_headers["Message-ID"]


def test_an_email_without_consent_is_suppressed(us_case, email_point):
    email_point.consent_email = False
    email_point.save(update_fields=["consent_email"])
    message = OutboundMessageFactory(case=us_case, channel="email", scheduled_for=NEW_YORK_MORNING)
    assert message_send(message_id=message.pk, now=NEW_YORK_MORNING).suppressed_rule == "consent"
    assert mail.outbox == []


def test_an_in_app_message_lands_in_the_inbox_delivered_with_the_opt_out_line(us_case, sent_files):
    message = OutboundMessageFactory(case=us_case, channel="in_app", scheduled_for=NEW_YORK_MORNING)
    sent = message_send(message_id=message.pk, now=NEW_YORK_MORNING)
    assert sent.status == MessageStatus.DELIVERED
    assert sent.recipient == us_case.borrower.external_id
    inbox = sent_files("in_app")
    assert inbox[message.idempotency_key]["text"] == sent.body
    assert sent.body.endswith("turn them off in the app's settings.")


def test_a_resend_to_the_file_backend_overwrites_instead_of_adding(tmp_path):
    backend = InAppFileBackend({"folder": str(tmp_path)})
    outgoing = Outgoing(idempotency_key="step:1:2:2026-03-16", channel="in_app", recipient="B1", body="one")
    backend.send(outgoing)
    backend.send(Outgoing(idempotency_key="step:1:2:2026-03-16", channel="in_app", recipient="B1", body="two"))
    files = list((tmp_path / "in_app").glob("*.json"))
    assert len(files) == 1
    assert '"two"' in files[0].read_text()


def test_the_backend_of_each_channel_comes_from_settings(settings):
    settings.ARREARS_MESSAGE_BACKENDS = {
        **settings.ARREARS_MESSAGE_BACKENDS,
        "in_app": "collection.messaging.backends.http.HttpInAppBackend",
    }
    settings.ARREARS_MESSAGE_BACKEND_OPTIONS = {
        **settings.ARREARS_MESSAGE_BACKEND_OPTIONS,
        "in_app_http": {"url": "https://app.example/inbox"},
    }
    backend = backend_for("in_app")
    assert type(backend).__name__ == "HttpInAppBackend"
    assert backend.options["url"] == "https://app.example/inbox"
