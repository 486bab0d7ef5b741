"""
The outbox against a real local HTTP server: a line action is delivered
once the core system answers, however long it was down, refused or slow.
"""

import datetime
import json
import threading

import pytest
from django.db import connection
from django.utils import timezone

from lending.credit_lines.outbox import core_deliveries_deliver, deliveries_claim
from lending.credit_lines.services import (
    core_deliveries_retry_failed,
    core_delivery_retry,
    credit_line_freeze,
    credit_line_restore,
)
from lending.credit_lines.tasks import core_system_deliver_task
from lending.models import CoreSystemDelivery
from tests.lending.credit_lines.core_system import FakeCoreSystem, closed_port_url
from tests.lending.factories import account_with_schedule

Status = CoreSystemDelivery.Status
SECRET = "core-secret-for-tests"
NOW = datetime.datetime(2026, 6, 1, 2, 0, tzinfo=datetime.UTC)


@pytest.fixture
def core_settings(settings):
    settings.CORE_SYSTEM_SECRET = SECRET
    settings.CORE_SYSTEM_CONNECT_TIMEOUT = 1.0
    settings.CORE_SYSTEM_TIMEOUT = 0.5
    settings.CORE_SYSTEM_RETRY_BASE_SECONDS = 30
    settings.CORE_SYSTEM_RETRY_MAX_SECONDS = 3600
    settings.CORE_SYSTEM_MAX_ATTEMPTS = 5
    return settings


@pytest.fixture
def frozen(db):
    account = account_with_schedule(external_id="ACC-OUT", months=2)
    credit_line_freeze(account=account)
    CoreSystemDelivery.objects.update(next_attempt_at=NOW)
    return CoreSystemDelivery.objects.get()


def _at(seconds: float) -> datetime.datetime:
    return NOW + datetime.timedelta(seconds=seconds)


@pytest.mark.django_db
def test_the_core_system_down_then_failing_then_back_gets_the_change_once(core_settings, frozen):
    # Down: nothing listens.
    core_settings.CORE_SYSTEM_URL = closed_port_url()
    assert core_deliveries_deliver(now=_at(0)) == {"delivered": 0, "retrying": 1, "failed": 0}
    frozen.refresh_from_db()
    assert (frozen.status, frozen.attempts, frozen.last_status_code) == (Status.PENDING, 1, None)
    assert "ConnectionRefused" in frozen.last_error
    assert frozen.next_attempt_at == _at(30)
    # Not due again before its backoff.
    assert core_deliveries_deliver(now=_at(29)) == {"delivered": 0, "retrying": 0, "failed": 0}

    with FakeCoreSystem(secret=SECRET, status=503, body="maintenance") as core:
        core_settings.CORE_SYSTEM_URL = core.url
        assert core_deliveries_deliver(now=_at(30))["retrying"] == 1
        frozen.refresh_from_db()
        assert (frozen.status, frozen.attempts, frozen.last_status_code) == (Status.PENDING, 2, 503)
        assert "maintenance" in frozen.last_error
        assert frozen.next_attempt_at == _at(30 + 60)  # doubled

        core.status = 200
        assert core_deliveries_deliver(now=_at(90)) == {"delivered": 1, "retrying": 0, "failed": 0}
        assert core_deliveries_deliver(now=_at(3600)) == {"delivered": 0, "retrying": 0, "failed": 0}

    frozen.refresh_from_db()
    assert (frozen.status, frozen.attempts, frozen.last_error) == (Status.DELIVERED, 3, "")
    assert frozen.delivered_at == _at(90)
    first, second = core.received
    assert second["path"] == "/credit-lines/changes"
    assert second["signed"] and first["signed"]
    assert second["idempotency_key"] == frozen.idempotency_key == second["payload"]["idempotency_key"]
    assert (second["payload"]["account"], second["payload"]["status"]) == ("ACC-OUT", "frozen")


@pytest.mark.django_db
def test_a_refusal_fails_at_once_with_the_answer(core_settings, frozen):
    with FakeCoreSystem(secret=SECRET, status=422, body='{"error": "unknown account"}') as core:
        core_settings.CORE_SYSTEM_URL = core.url
        assert core_deliveries_deliver(now=_at(0)) == {"delivered": 0, "retrying": 0, "failed": 1}
        assert core_deliveries_deliver(now=_at(3600))["failed"] == 0  # a failed row is not tried again by itself
    frozen.refresh_from_db()
    assert (frozen.status, frozen.attempts, frozen.last_status_code) == (Status.FAILED, 1, 422)
    assert frozen.last_error == 'HTTP 422 Unprocessable Entity: {"error": "unknown account"}'
    assert len(core.received) == 1


@pytest.mark.django_db
def test_a_core_system_that_hangs_is_given_up_on_and_tried_later(core_settings, frozen):
    with FakeCoreSystem(secret=SECRET) as core:
        core.hang = 2.0
        core_settings.CORE_SYSTEM_URL = core.url
        assert core_deliveries_deliver(now=_at(0))["retrying"] == 1
    frozen.refresh_from_db()
    assert (frozen.status, frozen.last_status_code) == (Status.PENDING, None)
    assert frozen.last_error == CoreSystemDelivery.ERROR_TIMEOUT  # a code, worded for each reader
    assert frozen.last_error_text == "No answer within the timeout."


@pytest.mark.django_db
def test_after_the_retry_budget_a_row_fails_and_a_manual_retry_delivers_it(core_settings, frozen, manager):
    core_settings.CORE_SYSTEM_MAX_ATTEMPTS = 2
    with FakeCoreSystem(secret=SECRET, status=500) as core:
        core_settings.CORE_SYSTEM_URL = core.url
        core_deliveries_deliver(now=_at(0))
        assert core_deliveries_deliver(now=_at(30))["failed"] == 1
        frozen.refresh_from_db()
        assert (frozen.status, frozen.attempts) == (Status.FAILED, 2)

        core.status = 201
        core_delivery_retry(delivery=frozen, actor=manager)
        frozen.refresh_from_db()
        assert (frozen.status, frozen.attempts) == (Status.PENDING, 0)
        assert core_deliveries_deliver()["delivered"] == 1
    frozen.refresh_from_db()
    assert frozen.status == Status.DELIVERED
    assert len(set(core.keys())) == 1 and len(core.keys()) == 3


@pytest.mark.django_db
def test_retrying_all_failed_leaves_delivered_rows_alone(core_settings, frozen):
    CoreSystemDelivery.objects.update(status=Status.DELIVERED, delivered_at=NOW)
    assert core_deliveries_retry_failed() == 0
    frozen.refresh_from_db()
    assert frozen.status == Status.DELIVERED


@pytest.mark.django_db
def test_without_a_core_system_the_rows_wait(core_settings, frozen):
    core_settings.CORE_SYSTEM_URL = ""
    assert core_system_deliver_task.apply().get() == {
        "delivered": 0,
        "retrying": 0,
        "failed": 0,
        "waiting_unconfigured": 1,
    }
    frozen.refresh_from_db()
    assert (frozen.status, frozen.attempts) == (Status.PENDING, 0)


@pytest.mark.django_db
def test_a_claim_left_by_a_dead_worker_is_taken_again_when_it_expires(core_settings, frozen):
    core_settings.CORE_SYSTEM_URL = "http://127.0.0.1:9/"
    [claimed] = deliveries_claim(now=_at(0), limit=10)  # ... and the worker dies before it posts
    assert claimed.status == Status.DELIVERING
    assert deliveries_claim(now=_at(30), limit=10) == []
    assert [
        row.pk for row in deliveries_claim(now=claimed.claimed_until + datetime.timedelta(seconds=1), limit=10)
    ] == [frozen.pk]


postgres_only = pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="SQLite has no row locks (no skip_locked) and serialises writers: the race needs PostgreSQL",
)


@postgres_only
@pytest.mark.django_db(transaction=True)
def test_two_workers_at_once_never_deliver_a_row_twice(core_settings):
    for number in range(60):
        credit_line_freeze(account=account_with_schedule(external_id=f"ACC-R{number:02d}", months=1))
    keys = set(CoreSystemDelivery.objects.values_list("idempotency_key", flat=True))
    barrier = threading.Barrier(4)
    errors = []

    def worker():
        try:
            barrier.wait(timeout=30)
            core_deliveries_deliver(limit=5, now=timezone.now() + datetime.timedelta(seconds=1))
        except Exception as error:  # noqa: BLE001 - reported below
            errors.append(error)
        finally:
            connection.close()

    with FakeCoreSystem(secret=SECRET) as core:
        core_settings.CORE_SYSTEM_URL = core.url
        threads = [threading.Thread(target=worker) for _ in range(4)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=60)
    assert not errors, errors
    assert sorted(core.keys()) == sorted(keys)  # each exactly once
    assert set(CoreSystemDelivery.objects.values_list("status", flat=True)) == {Status.DELIVERED}


@pytest.mark.django_db
def test_the_demo_writes_each_change_to_a_folder(core_settings, frozen, tmp_path):
    core_settings.CORE_SYSTEM_URL = f"file://{tmp_path / 'core-system'}"
    assert core_deliveries_deliver(now=_at(0))["delivered"] == 1
    frozen.refresh_from_db()
    assert frozen.status == Status.DELIVERED
    written = json.loads((tmp_path / "core-system" / f"{frozen.idempotency_key}.json").read_text())
    assert written["body"] == frozen.payload
    assert written["headers"]["Idempotency-Key"] == frozen.idempotency_key


@pytest.mark.django_db
def test_an_account_changes_reach_the_core_system_in_their_order(core_settings, frozen):
    with FakeCoreSystem(secret=SECRET, status=503) as core:
        core_settings.CORE_SYSTEM_URL = core.url
        core_deliveries_deliver(now=_at(0))  # the freeze waits 30 s for its next attempt
        credit_line_restore(account=frozen.account)
        restore = CoreSystemDelivery.objects.get(payload__action="restore")
        CoreSystemDelivery.objects.filter(pk=restore.pk).update(next_attempt_at=_at(1))
        core.status = 200
        # Due, but behind the freeze: nothing goes before it.
        assert core_deliveries_deliver(now=_at(10)) == {"delivered": 0, "retrying": 0, "failed": 0}
        assert core_deliveries_deliver(now=_at(30))["delivered"] == 1
        assert core_deliveries_deliver(now=_at(31))["delivered"] == 1
    assert [request["payload"]["action"] for request in core.received] == ["freeze", "freeze", "restore"]
