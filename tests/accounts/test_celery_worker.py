"""A real Celery worker, on the configured broker, runs a task end to end."""

import datetime

import celery.contrib.testing.tasks  # noqa: F401  (registers celery.ping for the ping check)
import pytest
from celery.contrib.testing.worker import start_worker
from django.contrib.sessions.backends.db import SessionStore
from django.contrib.sessions.models import Session

from accounts.tasks import sessions_clear_expired_task
from config.celery import app

pytestmark = [pytest.mark.celery_worker, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def celery_worker():
    # The ping check sends a real task through the broker and waits for it.
    with start_worker(app, pool="solo", perform_ping_check=True, shutdown_timeout=20) as worker:
        yield worker


def test_a_worker_clears_expired_sessions(celery_worker):
    live, dead = SessionStore(), SessionStore()
    live.create()
    dead.create()
    Session.objects.filter(session_key=dead.session_key).update(
        expire_date=datetime.datetime(2020, 1, 1, tzinfo=datetime.UTC)
    )

    result = sessions_clear_expired_task.delay()

    assert result.get(timeout=30) == 1
    assert list(Session.objects.values_list("session_key", flat=True)) == [live.session_key]
