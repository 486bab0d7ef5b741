"""
The daily cap under concurrency (issue 10): collectors logging the borrower's
third and fourth connected call of the day at the same moment do not both
succeed, because contact_log locks the borrower's row before the guard counts
and holds it until the contact is written. PostgreSQL only, as the next-case
races (tests/collection/test_next_case.py): SQLite serialises writers.
"""

import threading

import pytest
import time_machine
from django.db import connection

from accounts.roles import Role
from collection.compliance import ContactRefused, Rule
from collection.models import ContactAttempt, ContactRefusal
from tests.collection.conftest import MORNING, call_logged
from tests.collection.factories import case_in_arrears
from tests.factories import UserFactory

postgres_only = pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="SQLite has no row locks and serialises writers: the race needs PostgreSQL",
)


_call = call_logged


def _call_at_once(case, point, users) -> tuple[list, list]:
    barrier = threading.Barrier(len(users))
    logged, refused, errors = [], [], []

    def press(user):
        try:
            barrier.wait(timeout=30)
            logged.append(_call(case, point, user).pk)
        except ContactRefused as error:
            refused.append(error.verdict.rule)
        except Exception as error:  # noqa: BLE001 - reported below
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=press, args=(user,)) for user in users]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not errors, errors
    return logged, refused


@postgres_only
@pytest.mark.django_db(transaction=True)
def test_collectors_calling_at_once_never_pass_the_daily_cap(team_a):
    collectors = [UserFactory(username=f"racer{n}", role=Role.COLLECTOR, team=team_a) for n in range(8)]
    with time_machine.travel(MORNING, tick=False):
        case = case_in_arrears(collector=collectors[0])
        case.borrower.time_zone = "Asia/Shanghai"
        case.borrower.save(update_fields=["time_zone"])
        point = case.borrower.contact_points.get()
        _call(case, point, collectors[0])
        _call(case, point, collectors[1])
        logged, refused = _call_at_once(case, point, collectors)
    assert len(logged) == 1
    assert refused == [Rule.DAILY_CONNECTED_CALLS] * (len(collectors) - 1)
    assert ContactAttempt.objects.filter(case=case).count() == 3
    assert ContactRefusal.objects.filter(rule=Rule.DAILY_CONNECTED_CALLS).count() == len(collectors) - 1
