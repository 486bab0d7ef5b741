"""
The daily cap under concurrency (issue 10): collectors logging the borrower's
third and fourth connected call of the day at the same moment do not both
succeed, because contact_log locks the borrower's row before the guard counts
and holds it until the contact is written. PostgreSQL only, as the next-case
races (tests/collection/test_next_case.py): SQLite serialises writers.
"""

import pytest
import time_machine
from django.db import connection

from accounts.roles import Role
from collection.compliance import Rule
from collection.models import ContactAttempt, ContactRefusal
from tests.collection.conftest import MORNING, call_logged, calls_at_once
from tests.collection.factories import case_in_arrears
from tests.factories import UserFactory

postgres_only = pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="SQLite has no row locks and serialises writers: the race needs PostgreSQL",
)


@postgres_only
@pytest.mark.django_db(transaction=True)
def test_collectors_calling_at_once_never_pass_the_daily_cap(team_a):
    collectors = [UserFactory(username=f"racer{n}", role=Role.COLLECTOR, team=team_a) for n in range(8)]
    with time_machine.travel(MORNING, tick=False):
        case = case_in_arrears(collector=collectors[0])
        case.borrower.time_zone = "Asia/Shanghai"
        case.borrower.save(update_fields=["time_zone"])
        point = case.borrower.contact_points.get()
        call_logged(case, point, collectors[0])
        call_logged(case, point, collectors[1])
        logged, refused = calls_at_once(case, point, collectors)
    assert len(logged) == 1
    assert refused == [Rule.DAILY_CONNECTED_CALLS] * (len(collectors) - 1)
    assert ContactAttempt.objects.filter(case=case).count() == 3
    assert ContactRefusal.objects.filter(rule=Rule.DAILY_CONNECTED_CALLS).count() == len(collectors) - 1
