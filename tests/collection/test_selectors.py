"""The reads of collection's pages (collection/selectors/): each scoped through cases_visible_to."""

import datetime
from zoneinfo import ZoneInfo

import pytest
from django.http import Http404

from accounts.roles import Role
from collection.models import CaseStatus
from collection.selectors.case_page import balance_context, case_page_get
from collection.selectors.queues import MY_QUEUE, TEAM_QUEUE, UNASSIGNED_POOL, queue_cases, queue_teams
from collection.selectors.reassignment import reassign_targets, reassignable_case_ids
from collection.selectors.visits import agent_day_visits, agent_visit_get, visits_to_decide
from collection.services.visits import visit_request, visit_schedule
from lending.delinquency import charges_cap
from lending.models import ContactPoint
from tests.collection.factories import case_in_arrears
from tests.factories import UserFactory
from tests.lending.factories import ContactPointFactory

pytestmark = pytest.mark.django_db

# Tuesday 1 December 2026, 09:00 in Beijing: inside contact hours, for the visits.
START = datetime.datetime(2026, 12, 1, 9, 0, tzinfo=ZoneInfo("Asia/Shanghai"))


@pytest.fixture
def cases(collector, team_a):
    """The collector's case, an unassigned case of their team, and a closed one of theirs."""
    return {
        "own": case_in_arrears(collector=collector),
        "pool": case_in_arrears(team=team_a),
        "closed": case_in_arrears(
            collector=collector, status=CaseStatus.CLOSED, closed_on=datetime.date(2026, 11, 30), close_outcome="cured"
        ),
    }


def test_each_queue_reads_only_what_the_user_may_see(collector, team_lead, outsider, cases):
    own, pool, closed = cases["own"], cases["pool"], cases["closed"]
    assert set(queue_cases(user=collector, queue=MY_QUEUE)) == {own, closed}
    assert set(queue_cases(user=collector, queue=TEAM_QUEUE)) == {own, pool, closed}
    assert set(queue_cases(user=team_lead, queue=UNASSIGNED_POOL)) == {pool}
    for queue in (MY_QUEUE, TEAM_QUEUE, UNASSIGNED_POOL):
        assert not queue_cases(user=outsider, queue=queue).exists()


def test_the_team_filter_is_offered_to_those_who_see_more_than_one_team(collector, team_lead, team_a):
    assert queue_teams(user=collector, queue=TEAM_QUEUE) is None
    assert queue_teams(user=team_lead, queue=MY_QUEUE) is None
    assert list(queue_teams(user=team_lead, queue=TEAM_QUEUE)) == [team_a]


def test_only_open_visible_cases_are_reassigned(team_lead, outsider, collector, cases, team_b):
    elsewhere = case_in_arrears(collector=outsider)
    ids = {case.pk for case in (*cases.values(), elsewhere)} | {999_999}
    assert reassignable_case_ids(team_lead, ids) == sorted([cases["own"].pk, cases["pool"].pk])
    assert reassignable_case_ids(outsider, {cases["own"].pk}) == []
    collectors, teams = reassign_targets(team_lead)
    assert collector in collectors and outsider not in collectors
    assert team_b not in teams


def test_the_case_page_opens_only_a_visible_case(collector, outsider, cases):
    assert case_page_get(collector, cases["own"].pk) == cases["own"]
    with pytest.raises(Http404):
        case_page_get(outsider, cases["own"].pk)


def test_the_case_pages_cap_is_lendings(collector, cases):
    case = case_page_get(collector, cases["own"].pk)
    today = datetime.date.today()
    balance = balance_context(case, today)
    (panel,) = balance["account_panels"]
    rate = panel.account.product.charges_cap_annual_rate
    for row in panel.rows:
        assert row.cap == charges_cap(row.installment, rate, today)
        assert row.headroom == max(row.cap - row.charges, 0)
    assert balance["total_cap"] == sum(row.cap for row in panel.rows if row.installment.paid_off_on is None)


def test_visits_are_read_within_the_scope_and_an_agent_sees_only_their_own(
    time_machine, collector, team_lead, outsider, field_agent, cases
):
    time_machine.move_to(START, tick=True)
    case = cases["own"]
    ContactPointFactory(borrower=case.borrower, kind=ContactPoint.Kind.HOME_ADDRESS, value="北京市东城区和平里12号")
    visit = visit_request(case=case, actor=collector, reason="Unreachable by phone")
    assert list(visits_to_decide(team_lead, visit.status)) == [visit]
    assert not visits_to_decide(outsider, visit.status).exists()

    visit_schedule(visit=visit, agent=field_agent, scheduled_on=START.date(), actor=team_lead)
    (today,) = agent_day_visits(field_agent, START.date())
    assert today == visit and today.borrower_name
    assert agent_visit_get(field_agent, visit.pk) == visit
    other_agent = UserFactory(username="field_b", role=Role.FIELD_AGENT)
    assert agent_day_visits(other_agent, START.date()) == []
    with pytest.raises(Http404):
        agent_visit_get(other_agent, visit.pk)
