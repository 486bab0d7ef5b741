"""
The provider's delivery reports: signed with HMAC over the timestamp and the
body; a forged, stale or replayed report is refused; an accepted one moves
the message to delivered or failed, and its line on the case timeline.
"""

import json
import time

import pytest
from django.urls import reverse

from accounts.signing import body_signature
from collection.models import CaseEvent, DeliveryCallbackReceipt, MessageStatus
from collection.timeline import event_text
from tests.collection.messaging.factories import OutboundMessageFactory

pytestmark = pytest.mark.django_db

SECRET = "callback-secret-for-tests"
URL = "collection:message_delivery_callback"


@pytest.fixture(autouse=True)
def _secret(settings):
    settings.MESSAGES_CALLBACK_SECRET = SECRET
    settings.MESSAGES_CALLBACK_MAX_AGE_SECONDS = 300


@pytest.fixture
def sent(morning, case, mobile, sms_template):
    from collection.messaging.services import message_send

    message = OutboundMessageFactory(case=case)
    message = message_send(message_id=message.pk)
    # What the HTTP provider would have answered; the file backend's id stands in for it.
    assert message.status == MessageStatus.SENT
    return message


def post(client, payload, *, secret=SECRET, timestamp=None, signature=None):
    body = json.dumps(payload).encode()
    timestamp = int(time.time()) if timestamp is None else timestamp
    signature = signature or body_signature(secret=secret, timestamp=timestamp, body=body)
    return client.post(
        reverse(URL),
        data=body,
        content_type="application/json",
        HTTP_X_ARREARS_TIMESTAMP=str(timestamp),
        HTTP_X_ARREARS_SIGNATURE=signature,
    )


def test_a_signed_report_marks_the_message_delivered_and_its_timeline_line(client, sent):
    response = post(client, {"provider_message_id": sent.provider_message_id, "status": "delivered"})
    assert response.status_code == 200
    assert response.json() == {"ok": True, "message": sent.pk, "status": "delivered"}
    sent.refresh_from_db()
    assert sent.status == MessageStatus.DELIVERED
    assert sent.delivered_at is not None
    event = CaseEvent.objects.get(case=sent.case, code="message_sent")
    assert event.data["status"] == "delivered"
    assert event_text(event) == "Overdue reminder sent by SMS · delivered"


def test_a_failure_report_marks_it_failed_with_the_providers_word(client, sent):
    response = post(client, {"provider_message_id": sent.provider_message_id, "status": "failed", "detail": "absent"})
    assert response.status_code == 200
    sent.refresh_from_db()
    assert (sent.status, sent.failure_code, sent.failure_detail) == (MessageStatus.FAILED, "undelivered", "absent")
    assert event_text(CaseEvent.objects.get(case=sent.case, code="message_sent")).endswith("· not delivered")


def test_a_forged_signature_is_refused_and_changes_nothing(client, sent):
    response = post(client, {"provider_message_id": sent.provider_message_id, "status": "delivered"}, secret="guess")
    assert response.status_code == 401
    assert response.json()["error"] == "bad_signature"
    sent.refresh_from_db()
    assert sent.status == MessageStatus.SENT
    assert not DeliveryCallbackReceipt.objects.exists()


def test_a_body_changed_after_signing_is_refused(client, sent):
    timestamp = int(time.time())
    signed = json.dumps({"provider_message_id": sent.provider_message_id, "status": "failed"}).encode()
    signature = body_signature(secret=SECRET, timestamp=timestamp, body=signed)
    response = post(
        client,
        {"provider_message_id": sent.provider_message_id, "status": "delivered"},
        timestamp=timestamp,
        signature=signature,
    )
    assert response.status_code == 401


def test_a_stale_timestamp_is_refused(client, sent):
    response = post(
        client, {"provider_message_id": sent.provider_message_id, "status": "delivered"}, timestamp=time.time() - 301
    )
    assert response.status_code == 401


def test_the_same_signed_report_twice_is_a_replay(client, sent):
    payload = {"provider_message_id": sent.provider_message_id, "status": "delivered"}
    timestamp = int(time.time())
    assert post(client, payload, timestamp=timestamp).status_code == 200
    replay = post(client, payload, timestamp=timestamp)
    assert replay.status_code == 409
    assert replay.json()["error"] == "replayed"
    assert DeliveryCallbackReceipt.objects.count() == 1


def test_an_unknown_provider_id_is_404_json(client, sent):
    response = post(client, {"provider_message_id": "never-sent", "status": "delivered"})
    assert response.status_code == 404
    assert response.json()["error"] == "unknown_message"


def test_a_body_without_the_fields_is_400(client, sent):
    assert post(client, {"id": "x"}).status_code == 400
    assert post(client, {"provider_message_id": "x", "status": "read"}).status_code == 400


def test_only_post(client):
    assert client.get(reverse(URL)).status_code == 405


def test_without_a_configured_secret_every_report_is_refused(client, sent, settings):
    settings.MESSAGES_CALLBACK_SECRET = ""
    response = post(client, {"provider_message_id": sent.provider_message_id, "status": "delivered"}, secret="")
    assert response.status_code == 401
