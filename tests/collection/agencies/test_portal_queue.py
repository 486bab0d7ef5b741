"""The agency portal's queue, the supervisor's "assign to agent" and the supervisor's team page (part C)."""

import pytest
from django.urls import reverse
from django.utils import timezone

from accounts.models import AuditEvent
from accounts.roles import Role
from collection.agencies.portal import ASSIGN_NOT_SUPERVISOR, agency_team_rows, placements_assign
from collection.errors import CollectionError
from collection.models import Placement, PromiseStatus
from tests.collection.agencies.factories import placed_case
from tests.collection.agencies.portal_cast import AgencyWorld
from tests.collection.factories import ContactAttemptFactory, PromiseToPayFactory, case_in_arrears
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

QUEUE = reverse("collection:agency_queue")
ASSIGN = reverse("collection:agency_assign")
TEAM = reverse("collection:agency_team")
HTMX_TABLE = {"HTTP_HX_REQUEST": "true", "HTTP_HX_TARGET": "results"}


@pytest.fixture
def world():
    return AgencyWorld()


def test_an_agency_agent_lands_on_their_agency_queue(client, world):
    client.force_login(world.agent_a)
    response = client.get(reverse("accounts:home"))
    assert response.status_code == 302 and response["Location"] == QUEUE


def test_the_queue_lists_the_agency_s_placed_cases_only(client, world, django_assert_max_num_queries):
    client.force_login(world.agent_a)
    with django_assert_max_num_queries(12):
        response = client.get(QUEUE)
    assert response.status_code == 200
    body = response.text
    assert world.case_a.number in body and world.case_a.borrower.name in body
    for case in world.outsiders:
        assert case.number not in body
        assert case.borrower.name not in body
    # The placement's dates and the agency's pool as the agent.
    assert "Placed on" in body and "Recall due" in body
    assert "agency pool" in body
    assert 'data-nav="agency_queue"' in body
    assert 'data-nav="my_queue"' not in body and 'data-nav="team_queue"' not in body


def test_the_queue_stays_within_twelve_queries_however_many_cases(client, world, django_assert_max_num_queries):
    for _ in range(15):
        placed_case(contract=world.contract_a, case=case_in_arrears(days_past_due=40))
    client.force_login(world.supervisor_a)
    with django_assert_max_num_queries(12):
        response = client.get(QUEUE, {"sort": "-recall_due_on"})
    assert response.status_code == 200
    assert response.text.count('name="case"') == 16


def test_mine_shows_only_the_placements_given_to_me(client, world):
    other = placed_case(contract=world.contract_a, case=case_in_arrears(days_past_due=41))
    Placement.objects.filter(pk=other.pk).update(agent=world.agent_a)
    client.force_login(world.agent_a)
    mine = client.get(QUEUE, {"who": "mine"}).text
    assert other.case.number in mine and world.case_a.number not in mine
    everything = client.get(QUEUE).text
    assert other.case.number in everything and world.case_a.number in everything
    assert "agent_a" in everything or str(world.agent_a) in everything


def test_search_and_filters_never_reach_outside_the_agency(client, world):
    client.force_login(world.agent_a)
    for case in world.outsiders:
        for params in ({"q": case.number}, {"q": case.borrower.name[:2]}, {"bucket": case.bucket, "status": "closed"}):
            body = client.get(QUEUE, params, **HTMX_TABLE).text
            # (the search itself is echoed in the sort links: look for the case's row, not its number)
            assert f'href="{reverse("collection:case_detail", args=[case.pk])}"' not in body, params
            assert case.borrower.name not in body, params
            assert "No case matches" in body


def test_htmx_asks_for_the_table_only(client, world):
    client.force_login(world.agent_a)
    response = client.get(QUEUE, {"sort": "borrower"}, **HTMX_TABLE)
    assert response.status_code == 200
    assert "<html" not in response.text
    assert world.case_a.number in response.text


def test_an_agency_user_not_linked_to_an_agency_gets_an_explanatory_page(client):
    client.force_login(UserFactory(username="unlinked", role=Role.AGENCY_AGENT))
    response = client.get(QUEUE)
    assert response.status_code == 200
    assert "not linked to an agency" in response.text
    assert client.get(TEAM).status_code == 403


def test_lender_staff_have_no_agency_queue_and_agents_no_lender_queue(client, world, collector, manager):
    for user in (collector, manager):
        client.force_login(user)
        assert client.get(QUEUE).status_code == 403
        assert client.get(TEAM).status_code == 403
    client.force_login(world.agent_a)
    assert client.get(reverse("collection:my_queue")).status_code == 403
    assert client.get(reverse("collection:team_queue")).status_code == 403
    assert client.post(reverse("collection:next_case")).status_code == 403


def test_only_the_supervisor_gets_the_assign_form(client, world):
    client.force_login(world.agent_a)
    body = client.get(QUEUE).text
    assert 'name="case"' not in body and "agency_assign" not in body and reverse("collection:agency_assign") not in body
    client.force_login(world.supervisor_a)
    body = client.get(QUEUE).text
    assert 'name="case"' in body and ASSIGN in body
    assert str(world.agent_a2) in body and str(world.agent_b) not in body


def test_the_supervisor_assigns_cases_to_an_agent(client, world):
    client.force_login(world.supervisor_a)
    response = client.post(
        ASSIGN, {"case": [world.case_a.pk, world.case_b.pk], "agent": world.agent_a2.pk, "next": QUEUE}
    )
    assert response.status_code == 302
    world.placement_a.refresh_from_db()
    world.placement_b.refresh_from_db()
    assert world.placement_a.agent == world.agent_a2
    assert world.placement_b.agent is None  # agency B's case is not the supervisor's to assign
    event = AuditEvent.objects.get(action="collection.placement.assigned")
    assert event.actor == world.supervisor_a
    assert event.data["placement_ids"] == [world.placement_a.pk]
    # Back to the pool.
    client.post(ASSIGN, {"case": [world.case_a.pk], "agent": "pool"})
    world.placement_a.refresh_from_db()
    assert world.placement_a.agent is None


def test_assigning_to_another_agency_s_agent_is_refused(client, world):
    client.force_login(world.supervisor_a)
    client.post(ASSIGN, {"case": [world.case_a.pk], "agent": world.agent_b.pk})
    world.placement_a.refresh_from_db()
    assert world.placement_a.agent is None
    with pytest.raises(CollectionError):
        placements_assign(case_ids=[world.case_a.pk], agent=world.agent_b, actor=world.supervisor_a)
    assert not AuditEvent.objects.filter(action="collection.placement.assigned").exists()


def test_an_agent_who_is_not_supervisor_may_not_assign(client, world):
    client.force_login(world.agent_a)
    assert client.post(ASSIGN, {"case": [world.case_a.pk], "agent": world.agent_a.pk}).status_code == 403
    with pytest.raises(CollectionError) as refused:
        placements_assign(case_ids=[world.case_a.pk], agent=world.agent_a, actor=world.agent_a)
    assert str(refused.value) == str(ASSIGN_NOT_SUPERVISOR)
    world.placement_a.refresh_from_db()
    assert world.placement_a.agent is None


def test_assigning_twice_changes_nothing_the_second_time(world):
    assert placements_assign(case_ids=[world.case_a.pk], agent=world.agent_a, actor=world.supervisor_a) == 1
    assert placements_assign(case_ids=[world.case_a.pk], agent=world.agent_a, actor=world.supervisor_a) == 0
    assert AuditEvent.objects.filter(action="collection.placement.assigned").count() == 1


def test_the_supervisor_sees_the_agents_work(client, world, django_assert_max_num_queries):
    Placement.objects.filter(pk=world.placement_a.pk).update(agent=world.agent_a)
    now = timezone.now()
    ContactAttemptFactory(case=world.case_a, borrower=world.case_a.borrower, actor=world.agent_a, occurred_at=now)
    ContactAttemptFactory(
        case=world.case_a, borrower=world.case_a.borrower, actor=world.agent_a, answered_by="nobody",
        outcome="no_answer", occurred_at=now - timezone.timedelta(days=3),
    )  # fmt: skip
    PromiseToPayFactory(case=world.case_a, created_by=world.agent_a, created_at=now, status=PromiseStatus.KEPT)
    PromiseToPayFactory(case=world.case_a, created_by=world.agent_a, created_at=now)
    client.force_login(world.supervisor_a)
    with django_assert_max_num_queries(12):
        response = client.get(TEAM)
    assert response.status_code == 200
    rows = {row["agent"]: row for row in response.context["rows"]}
    assert set(rows) == {world.supervisor_a, world.agent_a, world.agent_a2}
    row = rows[world.agent_a]
    assert (row["active_placements"], row["contacts_today"], row["contacts_week"], row["right_party"]) == (1, 1, 2, 1)
    assert (row["promises_taken"], row["promises_kept"], row["refusals"]) == (2, 1, 0)
    assert str(world.agent_b) not in response.text
    assert response.context["unassigned"] == 0


def test_team_rows_count_guard_refusals(world):
    from collection.models import ContactRefusal

    ContactRefusal.objects.create(
        case=world.case_a, borrower=world.case_a.borrower, channel="call", rule="daily_connected_calls",
        reason="", action="contact", refused_at=timezone.now(), contact_at=timezone.now(), actor=world.agent_a2,
    )  # fmt: skip
    rows = {row["agent"]: row for row in agency_team_rows(agency_id=world.agency_a.pk)}
    assert rows[world.agent_a2]["refusals"] == 1


def test_an_agent_who_is_not_supervisor_gets_403_on_the_team_page(client, world):
    client.force_login(world.agent_a)
    assert client.get(TEAM).status_code == 403
    body = client.get(QUEUE).text
    assert TEAM not in body
