"""
Two chains never run at once, even started at the same instant (two beat
processes ticking together, a click at 01:30): the database's unique
constraint on the running run lets one insert win. PostgreSQL only, as the
other races (SQLite serialises writers).
"""

import threading

import pytest
from django.db import connection

from collection.models import NightlyRun, RunStatus
from collection.nightly.chain import NightlyChainRunning, nightly_run_create
from tests.collection.nightly.conftest import NIGHT

postgres_only = pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="SQLite serialises writers: the race needs PostgreSQL",
)


@postgres_only
@pytest.mark.django_db(transaction=True)
def test_chains_started_at_once_never_run_together(chain_steps):
    chain_steps.add("probe", lambda on: {}, order=10)
    starters = 6
    barrier = threading.Barrier(starters)
    started, refused, errors = [], [], []

    def start():
        try:
            barrier.wait(timeout=30)
            started.append(nightly_run_create(on=NIGHT).pk)
        except NightlyChainRunning:
            refused.append(True)
        except Exception as error:  # noqa: BLE001 - reported below
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=start) for _ in range(starters)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert not errors, errors
    assert (len(started), len(refused)) == (1, starters - 1)
    assert NightlyRun.objects.filter(status=RunStatus.RUNNING).count() == NightlyRun.objects.count() == 1
