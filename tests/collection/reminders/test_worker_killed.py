"""
A real Celery worker, on the configured broker, SIGKILLed in the middle of
a dispatch batch; the batch run again by a new worker: every message reaches
the provider once.

The worker is a separate process (`celery -A config worker`), so it needs a
database another process can open (PostgreSQL in CI; skipped on the
in-memory SQLite of a plain local run) and a broker another process can
reach: the configured one (Redis in CI; skipped on the test settings'
in-process memory broker). The provider is a local HTTP server that counts the requests by
idempotency key, answering each after a short pause so the kill lands in
the middle of the batch. A request in flight when the worker died is tried
again by the next run with the same key, which the provider de-duplicates
(as SMS providers do): what the test requires is that each message was
delivered exactly once and that at most that one request was repeated.
"""

import datetime
import json
import os
import signal
import subprocess
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from django.apps import apps as django_apps
from django.conf import settings
from django.db import connection
from django.utils import timezone

from collection.models import MessageStatus, OutboundMessage
from collection.reminders.defaults import install_default_schedule
from collection.reminders.queueing import reminders_queue
from lending.models import ContactPoint
from lending.services import lender_today
from tests.collection.factories import PortfolioFactory
from tests.collection.reminders.conftest import reminder_account

pytestmark = [pytest.mark.celery_worker, pytest.mark.django_db(transaction=True)]

MESSAGES = 40
LEASE_SECONDS = 3
TASK = "collection.reminders.tasks.messages_dispatch_task"


def midday_zone() -> str:
    """A fixed-offset zone where it is about noon now, so the contact hours let every message through."""
    offset = (12 - datetime.datetime.now(datetime.UTC).hour + 12) % 24 - 12
    return "Etc/GMT" if offset == 0 else f"Etc/GMT{'-' if offset > 0 else '+'}{abs(offset)}"


class Provider(BaseHTTPRequestHandler):
    requests: dict[str, int] = {}
    delivered: list[str] = []
    lock = threading.Lock()

    def do_POST(self):  # noqa: N802
        self.rfile.read(int(self.headers.get("Content-Length") or 0))
        key = self.headers.get("Idempotency-Key", "")
        time.sleep(0.05)  # the provider takes a moment: the kill lands mid-batch
        with self.lock:
            self.requests[key] = self.requests.get(key, 0) + 1
            if self.requests[key] == 1:  # a repeated key is de-duplicated, not delivered again
                self.delivered.append(key)
        body = json.dumps({"id": f"p-{key}"}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


@pytest.fixture
def provider():
    Provider.requests, Provider.delivered = {}, []
    server = ThreadingHTTPServer(("127.0.0.1", 0), Provider)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/send"
    server.shutdown()


@pytest.fixture
def broker():
    """(environment for the worker, the app to send with) on the configured broker, if another process reaches it."""
    url = settings.CELERY_BROKER_URL
    if url.startswith("memory://"):
        pytest.skip("a worker process needs a broker it can reach: CELERY_BROKER_URL=redis://... (CI)")
    from config.celery import app

    return {"CELERY_BROKER_URL": url}, app


def database_url() -> str:
    settings_dict = connection.settings_dict
    if connection.vendor != "postgresql":
        pytest.skip("a worker process needs a database it can open: run with DATABASE_URL=postgres://... (CI)")
    user = settings_dict.get("USER") or "postgres"
    password = f":{settings_dict['PASSWORD']}" if settings_dict.get("PASSWORD") else ""
    host, port = settings_dict.get("HOST") or "127.0.0.1", settings_dict.get("PORT") or 5432
    return f"postgres://{user}{password}@{host}:{port}/{settings_dict['NAME']}"


def worker(environment: dict, provider_url: str, log) -> subprocess.Popen:
    env = {
        **os.environ,
        **environment,
        "DJANGO_SETTINGS_MODULE": "tests.settings",
        "DATABASE_URL": database_url(),
        "MESSAGES_SMS_BACKEND": "collection.messaging.backends.http.HttpSmsBackend",
        "SMS_HTTP_URL": provider_url,
        "MESSAGES_CLAIM_SECONDS": str(LEASE_SECONDS),
    }
    command = [sys.executable, "-m", "celery", "-A", "config", "worker", "-Q", "messages", "--pool=solo"]
    return subprocess.Popen(
        [*command, "--loglevel=WARNING", "--without-heartbeat", "--without-gossip", "--without-mingle"],
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )


def wait_for(condition, seconds: float, what: str, log=None):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.05)
    said = log.read_text()[-3000:] if log is not None and log.exists() else ""
    states = list(OutboundMessage.objects.values_list("status", "suppressed_rule", "failure_code").distinct())
    raise AssertionError(f"timed out waiting for {what}; messages {states}; the worker said:\n{said}")


def test_a_worker_killed_mid_batch_and_the_batch_run_again_sends_every_message_once(provider, broker, tmp_path):
    database_url()  # skips on SQLite before anything starts
    environment, sender = broker
    # A transactional test starts from an empty database: the default schedule and portfolio again.
    install_default_schedule(django_apps)
    PortfolioFactory()
    zone = midday_zone()
    for _ in range(MESSAGES):
        reminder_account(due_on=lender_today() + datetime.timedelta(days=3), time_zone=zone, province="")
    # A number says where its owner may be (+86: Shanghai); these borrowers are where their zone says.
    ContactPoint.objects.update(number_e164="")
    reminders_queue(on=lender_today())
    OutboundMessage.objects.update(scheduled_for=timezone.now() - datetime.timedelta(minutes=1))
    keys = set(OutboundMessage.objects.values_list("idempotency_key", flat=True))
    assert len(keys) == MESSAGES

    log = (tmp_path / "worker.log").open("w")
    first = worker(environment, provider, log)
    try:
        sender.send_task(TASK, queue="messages")
        wait_for(
            lambda: len(Provider.delivered) >= MESSAGES // 4,
            60,
            "the first worker to start sending",
            log=tmp_path / "worker.log",
        )
        os.killpg(first.pid, signal.SIGKILL)  # in the middle of the batch: no clean-up of any kind
        first.wait(10)
    finally:
        if first.poll() is None:
            os.killpg(first.pid, signal.SIGKILL)
    sent_before = len(Provider.delivered)
    assert sent_before < MESSAGES, "the batch finished before the kill: nothing was interrupted"

    time.sleep(LEASE_SECONDS + 0.5)  # the dead worker's claims run out
    second = worker(environment, provider, log)
    try:
        sender.send_task(TASK, queue="messages")
        wait_for(
            lambda: not OutboundMessage.objects.filter(status=MessageStatus.QUEUED).exists(),
            60,
            "the batch run again to send the rest",
            log=tmp_path / "worker.log",
        )
    finally:
        os.killpg(second.pid, signal.SIGTERM)
        second.wait(20)

    assert set(OutboundMessage.objects.values_list("status", flat=True)) == {MessageStatus.SENT}
    assert sorted(Provider.delivered) == sorted(keys)  # each message delivered once
    repeated = [key for key, count in Provider.requests.items() if count > 1]
    assert len(repeated) <= 1 and all(Provider.requests[key] == 2 for key in repeated)
