"""Routing cases by the teams' work rules, balancing them by capacity, and a team lead's audited moves."""

from collections import Counter

import pytest

from accounts.models import AuditEvent
from accounts.roles import Role
from collection.errors import CollectionError
from collection.models import (
    Case,
    CaseAccount,
    CaseEvent,
    CaseStatus,
    CollectorCapacity,
    EventKind,
    Stage,
    TeamWorkRule,
)
from collection.services.assignment import (
    ASSIGNEE_CANNOT_WORK_CASES,
    ASSIGNEE_NOT_IN_TEAM,
    CASE_CLOSED,
    case_assign,
    cases_distribute,
    cases_reassign,
)
from collection.timeline import event_text
from tests.collection.factories import CaseFactory
from tests.factories import TeamFactory, UserFactory
from tests.lending.factories import BorrowerFactory, CreditProductFactory, account_with_schedule

pytestmark = pytest.mark.django_db


def case_of(product=None, *, province="北京市", **fields):
    """An open case over one account (of `product`), its borrower living in `province`."""
    borrower = BorrowerFactory(province=province)
    case = CaseFactory(borrower=borrower, **fields)
    account = account_with_schedule(borrower=borrower, product=product or CreditProductFactory(code="default-product"))
    CaseAccount.objects.create(case=case, account=account, joined_on=case.opened_on)
    return case


def collectors(team, count, prefix):
    return [UserFactory(username=f"{prefix}{n}", role=Role.COLLECTOR, team=team) for n in range(count)]


# --- Routing ------------------------------------------------------------------------------------------


def test_a_case_goes_to_the_first_team_whose_rule_matches_and_empty_lists_match_anything():
    early, late, cards, anything = (TeamFactory(name=name) for name in ("Early", "Late", "Cards", "Anything"))
    for team in (early, late, cards, anything):
        collectors(team, 1, f"{team.name.lower()}-")
    card = CreditProductFactory(code="card")
    cards_rule = TeamWorkRule.objects.create(team=cards, order=1)
    cards_rule.products.add(card)
    TeamWorkRule.objects.create(team=early, order=2, buckets=["M1"], stages=[Stage.EARLY], provinces=["北京市"])
    TeamWorkRule.objects.create(team=late, order=3, stages=[Stage.LATE])
    TeamWorkRule.objects.create(team=anything, order=9)
    cases = {
        "card": case_of(card, bucket="M1"),
        "early": case_of(bucket="M1", stage=Stage.EARLY),
        "early elsewhere": case_of(bucket="M1", stage=Stage.EARLY, province="上海市"),
        "late": case_of(bucket="M2", stage=Stage.LATE),
        "early in M2": case_of(bucket="M2", stage=Stage.EARLY),
    }

    moved = cases_distribute(case_ids=[case.pk for case in cases.values()])

    assert moved == 5
    teams = {name: Case.objects.get(pk=case.pk).team.name for name, case in cases.items()}
    assert teams == {
        "card": "Cards", "early": "Early", "early elsewhere": "Anything", "late": "Late", "early in M2": "Anything",
    }  # fmt: skip
    for case in cases.values():
        case.refresh_from_db()
        assert case.assigned_to.team == case.team


def test_an_inactive_teams_rule_is_skipped_and_a_case_no_rule_wants_stays_unassigned():
    closed_team = TeamFactory(name="Closed", is_active=False)
    collectors(closed_team, 1, "closed-")
    TeamWorkRule.objects.create(team=closed_team, order=1)
    late = TeamFactory(name="Late")
    TeamWorkRule.objects.create(team=late, order=2, stages=[Stage.LATE])
    case = case_of(stage=Stage.EARLY)

    assert cases_distribute(case_ids=[case.pk]) == 0

    case.refresh_from_db()
    assert (case.team, case.assigned_to) == (None, None)


def test_a_case_that_still_fits_its_team_stays_with_its_collector_and_one_that_moved_is_rerouted(
    team_a, collector, team_b, outsider
):
    TeamWorkRule.objects.create(team=team_a, order=1, stages=[Stage.EARLY])
    TeamWorkRule.objects.create(team=team_b, order=2, stages=[Stage.LATE])
    stays = case_of(stage=Stage.EARLY, team=team_a, assigned_to=collector)
    moves = case_of(stage=Stage.LATE, team=team_a, assigned_to=collector)

    moved = cases_distribute(case_ids=[stays.pk, moves.pk])

    assert moved == 1
    stays.refresh_from_db()
    moves.refresh_from_db()
    assert (stays.team, stays.assigned_to) == (team_a, collector)
    assert (moves.team, moves.assigned_to) == (team_b, outsider)
    assert [event.data for event in moves.events.filter(kind=EventKind.ASSIGNMENT)] == [
        {
            "code": "assigned", "by": "rules", "from_team": team_a.pk, "from_user": collector.pk,
            "to_team": team_b.pk, "to_user": outsider.pk, "to_team_name": team_b.name,
            "to_user_name": str(outsider),
        }
    ]  # fmt: skip
    # The nightly run (no actor) sums its moves in one audit event.
    audit = AuditEvent.objects.get(action="collection.cases.distributed")
    assert (audit.actor, audit.data) == (None, {"cases": 1, "by_team": {str(team_b.pk): 1}})
    assert cases_distribute(case_ids=[stays.pk, moves.pk]) == 0


# --- Balance --------------------------------------------------------------------------------------------


def test_cases_are_shared_in_proportion_to_capacity_and_the_lead_and_those_not_taking_cases_get_none(team_a, team_lead):
    small, large, default, full = collectors(team_a, 4, "c")
    CollectorCapacity.objects.create(user=small, capacity=100)
    CollectorCapacity.objects.create(user=large, capacity=200)  # `default` has no row: 300
    CollectorCapacity.objects.create(user=full, capacity=500, accepts_new_cases=False)
    team_lead.team = team_a
    team_lead.save()
    TeamWorkRule.objects.create(team=team_a, order=1)
    # `small` already carries 10 open cases (and a closed one, which does not count).
    for _ in range(10):
        case_of(team=team_a, assigned_to=small)
    case_of(team=team_a, assigned_to=small, status=CaseStatus.CLOSED, closed_on="2026-03-02")
    new = [case_of() for _ in range(50)]

    assert cases_distribute(case_ids=[case.pk for case in new]) == 50

    loads = Counter(Case.objects.exclude(status=CaseStatus.CLOSED).values_list("assigned_to__username", flat=True))
    assert loads == {"c0": 10, "c1": 20, "c2": 30}


def test_a_team_where_nobody_takes_new_cases_keeps_them_in_its_pool(team_a, collector):
    CollectorCapacity.objects.create(user=collector, accepts_new_cases=False)
    TeamWorkRule.objects.create(team=team_a, order=1)
    case = case_of()

    assert cases_distribute(case_ids=[case.pk]) == 1

    case.refresh_from_db()
    assert (case.team, case.assigned_to) == (team_a, None)


# --- A team lead's moves -----------------------------------------------------------------------------------


def test_a_team_lead_reassigns_in_bulk_and_every_move_is_audited(team_a, team_lead, collector):
    other = UserFactory(username="other", role=Role.COLLECTOR, team=team_a)
    cases = [case_of(team=team_a, assigned_to=collector) for _ in range(3)]
    already = case_of(team=team_a, assigned_to=other)

    moved = cases_reassign(case_ids=[case.pk for case in [*cases, already]], to_user=other, actor=team_lead)

    assert moved == 3
    assert set(Case.objects.values_list("assigned_to", flat=True)) == {other.pk}
    audits = AuditEvent.objects.filter(action="collection.case.assigned").order_by("id")
    assert [(audit.actor, audit.target_id, audit.data["to_user"]) for audit in audits] == [
        (team_lead, str(case.pk), other.pk) for case in cases
    ]
    assert audits[0].target_repr == cases[0].number
    events = CaseEvent.objects.filter(kind=EventKind.ASSIGNMENT).order_by("case_id")
    assert [(event.case_id, event.actor, event.data["from_user"], event_text(event)) for event in events] == [
        (case.pk, team_lead, collector.pk, f"Assigned to {other} ({team_a.name})") for case in cases
    ]


def test_a_bulk_move_to_a_team_shares_the_cases_among_its_collectors(team_a, team_b, team_lead, outsider):
    second = UserFactory(username="second-b", role=Role.COLLECTOR, team=team_b)
    cases = [case_of(team=team_a) for _ in range(4)]

    assert cases_reassign(case_ids=[case.pk for case in cases], to_team=team_b, actor=team_lead) == 4

    assert Counter(Case.objects.values_list("assigned_to", flat=True)) == {outsider.pk: 2, second.pk: 2}
    assert set(Case.objects.values_list("team", flat=True)) == {team_b.pk}


def test_moving_to_someone_outside_the_target_team_is_refused_and_nothing_is_written(
    team_a, team_b, team_lead, collector, outsider
):
    case = case_of(team=team_a, assigned_to=collector)

    with pytest.raises(CollectionError) as refused:
        cases_reassign(case_ids=[case.pk], to_user=outsider, to_team=team_a, actor=team_lead)

    assert str(refused.value) == ASSIGNEE_NOT_IN_TEAM.format(user=outsider, team=team_a)
    assert refused.value.field == "to_user"
    case.refresh_from_db()
    assert case.assigned_to == collector
    assert not AuditEvent.objects.filter(action="collection.case.assigned").exists()
    assert not CaseEvent.objects.filter(kind=EventKind.ASSIGNMENT).exists()


def test_a_team_lead_cannot_move_cases_they_cannot_see(team_a, team_b, team_lead, collector, outsider):
    theirs = case_of(team=team_b, assigned_to=outsider)

    assert cases_reassign(case_ids=[theirs.pk], to_user=collector, actor=team_lead) == 0

    theirs.refresh_from_db()
    assert theirs.assigned_to == outsider


def test_a_case_goes_only_to_someone_who_works_cases(team_lead, field_agent):
    case = case_of()
    with pytest.raises(CollectionError) as refused:
        case_assign(case=case, to_user=field_agent, actor=team_lead)
    assert str(refused.value) == ASSIGNEE_CANNOT_WORK_CASES.format(user=field_agent)


def test_one_case_can_go_to_a_team_or_back_to_the_unassigned_pool(team_a, team_lead, collector):
    case = case_of()

    case = case_assign(case=case, to_team=team_a, actor=team_lead, reason="Speaks the dialect")
    assert (case.team, case.assigned_to) == (team_a, collector)
    assert case.events.get(kind=EventKind.ASSIGNMENT).notes == "Speaks the dialect"

    case = case_assign(case=case, actor=team_lead)
    assert (case.team, case.assigned_to) == (None, None)
    assert event_text(case.events.filter(kind=EventKind.ASSIGNMENT).first()) == "Returned to the unassigned pool"
    assert AuditEvent.objects.filter(action="collection.case.assigned").count() == 2

    # The same move again changes nothing and writes nothing.
    case_assign(case=case, actor=team_lead)
    assert AuditEvent.objects.filter(action="collection.case.assigned").count() == 2


def test_a_closed_case_is_not_assigned(team_lead, collector):
    case = case_of(status=CaseStatus.CLOSED, closed_on="2026-03-02")
    with pytest.raises(CollectionError, match=str(CASE_CLOSED)):
        case_assign(case=case, to_user=collector, actor=team_lead)
