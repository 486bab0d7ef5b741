"""
The nightly chain: its steps run in order, each recording what it did; a
failed step stops the ones after it; a second run of the night changes
nothing; and two chains never run at once.
"""

import datetime

import pytest
from django.db import IntegrityError, transaction
from django.utils import timezone

from accounts.models import AuditEvent
from collection.models import Case, CaseEvent, NightlyRun, NightlyStep, RunStatus
from collection.nightly.chain import (
    INTERRUPTED,
    NightlyChainRunning,
    nightly_chain_run,
    nightly_run_create,
    nightly_run_execute,
)
from collection.nightly.steps import nightly_steps
from collection.nightly.tasks import nightly_chain_task
from lending.models import DelinquencySnapshot
from tests.collection.nightly.conftest import NIGHT, failing_step

pytestmark = pytest.mark.django_db


def statuses(run: NightlyRun) -> list[tuple[str, str]]:
    return list(run.steps.order_by("position").values_list("name", "status"))


def test_the_registered_steps_run_in_their_order():
    names = [step.name for step in nightly_steps()]
    assert names[:2] == ["lending", "lifecycle"]
    assert names[-1] == "limitation"
    orders = [step.order for step in nightly_steps()]
    assert orders == sorted(orders)
    for later in ("strategies", "reminders", "credit_lines"):
        if later in names:  # each part registers its own step when it is installed
            assert names.index("lifecycle") < names.index(later) < names.index("limitation")


def test_the_chain_runs_each_step_in_order_and_records_its_counts(late_account, chain_steps):
    chain_steps.use("lending", "lifecycle", "limitation")
    seen = []
    chain_steps.add("probe", lambda on: seen.append(("probe", on)) or {"cases_seen": Case.objects.count()}, order=30)

    run = nightly_chain_run(on=NIGHT)

    assert (run.run_on, run.status, run.started_by) == (NIGHT, RunStatus.SUCCEEDED, None)
    assert run.started_at <= run.finished_at
    assert statuses(run) == [
        ("lending", "succeeded"),
        ("lifecycle", "succeeded"),
        ("probe", "succeeded"),
        ("limitation", "succeeded"),
    ]
    steps = {step.name: step for step in run.steps.all()}
    assert steps["lending"].counts["accounts_refreshed"] == 1
    assert steps["lifecycle"].counts["cases_opened"] == 1
    # The probe ran after the lifecycle had opened the case, for the night's date.
    assert (seen, steps["probe"].counts) == ([("probe", NIGHT)], {"cases_seen": 1})
    assert all(step.started_at <= step.finished_at for step in steps.values())
    assert steps["lending"].finished_at <= steps["lifecycle"].started_at
    assert AuditEvent.objects.filter(action="collection.nightly.started").count() == 1


def test_every_registered_step_succeeds_on_a_quiet_night(late_account):
    run = nightly_chain_run(on=NIGHT)

    assert [name for name, _status in statuses(run)] == [step.name for step in nightly_steps()]
    assert run.status == RunStatus.SUCCEEDED, list(run.steps.values_list("name", "error"))


def test_a_failed_step_stops_the_later_ones_and_keeps_the_earlier_ones_done(late_account, chain_steps):
    chain_steps.use("lending", "lifecycle", "limitation")
    later = []
    chain_steps.add("feed", failing_step, order=30)
    chain_steps.add("after", lambda on: later.append(on) or {}, order=40)

    run = nightly_chain_run(on=NIGHT)

    assert run.status == RunStatus.FAILED
    assert statuses(run) == [
        ("lending", "succeeded"),
        ("lifecycle", "succeeded"),
        ("feed", "failed"),
        ("after", "skipped"),
        ("limitation", "skipped"),
    ]
    failed = run.steps.get(name="feed")
    assert failed.error == "RuntimeError: the core system's feed was not there"
    assert failed.finished_at is not None
    assert later == []
    # Steps 1 and 2 stay done: the case the lifecycle opened is there.
    assert Case.objects.filter(borrower=late_account.borrower).exists()
    assert NightlyStep.objects.filter(run=run, status=RunStatus.SKIPPED, started_at__isnull=True).count() == 2


def test_a_failing_step_leaves_nothing_of_itself_behind(late_account, chain_steps):
    chain_steps.use("lending")

    def half_done(on):
        DelinquencySnapshot.objects.all().delete()  # rolled back with the step
        raise ValueError("stopped half-way")

    chain_steps.add("half", half_done, order=20)

    run = nightly_chain_run(on=NIGHT)

    assert statuses(run) == [("lending", "succeeded"), ("half", "failed")]
    assert DelinquencySnapshot.objects.count() == 1  # lending's snapshot survives the step that failed


def test_a_step_no_longer_registered_fails_with_its_name(chain_steps):
    chain_steps.add("gone", lambda on: {}, order=10)
    chain_steps.add("after", lambda on: {}, order=20)
    run = nightly_run_create(on=NIGHT)
    del chain_steps.registry["gone"]  # e.g. an upgrade removed it while the run waited for a worker

    run = nightly_run_execute(run_id=run.pk)

    assert statuses(run) == [("gone", "failed"), ("after", "skipped")]
    assert run.steps.get(name="gone").error.startswith("LookupError: The step 'gone' is no longer registered")


def test_a_rerun_of_the_night_changes_nothing(late_account, chain_steps):
    chain_steps.use("lending", "lifecycle", "limitation")
    first = nightly_chain_run(on=NIGHT)
    facts = (Case.objects.count(), CaseEvent.objects.count(), DelinquencySnapshot.objects.count())

    second = nightly_chain_run(on=NIGHT)

    assert (first.status, second.status) == (RunStatus.SUCCEEDED, RunStatus.SUCCEEDED)
    assert second.pk != first.pk and second.run_on == first.run_on  # a new record of the same night
    assert (Case.objects.count(), CaseEvent.objects.count(), DelinquencySnapshot.objects.count()) == facts
    for step in second.steps.all():
        assert all(value == 0 for value in step.counts.values()), (step.name, step.counts)


def test_a_second_chain_is_refused_while_one_runs(chain_steps):
    chain_steps.use("lending")
    running = nightly_run_create(on=NIGHT)

    with pytest.raises(NightlyChainRunning, match="already running"):
        nightly_run_create(on=NIGHT)

    assert NightlyRun.objects.count() == 1
    assert nightly_run_execute(run_id=running.pk).status in (RunStatus.SUCCEEDED, RunStatus.FAILED)
    nightly_run_create(on=NIGHT)  # once it has finished, the night may be run again
    assert NightlyRun.objects.count() == 2


def test_the_database_itself_refuses_two_running_runs():
    NightlyRun.objects.create(run_on=NIGHT, status=RunStatus.RUNNING)

    with pytest.raises(IntegrityError), transaction.atomic():
        NightlyRun.objects.create(run_on=NIGHT + datetime.timedelta(days=1), status=RunStatus.RUNNING)


def test_a_beat_tick_during_a_run_starts_nothing(chain_steps):
    chain_steps.use("lending")
    running = nightly_run_create(on=NIGHT)

    assert nightly_chain_task.apply(kwargs={"on": NIGHT.isoformat()}).get() is None

    assert list(NightlyRun.objects.values_list("pk", flat=True)) == [running.pk]


def test_a_task_delivered_twice_runs_each_step_once(chain_steps):
    calls = []
    chain_steps.add("count", lambda on: calls.append(on) or {"done": 1}, order=10)
    run = nightly_run_create(on=NIGHT)

    nightly_chain_task.apply(kwargs={"run_id": run.pk}).get()
    nightly_chain_task.apply(kwargs={"run_id": run.pk}).get()

    assert calls == [NIGHT]


def test_a_run_whose_worker_died_is_closed_as_interrupted_by_the_next(chain_steps, settings):
    chain_steps.use("lending")
    chain_steps.add("after", lambda on: {}, order=20)
    dead = nightly_run_create(on=NIGHT)
    dead.steps.filter(name="lending").update(status=RunStatus.RUNNING, started_at=dead.started_at)
    hard_limit = settings.ARREARS_QUEUE_TIME_LIMITS["nightly"][1]
    NightlyRun.objects.filter(pk=dead.pk).update(
        started_at=timezone.now() - datetime.timedelta(seconds=hard_limit + 60)
    )

    fresh = nightly_run_create(on=NIGHT)

    dead.refresh_from_db()
    assert dead.status == RunStatus.FAILED
    assert statuses(dead) == [("lending", "failed"), ("after", "skipped")]
    assert dead.steps.get(name="lending").error == INTERRUPTED
    assert fresh.status == RunStatus.RUNNING


def test_a_run_younger_than_the_time_limit_still_blocks(chain_steps):
    chain_steps.use("lending")
    nightly_run_create(on=NIGHT)
    NightlyRun.objects.update(started_at=timezone.now() - datetime.timedelta(minutes=30))

    with pytest.raises(NightlyChainRunning):
        nightly_run_create(on=NIGHT)


def test_the_demo_runs_tonights_chain(late_account):
    from collection.nightly.demo import nightly_demo

    counts = nightly_demo(today=NIGHT)

    run = NightlyRun.objects.get()
    assert run.run_on == NIGHT
    assert counts["nightly steps succeeded"] == run.steps.count() and counts["failed"] == 0
