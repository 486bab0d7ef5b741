"""Next case: which case it hands out, the claim, the button, and twenty collectors pressing it at once."""

import datetime
import threading

import pytest
from django.db import connection
from django.urls import reverse
from django.utils import timezone

from accounts.models import AuditEvent
from accounts.roles import Role
from collection.models import Case, CaseStatus
from collection.services.next_case import CLAIM_FOR, next_case_take
from tests.collection.factories import CaseFactory, HoldFactory
from tests.factories import TeamFactory, UserFactory

pytestmark = pytest.mark.django_db

NOW = datetime.datetime(2026, 5, 4, 10, 0, tzinfo=datetime.UTC)
NEXT_CASE = reverse("collection:next_case")


def case_of(collector=None, *, team=None, **fields):
    return CaseFactory(
        assigned_to=collector, team=team if team is not None else getattr(collector, "team", None), **fields
    )


@pytest.fixture
def colleague(team_a):
    return UserFactory(username="colleague", role=Role.COLLECTOR, team=team_a)


# --- The rule --------------------------------------------------------------------------------


def test_it_hands_out_the_highest_priority_case_due(collector):
    case_of(collector, priority=10)
    best = case_of(collector, priority=90)
    case_of(collector, priority=50)
    assert next_case_take(user=collector, now=NOW) == best


def test_equal_priorities_go_oldest_case_first(collector):
    first = case_of(collector, priority=10)
    case_of(collector, priority=10)
    assert next_case_take(user=collector, now=NOW) == first


def test_a_case_planned_for_later_is_not_due(collector):
    case_of(collector, priority=90, next_action_at=NOW + datetime.timedelta(minutes=1))
    due = case_of(collector, priority=10, next_action_at=NOW)
    unplanned = case_of(collector, priority=5, next_action_at=None)
    assert next_case_take(user=collector, now=NOW) == due
    assert next_case_take(user=collector, now=NOW) == unplanned
    assert next_case_take(user=collector, now=NOW) is None


def test_cases_on_hold_and_closed_cases_are_not_handed_out(collector):
    held = case_of(collector, priority=90, status=CaseStatus.ON_HOLD)
    HoldFactory(case=held)
    case_of(collector, priority=80, status=CaseStatus.CLOSED, closed_on=datetime.date(2026, 4, 1))
    promised = case_of(collector, priority=10, status=CaseStatus.PROMISED, next_action_at=NOW)
    assert next_case_take(user=collector, now=NOW) == promised
    assert next_case_take(user=collector, now=NOW) is None


def test_my_own_cases_come_before_the_teams_unassigned_ones(collector, team_a):
    unassigned = case_of(team=team_a, priority=99)
    mine = case_of(collector, priority=1)
    assert next_case_take(user=collector, now=NOW) == mine
    assert next_case_take(user=collector, now=NOW) == unassigned


def test_it_never_hands_out_a_colleagues_or_another_teams_case(collector, colleague, outsider, team_b):
    case_of(colleague, priority=90)
    case_of(outsider, priority=90)
    case_of(team=team_b, priority=90)
    assert next_case_take(user=collector, now=NOW) is None


def test_a_team_lead_takes_from_every_team_they_lead(team_lead, team_a):
    led = TeamFactory(name="Late C", lead=team_lead)
    theirs = case_of(team=led, priority=50)
    ours = case_of(team=team_a, priority=40)
    assert next_case_take(user=team_lead, now=NOW) == theirs
    assert next_case_take(user=team_lead, now=NOW) == ours


def test_taking_a_case_claims_it_for_fifteen_minutes_and_is_audited(collector):
    case = case_of(collector)
    taken = next_case_take(user=collector, now=NOW)
    case.refresh_from_db()
    assert case.worked_by == collector
    assert case.worked_until == NOW + CLAIM_FOR == NOW + datetime.timedelta(minutes=15)
    assert taken.worked_until == case.worked_until
    event = AuditEvent.objects.get(action="collection.case.taken")
    assert (event.actor, event.target_id) == (collector, str(case.pk))


def test_taking_does_not_assign_an_unassigned_case(collector, team_a):
    case = case_of(team=team_a)
    next_case_take(user=collector, now=NOW)
    case.refresh_from_db()
    assert case.assigned_to is None
    assert case.worked_by == collector


def test_a_case_claimed_by_someone_else_is_skipped_until_the_claim_runs_out(collector, colleague, team_a):
    case = case_of(team=team_a, priority=90)
    assert next_case_take(user=colleague, now=NOW) == case
    assert next_case_take(user=collector, now=NOW) is None
    assert next_case_take(user=collector, now=NOW + CLAIM_FOR - datetime.timedelta(seconds=1)) is None
    assert next_case_take(user=collector, now=NOW + CLAIM_FOR) == case


def test_pressing_again_moves_on_to_the_following_case(collector):
    first = case_of(collector, priority=90)
    second = case_of(collector, priority=80)
    assert next_case_take(user=collector, now=NOW) == first
    assert next_case_take(user=collector, now=NOW + datetime.timedelta(minutes=1)) == second
    assert next_case_take(user=collector, now=NOW + datetime.timedelta(minutes=2)) is None
    # The skipped case comes back when its claim runs out.
    assert next_case_take(user=collector, now=NOW + CLAIM_FOR) == first


def test_nothing_due_returns_none_and_claims_nothing(collector):
    case = case_of(collector, next_action_at=NOW + datetime.timedelta(days=1))
    assert next_case_take(user=collector, now=NOW) is None
    case.refresh_from_db()
    assert case.worked_by is None
    assert not AuditEvent.objects.filter(action="collection.case.taken").exists()


def test_it_takes_few_queries(collector, team_a, django_assert_max_num_queries):
    for priority in range(20):
        case_of(collector if priority % 2 else None, team=team_a, priority=priority)
    # The led teams (scope, tiers), a savepoint, the locked read, the claim, the audit row (and its content
    # type), the savepoint's release.
    with django_assert_max_num_queries(8):
        assert next_case_take(user=collector, now=NOW) is not None


# --- The button ----------------------------------------------------------------------------------


def test_the_button_opens_the_case_taken(client, collector):
    case = case_of(collector)
    client.force_login(collector)
    response = client.post(NEXT_CASE, {"next": reverse("collection:team_queue")})
    assert response.status_code == 302
    assert response["Location"] == reverse("collection:case_detail", args=[case.pk])
    case.refresh_from_db()
    assert case.worked_by == collector


def test_with_nothing_due_the_button_says_so_and_goes_back(client, collector):
    client.force_login(collector)
    back = reverse("collection:team_queue") + "?bucket=M2"
    response = client.post(NEXT_CASE, {"next": back}, follow=True)
    assert response.redirect_chain == [(back, 302)]
    assert "No case is due now." in response.text


def test_the_button_goes_back_only_to_our_own_pages(client, collector):
    client.force_login(collector)
    response = client.post(NEXT_CASE, {"next": "https://evil.example/"})
    assert response["Location"] == reverse("collection:my_queue")


def test_the_button_refuses_get(client, collector):
    client.force_login(collector)
    assert client.get(NEXT_CASE).status_code == 405


@pytest.mark.parametrize("role", [Role.LEGAL_OFFICER, Role.FIELD_AGENT, Role.AGENCY_AGENT, Role.ADMIN])
def test_roles_that_do_not_work_cases_cannot_take_one(client, user_of_role, role, team_a):
    case = case_of(team=team_a)
    client.force_login(user_of_role(role, team=team_a))
    assert client.post(NEXT_CASE).status_code == 403
    case.refresh_from_db()
    assert case.worked_by is None


def test_a_visitor_is_sent_to_log_in(client):
    response = client.post(NEXT_CASE)
    assert response.status_code == 302
    assert reverse("accounts:login") in response["Location"]


# --- The race ---------------------------------------------------------------------------------------


def _press_at_once(users, *, now) -> list:
    """Every user presses Next case at the same moment, each in a thread with its own connection."""
    barrier = threading.Barrier(len(users))
    results, errors = [None] * len(users), []

    def press(index, user):
        try:
            barrier.wait(timeout=30)
            case = next_case_take(user=user, now=now)
            results[index] = case.pk if case else None
        except Exception as error:  # noqa: BLE001 - reported below
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=press, args=(index, user)) for index, user in enumerate(users)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not errors, errors
    return results


postgres_only = pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="SQLite has no row locks and serialises writers: the race needs PostgreSQL",
)


@postgres_only
@pytest.mark.django_db(transaction=True)
def test_twenty_collectors_pressing_at_once_never_get_the_same_case():
    team = TeamFactory(name="Race")
    collectors = [UserFactory(username=f"racer{n}", role=Role.COLLECTOR, team=team) for n in range(20)]
    for priority in range(30):
        case_of(team=team, priority=priority)
    taken = _press_at_once(collectors, now=timezone.now())
    assert None not in taken
    assert len(set(taken)) == 20
    # ... and the twenty best: nobody was handed a worse case while a better one was free.
    best = set(Case.objects.order_by("-priority", "id").values_list("pk", flat=True)[:20])
    assert set(taken) == best
    claims = dict(Case.objects.filter(pk__in=taken).values_list("pk", "worked_by__username"))
    assert sorted(claims.values()) == sorted(user.username for user in collectors)


@postgres_only
@pytest.mark.django_db(transaction=True)
def test_with_fewer_cases_than_collectors_the_rest_get_none():
    team = TeamFactory(name="Race")
    collectors = [UserFactory(username=f"racer{n}", role=Role.COLLECTOR, team=team) for n in range(20)]
    cases = {case_of(team=team, priority=priority).pk for priority in range(5)}
    taken = _press_at_once(collectors, now=timezone.now())
    assert sorted(pk for pk in taken if pk) == sorted(cases)
    assert taken.count(None) == 15
