"""
The daily connected-call limit counts the lender's and the agencies' calls
together (part C): the guard counts every ContactAttempt of the borrower,
whoever made it. Sequentially, the lender's calls before placement use up the
agency's day and the agency's calls use up the lender's after a recall; under
concurrency (PostgreSQL only, as tests/collection/test_daily_cap_race.py),
the lender's collector and two agency agents pressing at once get exactly the
profile's limit through, because contact_log locks the borrower's row before
the guard counts.
"""

import pytest
import time_machine
from django.db import connection

from accounts.roles import Role
from collection.compliance import ContactRefused, Rule
from collection.compliance.profiles import profile_for
from collection.models import ContactAttempt, ContactRefusal
from tests.collection.agencies.factories import AgencyContractFactory, agency_user, placed_case
from tests.collection.agencies.portal_cast import recalled_case_of
from tests.collection.conftest import MORNING, call_logged, calls_at_once
from tests.collection.factories import case_in_arrears
from tests.factories import UserFactory

postgres_only = pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="SQLite has no row locks and serialises writers: the race needs PostgreSQL",
)


def _case(collector):
    case = case_in_arrears(collector=collector, days_past_due=40)
    case.borrower.time_zone = "Asia/Shanghai"
    case.borrower.save(update_fields=["time_zone"])
    return case


def _limit(case) -> int:
    limit = profile_for(case.portfolio).max_connected_calls_per_day
    assert limit and limit >= 2
    return limit


@pytest.mark.django_db
def test_the_lender_s_calls_before_placement_use_up_the_agency_s_day(collector):
    contract = AgencyContractFactory()
    agent = agency_user(contract.agency, username="agent")
    with time_machine.travel(MORNING, tick=False):
        case = _case(collector)
        point = case.borrower.contact_points.get()
        for _ in range(_limit(case)):
            call_logged(case, point, collector)
        placed_case(contract=contract, case=case)
        case.refresh_from_db()
        with pytest.raises(ContactRefused) as refused:
            call_logged(case, point, agent)
    assert refused.value.verdict.rule == Rule.DAILY_CONNECTED_CALLS
    assert ContactRefusal.objects.get(rule=Rule.DAILY_CONNECTED_CALLS).actor == agent


@pytest.mark.django_db
def test_the_agency_s_calls_use_up_the_lender_s_day_after_a_recall(collector):
    contract = AgencyContractFactory()
    agent = agency_user(contract.agency, username="agent")
    with time_machine.travel(MORNING, tick=False):
        case = _case(collector)
        point = case.borrower.contact_points.get()
        placed_case(contract=contract, case=case)
        case.refresh_from_db()
        for _ in range(_limit(case)):
            call_logged(case, point, agent)
        case = recalled_case_of(case)
        with pytest.raises(ContactRefused) as refused:
            call_logged(case, point, collector)
    assert refused.value.verdict.rule == Rule.DAILY_CONNECTED_CALLS
    assert ContactAttempt.objects.filter(case=case).count() == _limit(case)


@pytest.mark.django_db
def test_a_call_nobody_answered_does_not_count(collector):
    contract = AgencyContractFactory()
    agent = agency_user(contract.agency, username="agent")
    with time_machine.travel(MORNING, tick=False):
        case = _case(collector)
        point = case.borrower.contact_points.get()
        for _ in range(_limit(case) - 1):
            call_logged(case, point, collector)
        placed_case(contract=contract, case=case)
        case.refresh_from_db()
        call_logged(case, point, agent, answered_by="nobody", outcome="no_answer")
        call_logged(case, point, agent)  # the day's last connected call
        with pytest.raises(ContactRefused):
            call_logged(case, point, agent)


@postgres_only
@pytest.mark.django_db(transaction=True)
def test_the_lender_and_two_agency_agents_calling_at_once_get_exactly_the_daily_limit(team_a):
    """
    The lender's collector presses Call on the case as it is placed (their call was dialled from the
    queue a moment before; the guard does not ask who works the case, only how many calls the borrower
    had), and the agency's two agents press at once, each several times.
    """
    collector = UserFactory(username="racer_collector", role=Role.COLLECTOR, team=team_a)
    contract = AgencyContractFactory()
    agents = [agency_user(contract.agency, username=f"racer_agent{n}") for n in range(2)]
    with time_machine.travel(MORNING, tick=False):
        case = _case(collector)
        limit = _limit(case)
        point = case.borrower.contact_points.get()
        placed_case(contract=contract, case=case)
        case.refresh_from_db()
        pressers = [collector, collector, *agents, *agents, *agents]
        logged, refused = calls_at_once(case, point, pressers)
    assert len(logged) == limit
    assert refused == [Rule.DAILY_CONNECTED_CALLS] * (len(pressers) - limit)
    assert ContactAttempt.objects.filter(case=case).count() == limit
    assert ContactRefusal.objects.filter(rule=Rule.DAILY_CONNECTED_CALLS).count() == len(pressers) - limit
