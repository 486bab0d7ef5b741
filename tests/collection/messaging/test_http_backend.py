"""
The SMS provider's HTTP backend against a real local HTTP server that answers
200, 4xx, 5xx or hangs: sent with the provider's id, failed for good on a 4xx,
tried again with exponential backoff on a 5xx or a timeout, up to the
attempts allowed, always with the same idempotency key in its header.
"""

import datetime
import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from zoneinfo import ZoneInfo

import pytest

from collection.messaging.backends import Outgoing, PermanentSendError, TransientSendError
from collection.messaging.backends.http import HttpSmsBackend
from collection.messaging.services import message_send, retry_delay
from collection.models import MessageStatus
from tests.collection.messaging.factories import OutboundMessageFactory

MORNING = datetime.datetime(2026, 3, 16, 10, 0, tzinfo=ZoneInfo("Asia/Shanghai"))


class Provider:
    """What the fake provider answers next, and every request it received."""

    def __init__(self):
        self.answers = []  # (status, body) or "hang", one a request; the last one repeats
        self.requests = []
        self.release = threading.Event()

    def next_answer(self):
        return self.answers.pop(0) if len(self.answers) > 1 else self.answers[0]


@pytest.fixture
def provider():
    state = Provider()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length)
            state.requests.append({"headers": dict(self.headers), "body": json.loads(body), "path": self.path})
            answer = state.next_answer()
            if answer == "hang":
                state.release.wait(5)
                return
            status, payload = answer
            data = json.dumps(payload).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    state.url = f"http://127.0.0.1:{server.server_port}/v1/sms"
    yield state
    state.release.set()
    server.shutdown()
    server.server_close()


@pytest.fixture
def http_sms(settings, provider):
    settings.ARREARS_MESSAGE_BACKENDS = {
        **settings.ARREARS_MESSAGE_BACKENDS,
        "sms": "collection.messaging.backends.http.HttpSmsBackend",
    }
    settings.ARREARS_MESSAGE_BACKEND_OPTIONS = {
        **settings.ARREARS_MESSAGE_BACKEND_OPTIONS,
        "sms_http": {
            "url": provider.url,
            "token": "provider-token",
            "timeout": 0.5,
            "payload": {"mobile": "recipient", "content": "body", "client_ref": "idempotency_key"},
            "extra": {"account": "ARREARS"},
            "id_field": "data.message_id",
        },
    }
    settings.MESSAGES_MAX_ATTEMPTS = 3
    settings.MESSAGES_RETRY_BASE_SECONDS = 30
    return provider


def outgoing(**fields):
    return Outgoing(
        idempotency_key="step:7:42:2026-03-16", channel="sms", recipient="+8613800001111", body="Hello", **fields
    )


def backend(provider, **options):
    return HttpSmsBackend({"url": provider.url, "timeout": 0.5, **options})


def test_a_200_is_sent_with_the_providers_id_and_the_idempotency_header(provider):
    provider.answers = [(200, {"id": "prov-1"})]
    delivery = backend(provider, username="arrears", password="s3cret").send(outgoing())
    assert delivery.provider_message_id == "prov-1"
    request = provider.requests[0]
    assert request["headers"]["Idempotency-Key"] == "step:7:42:2026-03-16"
    assert request["headers"]["Authorization"] == "Basic YXJyZWFyczpzM2NyZXQ="
    assert request["body"] == {"to": "+8613800001111", "text": "Hello", "reference": "step:7:42:2026-03-16"}


def test_a_4xx_is_permanent_with_the_providers_answer(provider):
    provider.answers = [(400, {"error": "invalid number"})]
    with pytest.raises(PermanentSendError) as raised:
        backend(provider).send(outgoing())
    assert raised.value.code == "provider_400"
    assert "invalid number" in raised.value.detail


def test_a_5xx_is_transient(provider):
    provider.answers = [(503, {"error": "busy"})]
    with pytest.raises(TransientSendError) as raised:
        backend(provider).send(outgoing())
    assert raised.value.code == "provider_503"


def test_a_429_is_transient_too(provider):
    provider.answers = [(429, {"error": "slow down"})]
    with pytest.raises(TransientSendError):
        backend(provider).send(outgoing())


def test_a_provider_that_hangs_times_out_as_transient(provider):
    provider.answers = ["hang"]
    with pytest.raises(TransientSendError) as raised:
        backend(provider, timeout=0.3).send(outgoing())
    assert raised.value.code == "timeout"


def test_an_unreachable_provider_is_transient():
    with pytest.raises(TransientSendError) as raised:
        HttpSmsBackend({"url": "http://127.0.0.1:9/nothing", "timeout": 0.5}).send(outgoing())
    assert raised.value.code == "unreachable"


# --- Through message_send: attempts, backoff, the same key each time ----------------------


@pytest.fixture
def message(case, mobile, sms_template):
    return OutboundMessageFactory(case=case, scheduled_for=MORNING)


def test_sent_through_the_provider_with_its_mapping(http_sms, message, mobile):
    http_sms.answers = [(202, {"data": {"message_id": "abc-123"}})]
    sent = message_send(message_id=message.pk, now=MORNING)
    assert (sent.status, sent.provider_message_id, sent.attempts) == (MessageStatus.SENT, "abc-123", 1)
    request = http_sms.requests[0]
    assert request["headers"]["Authorization"] == "Bearer provider-token"
    assert request["body"] == {
        "account": "ARREARS",
        "mobile": mobile.number_e164,
        "content": sent.body,
        "client_ref": message.idempotency_key,
    }


def test_a_4xx_fails_the_message_at_once_without_retrying(http_sms, message):
    http_sms.answers = [(422, {"error": "number blocked"})]
    failed = message_send(message_id=message.pk, now=MORNING)
    assert (failed.status, failed.failure_code, failed.attempts) == (MessageStatus.FAILED, "provider_422", 1)
    assert "number blocked" in failed.failure_detail
    assert len(http_sms.requests) == 1


def test_5xx_and_timeouts_are_retried_with_backoff_then_sent_with_the_same_key(http_sms, message):
    http_sms.answers = [(500, {}), "hang", (200, {"data": {"message_id": "late-1"}})]
    with pytest.raises(TransientSendError) as first:
        message_send(message_id=message.pk, now=MORNING)
    message.refresh_from_db()
    assert (message.status, message.attempts, message.failure_code) == (MessageStatus.QUEUED, 1, "provider_500")
    assert first.value.retry_in == 30
    assert message.scheduled_for == MORNING + datetime.timedelta(seconds=30)
    # Not before its time.
    assert message_send(message_id=message.pk, now=MORNING + datetime.timedelta(seconds=10)).attempts == 1

    second_try = MORNING + datetime.timedelta(seconds=30)
    with pytest.raises(TransientSendError) as second:
        message_send(message_id=message.pk, now=second_try)
    assert second.value.code == "timeout"
    assert second.value.retry_in == 60

    sent = message_send(message_id=message.pk, now=second_try + datetime.timedelta(seconds=60))
    assert (sent.status, sent.attempts, sent.provider_message_id) == (MessageStatus.SENT, 3, "late-1")
    keys = {request["headers"]["Idempotency-Key"] for request in http_sms.requests}
    assert keys == {message.idempotency_key}
    assert len(http_sms.requests) == 3


def test_after_the_last_attempt_the_message_is_failed(http_sms, message):
    http_sms.answers = [(502, {"error": "bad gateway"})]
    moment = MORNING
    for _attempt in range(2):
        with pytest.raises(TransientSendError) as raised:
            message_send(message_id=message.pk, now=moment)
        moment += datetime.timedelta(seconds=raised.value.retry_in)
    failed = message_send(message_id=message.pk, now=moment)
    assert (failed.status, failed.attempts, failed.failure_code) == (MessageStatus.FAILED, 3, "provider_502")
    assert len(http_sms.requests) == 3


def test_the_backoff_doubles_and_is_capped(settings):
    settings.MESSAGES_RETRY_BASE_SECONDS = 30
    settings.MESSAGES_RETRY_MAX_SECONDS = 100
    assert [retry_delay(attempts) for attempts in (1, 2, 3, 4)] == [30, 60, 100, 100]


def test_the_task_retries_a_transient_failure_with_the_services_countdown(http_sms, message, monkeypatch):
    from celery.exceptions import Retry

    from collection.messaging.tasks import message_send_task

    http_sms.answers = [(503, {})]
    countdowns = []

    def fake_retry(*, countdown, exc):
        countdowns.append(countdown)
        return Retry(exc=exc)

    monkeypatch.setattr(message_send_task, "retry", fake_retry)
    import time_machine

    with time_machine.travel(MORNING, tick=False), pytest.raises(Retry):
        message_send_task.run(message.pk)
    assert countdowns == [30]
