"""
Celery's configuration: every task goes to the queue of its kind of work,
with that queue's time limits; the nightly chain is on the beat at 01:30 in
the lender's time zone; the worker consumes every queue.
"""

import pytest
from django.conf import settings

from config.celery import app, queue_for

QUEUES = {"messages", "documents", "nightly", "default"}

EXPECTED_QUEUE = {
    "accounts.tasks.sessions_clear_expired_task": "default",
    "lending.intake.tasks.import_run_task": "default",
    "lending.tasks.nightly_run_task": "nightly",
    "collection.tasks.collection_nightly_task": "nightly",
    "collection.nightly.tasks.nightly_chain_task": "nightly",
    "legal.limitation.tasks.limitation_refresh_all_task": "nightly",
    "legal.letters.tasks.letter_batch_run_task": "documents",
    "legal.bundles.tasks.bundle_build_task": "documents",
    "collection.messaging.tasks.message_send_task": "messages",
    "lending.credit_lines.tasks.core_system_deliver_task": "default",
}


@pytest.fixture(scope="module")
def tasks():
    app.loader.import_default_modules()  # what a worker imports when it starts (autodiscovery)
    return {name: task for name, task in app.tasks.items() if not name.startswith("celery.")}


@pytest.mark.parametrize(("name", "queue"), EXPECTED_QUEUE.items())
def test_each_task_is_routed_to_the_queue_of_its_work(name, queue):
    assert queue_for(name) == queue
    assert app.amqp.router.route({}, name)["queue"].name == queue  # as Celery itself routes it


def test_every_registered_task_goes_to_one_of_the_four_queues(tasks):
    assert set(EXPECTED_QUEUE) <= set(tasks)
    assert {queue_for(name) for name in tasks} <= QUEUES
    assert queue_for("some.new.tasks.unrouted_task") == "default"


# Tasks whose decorator sets limits of their own, kept as they are.
OWN_LIMITS = {"lending.credit_lines.tasks.core_system_deliver_task"}


def test_each_task_has_its_queues_time_limits(tasks):
    for name, task in tasks.items():
        if name in OWN_LIMITS:
            assert task.time_limit < settings.ARREARS_QUEUE_TIME_LIMITS["default"][1]
            continue
        soft, hard = settings.ARREARS_QUEUE_TIME_LIMITS[queue_for(name)]
        assert (task.soft_time_limit, task.time_limit) == (soft, hard), name
        assert soft < hard
    hard = {queue: limits[1] for queue, limits in settings.ARREARS_QUEUE_TIME_LIMITS.items()}
    assert hard["messages"] < hard["documents"] < hard["nightly"]


def test_tasks_are_acknowledged_late_and_taken_one_at_a_time():
    assert app.conf.task_acks_late is True
    assert app.conf.worker_prefetch_multiplier == 1
    assert app.conf.task_default_queue == "default"


def test_a_worker_consumes_every_queue_each_bound_by_its_own_key():
    assert {queue.name for queue in app.conf.task_queues} == QUEUES
    # A queue bound by another's key would receive copies of that queue's tasks.
    assert all(queue.routing_key == queue.exchange.name == queue.name for queue in app.conf.task_queues)
    with open(settings.BASE_DIR / "scripts" / "run-demo") as script:
        assert "-Q messages,documents,nightly,default" in script.read()


def test_the_beat_runs_the_nightly_chain_at_half_past_one_in_the_lenders_time_zone():
    entry = settings.CELERY_BEAT_SCHEDULE["nightly-run"]
    assert entry["task"] == "collection.nightly.tasks.nightly_chain_task"
    assert (entry["schedule"].hour, entry["schedule"].minute) == ({1}, {30})
    from lending.services.calendar import LENDER_TZ

    assert app.conf.timezone == settings.TIME_ZONE == str(LENDER_TZ)  # the lender's zone, not UTC
    assert str(app.timezone) == settings.TIME_ZONE
    # The limitation refresh is the chain's last step now, not an entry of its own.
    assert all("limitation" not in entry["task"] for entry in settings.CELERY_BEAT_SCHEDULE.values())


def test_the_redis_visibility_timeout_outlasts_the_longest_task(monkeypatch):
    import importlib

    import config.settings as config_settings

    monkeypatch.setenv("CELERY_BROKER_URL", "redis://127.0.0.1:6379/0")
    try:
        reloaded = importlib.reload(config_settings)
        timeout = reloaded.CELERY_BROKER_TRANSPORT_OPTIONS["visibility_timeout"]
        assert timeout > max(hard for _soft, hard in reloaded.ARREARS_QUEUE_TIME_LIMITS.values())
    finally:
        monkeypatch.undo()
        importlib.reload(config_settings)
