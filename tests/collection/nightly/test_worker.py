"""A real worker on the configured broker consumes the nightly queue and runs the chain a page requested."""

import celery.contrib.testing.tasks  # noqa: F401  (registers celery.ping for the ping check)
import pytest
from celery.contrib.testing.worker import start_worker

from accounts.roles import Role
from collection.models import NightlyRun, RunStatus
from collection.nightly.chain import nightly_run_create
from collection.nightly.tasks import nightly_chain_task
from config.celery import app
from tests.collection.nightly.conftest import NIGHT
from tests.factories import UserFactory

pytestmark = [pytest.mark.celery_worker, pytest.mark.django_db(transaction=True)]


def test_a_worker_runs_the_chain_from_the_nightly_queue(chain_steps):
    chain_steps.add("probe", lambda on: {"cases_opened": 2}, order=10)
    run = nightly_run_create(on=NIGHT, started_by=UserFactory(role=Role.MANAGER))

    with start_worker(app, pool="solo", perform_ping_check=True, shutdown_timeout=20):
        result = nightly_chain_task.apply_async(kwargs={"run_id": run.pk})
        outcome = result.get(timeout=30)

    assert outcome["status"] == RunStatus.SUCCEEDED
    assert result.backend.get_task_meta(result.id)["status"] == "SUCCESS"
    run = NightlyRun.objects.get(pk=run.pk)
    assert run.steps.get().counts == {"cases_opened": 2}
