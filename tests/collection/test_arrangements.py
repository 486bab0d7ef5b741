"""Arrangements: the terms of each kind, approval limits by role, the approval queue and its actions."""

import datetime
import json
from decimal import Decimal

import pytest
from django.db import IntegrityError, transaction
from django.urls import reverse

from accounts.models import AuditEvent
from accounts.roles import Role
from collection.errors import CollectionError
from collection.models import (
    Arrangement,
    ArrangementInstallment,
    ArrangementKind,
    ArrangementStatus,
    CaseEvent,
    CaseStatus,
    EventKind,
    Stage,
)
from collection.services import arrangement_rules as rules
from collection.services import arrangements as services
from collection.services.arrangements import arrangement_cancel, arrangement_decide, arrangement_propose
from collection.timeline import event_text
from lending.services import LENDER_TZ, lender_today
from tests.collection.factories import case_in_arrears
from tests.factories import TeamFactory, UserFactory

pytestmark = pytest.mark.django_db

PLAN = ArrangementKind.REPAYMENT_PLAN
SETTLEMENT = ArrangementKind.SETTLEMENT
EXTENSION = ArrangementKind.EXTENSION
WAIVER = ArrangementKind.WAIVER
HTMX = {"HTTP_HX_REQUEST": "true"}

# The case below: six installments of 1,000.00 + 12.50 interest, the first overdue with
# 30.00 of late fee and 40.00 of penalty: 6,145.00 outstanding, 1,082.50 overdue.
BALANCE = Decimal("6145.00")
OVERDUE = Decimal("1082.50")


def in_days(days: int) -> datetime.date:
    return lender_today() + datetime.timedelta(days=days)


def arrears_case(collector=None, *, team=None):
    case = case_in_arrears(collector=collector, team=team)
    first = case.case_accounts.get().account.installments.get(number=1)
    first.fee_due = Decimal("30.00")
    first.penalty_accrued = Decimal("40.00")
    first.late_fee_charged = True
    first.save()
    return case


@pytest.fixture
def case(collector):
    return arrears_case(collector)


@pytest.fixture
def other_case(outsider):
    return arrears_case(outsider)


def settlement(case, actor, lump_sum, **kwargs):
    return arrangement_propose(case=case, kind=SETTLEMENT, actor=actor, lump_sum=Decimal(lump_sum), pay_by=in_days(7))


def audit_actions(target):
    return list(
        AuditEvent.objects.filter(target_id=str(target.pk), action__startswith="collection.arrangement.")
        .order_by("id")
        .values_list("action", flat=True)
    )


# --- The balance -------------------------------------------------------------------------------


def test_the_balance_is_read_from_the_accounts_in_the_case(case):
    balance = services.case_balance(case)
    assert (balance.principal, balance.interest, balance.fees, balance.penalty) == (
        Decimal("6000.00"),
        Decimal("75.00"),
        Decimal("30.00"),
        Decimal("40.00"),
    )
    assert balance.total == BALANCE
    assert balance.overdue_total == OVERDUE
    assert [account.external_id for account in balance.accounts] == [case.case_accounts.get().account.external_id]


# --- Approval limits by role ------------------------------------------------------------------------


def test_a_collector_waives_penalty_at_once(case, collector):
    arrangement = arrangement_propose(
        case=case, kind=WAIVER, actor=collector, waive_penalty=Decimal("40.00"), pay_by=in_days(7)
    )
    assert arrangement.status == ArrangementStatus.ACTIVE
    assert arrangement.decided_by == collector
    assert (arrangement.concession, arrangement.waived_penalty) == (Decimal("40.00"), Decimal("40.00"))
    assert arrangement.balance_at_start == BALANCE
    # The rest of the overdue amount, by the date.
    assert list(arrangement.installments.values_list("number", "due_on", "amount", "status")) == [
        (1, in_days(7), Decimal("1042.50"), ArrangementInstallment.Status.DUE)
    ]
    case.refresh_from_db()
    assert case.status == CaseStatus.IN_ARRANGEMENT
    assert audit_actions(arrangement) == ["collection.arrangement.proposed"]
    event = case.events.filter(kind=EventKind.ARRANGEMENT).get()
    assert event.data["action"] == "proposed"
    assert event.data["status"] == ArrangementStatus.ACTIVE
    assert event.data["concession"] == "40.00"
    # The case page renders the line from the data, in the reader's language.
    assert event_text(event) == ("Fee or penalty waiver: 1,042.50 CNY in 1 installment · concession 40.00 CNY (Active)")


def test_a_collector_waiving_fees_needs_approval(case, collector):
    arrangement = arrangement_propose(
        case=case, kind=WAIVER, actor=collector, waive_fees=Decimal("30.00"), pay_by=in_days(7)
    )
    assert arrangement.status == ArrangementStatus.PENDING_APPROVAL
    assert arrangement.decided_by is None
    case.refresh_from_db()
    assert case.status == CaseStatus.OPEN


def test_a_collector_settlement_waits_for_approval(case, collector):
    arrangement = settlement(case, collector, "5000.00")
    assert arrangement.status == ArrangementStatus.PENDING_APPROVAL
    assert arrangement.concession == BALANCE - Decimal("5000.00")
    assert arrangement.waived_penalty == 0
    assert list(arrangement.installments.values_list("due_on", "amount")) == [(in_days(7), Decimal("5000.00"))]
    case.refresh_from_db()
    assert case.status == CaseStatus.OPEN
    assert case.events.get(kind=EventKind.ARRANGEMENT).data["status"] == ArrangementStatus.PENDING_APPROVAL


def test_a_collector_plan_that_pays_the_overdue_amount_is_active_at_once(case, collector):
    arrangement = arrangement_propose(
        case=case,
        kind=PLAN,
        actor=collector,
        schedule=[(in_days(7), Decimal("500.00")), (in_days(37), Decimal("582.50"))],
    )
    assert arrangement.status == ArrangementStatus.ACTIVE
    assert (arrangement.total_to_pay, arrangement.concession) == (OVERDUE, Decimal("0.00"))
    assert list(arrangement.installments.values_list("number", "amount")) == [
        (1, Decimal("500.00")),
        (2, Decimal("582.50")),
    ]


def test_a_collector_extension_concedes_the_penalty_it_would_accrue_and_is_active_at_once(case, collector):
    arrangement = arrangement_propose(case=case, kind=EXTENSION, actor=collector, new_due_on=in_days(14))
    # 1,000.00 overdue principal x 0.05% a day x 14 days.
    assert (arrangement.concession, arrangement.waived_penalty) == (Decimal("7.00"), Decimal("7.00"))
    assert arrangement.status == ArrangementStatus.ACTIVE
    assert list(arrangement.installments.values_list("due_on", "amount")) == [(in_days(14), OVERDUE)]


def test_a_team_lead_concedes_up_to_a_fifth_of_the_balance_at_once(case, team_lead):
    # 20% of 6,145.00 is 1,229.00.
    arrangement = settlement(case, team_lead, "4916.00")
    assert arrangement.concession == Decimal("1229.00")
    assert arrangement.status == ArrangementStatus.ACTIVE


def test_a_team_lead_over_a_fifth_of_the_balance_waits_for_a_manager(case, team_lead):
    arrangement = settlement(case, team_lead, "4915.99")
    assert arrangement.status == ArrangementStatus.PENDING_APPROVAL


def test_a_manager_concedes_anything_at_once(case, manager):
    assert settlement(case, manager, "1000.00").status == ArrangementStatus.ACTIVE


@pytest.mark.parametrize(
    ("role", "concession", "penalty", "expected"),
    [
        (Role.COLLECTOR, "0.00", "0.00", True),
        (Role.COLLECTOR, "500.00", "500.00", True),
        (Role.COLLECTOR, "0.01", "0.00", False),
        (Role.TEAM_LEAD, "2000.00", "2000.00", True),
        (Role.TEAM_LEAD, "200.00", "0.00", True),
        (Role.TEAM_LEAD, "200.01", "0.00", False),
        (Role.MANAGER, "1000.00", "0.00", True),
        (Role.ADMIN, "1.00", "1.00", False),
        (Role.LEGAL_OFFICER, "1.00", "0.00", False),
    ],
)
def test_the_limits_table(user_of_role, role, concession, penalty, expected):
    user = user_of_role(role)
    assert (
        services.within_limit(
            user, concession=Decimal(concession), waived_penalty=Decimal(penalty), balance=Decimal("1000.00")
        )
        is expected
    )


# --- Deciding -----------------------------------------------------------------------------------


def test_a_team_lead_cannot_approve_over_their_limit_and_a_manager_can(case, collector, team_lead, manager):
    arrangement = settlement(case, collector, "3000.00")  # concession 3,145.00: over 20%
    with pytest.raises(CollectionError) as refused:
        arrangement_decide(arrangement=arrangement, approve=True, actor=team_lead)
    assert str(refused.value) == str(services.OVER_YOUR_LIMIT)
    arrangement.refresh_from_db()
    assert arrangement.status == ArrangementStatus.PENDING_APPROVAL

    arrangement_decide(arrangement=arrangement, approve=True, actor=manager, note="Hardship, documented")
    arrangement.refresh_from_db()
    assert arrangement.status == ArrangementStatus.ACTIVE
    assert (arrangement.decided_by, arrangement.decision_note) == (manager, "Hardship, documented")
    case.refresh_from_db()
    assert case.status == CaseStatus.IN_ARRANGEMENT
    assert audit_actions(arrangement) == ["collection.arrangement.proposed", "collection.arrangement.approved"]
    assert AuditEvent.objects.get(action="collection.arrangement.approved").actor == manager


def test_a_team_lead_approves_within_their_limit(case, collector, team_lead):
    arrangement = settlement(case, collector, "5600.00")  # concession 545.00: under 20%
    arrangement_decide(arrangement=arrangement, approve=True, actor=team_lead)
    arrangement.refresh_from_db()
    assert arrangement.status == ArrangementStatus.ACTIVE
    assert arrangement.decided_by == team_lead


def test_a_rejection_says_why_and_leaves_the_case_as_it_was(case, collector, team_lead):
    arrangement = settlement(case, collector, "5600.00")
    with pytest.raises(CollectionError) as refused:
        arrangement_decide(arrangement=arrangement, approve=False, actor=team_lead, note="  ")
    assert refused.value.field == "note"
    arrangement_decide(arrangement=arrangement, approve=False, actor=team_lead, note="Offer more")
    arrangement.refresh_from_db()
    assert arrangement.status == ArrangementStatus.REJECTED
    case.refresh_from_db()
    assert case.status == CaseStatus.OPEN
    assert case.events.filter(kind=EventKind.ARRANGEMENT).order_by("id").last().notes == "Offer more"


def test_deciding_twice_changes_nothing_the_second_time(case, collector, team_lead, manager):
    arrangement = settlement(case, collector, "5600.00")
    arrangement_decide(arrangement=arrangement, approve=True, actor=team_lead)
    events = CaseEvent.objects.count()
    with pytest.raises(CollectionError, match=str(services.NOT_PENDING)):
        arrangement_decide(arrangement=arrangement, approve=False, actor=manager, note="No")
    arrangement.refresh_from_db()
    assert (arrangement.status, arrangement.decided_by) == (ArrangementStatus.ACTIVE, team_lead)
    assert CaseEvent.objects.count() == events


def test_nobody_decides_their_own_request(case, team_lead):
    arrangement = settlement(case, team_lead, "3000.00")
    assert arrangement.status == ArrangementStatus.PENDING_APPROVAL
    with pytest.raises(CollectionError, match=str(services.OWN_REQUEST)):
        arrangement_decide(arrangement=arrangement, approve=False, actor=team_lead, note="Never mind")


def test_a_collector_cannot_decide(case, team_lead, collector):
    arrangement = settlement(case, team_lead, "3000.00")
    with pytest.raises(CollectionError, match=str(services.NOT_AN_APPROVER)):
        arrangement_decide(arrangement=arrangement, approve=True, actor=collector)


# --- One open arrangement per case ---------------------------------------------------------------


def test_a_second_arrangement_is_refused_until_the_first_is_cancelled(case, collector):
    first = settlement(case, collector, "5000.00")
    with pytest.raises(CollectionError, match=str(services.ALREADY_OPEN)):
        arrangement_propose(case=case, kind=EXTENSION, actor=collector, new_due_on=in_days(14))
    arrangement_cancel(arrangement=first, actor=collector, note="Borrower prefers more time")
    first.refresh_from_db()
    assert (first.status, first.ended_on) == (ArrangementStatus.CANCELLED, lender_today())
    second = arrangement_propose(case=case, kind=EXTENSION, actor=collector, new_due_on=in_days(14))
    assert second.status == ArrangementStatus.ACTIVE
    assert audit_actions(first) == ["collection.arrangement.proposed", "collection.arrangement.cancelled"]


def test_cancelling_an_active_arrangement_reopens_the_case(case, collector):
    arrangement = arrangement_propose(case=case, kind=EXTENSION, actor=collector, new_due_on=in_days(14))
    arrangement_cancel(arrangement=arrangement, actor=collector)
    case.refresh_from_db()
    assert case.status == CaseStatus.OPEN
    with pytest.raises(CollectionError, match=str(services.NOT_OPEN)):
        arrangement_cancel(arrangement=arrangement, actor=collector)


def test_the_database_refuses_two_open_arrangements_on_a_case(case, collector):
    settlement(case, collector, "5000.00")
    with pytest.raises(IntegrityError), transaction.atomic():
        Arrangement.objects.create(
            case=case,
            kind=SETTLEMENT,
            status=ArrangementStatus.ACTIVE,
            currency="CNY",
            requested_at=case.created_at,
        )


# --- Refusals write nothing ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kind", "terms", "field", "message"),
    [
        (PLAN, {"schedule": [(in_days(7), Decimal("1000.00"))]}, "schedule", None),
        (PLAN, {"schedule": [(in_days(7), Decimal("7000.00"))]}, "schedule", None),
        (PLAN, {"schedule": []}, "schedule", rules.PLAN_EMPTY),
        (
            PLAN,
            {"schedule": [(in_days(9), Decimal("600.00")), (in_days(7), Decimal("600.00"))]},
            "schedule",
            rules.PLAN_DATES_NOT_ASCENDING,
        ),
        (PLAN, {"schedule": [(in_days(-1), Decimal("1100.00"))]}, "schedule", rules.DATE_IN_PAST),
        (SETTLEMENT, {"lump_sum": Decimal("7000.00"), "pay_by": in_days(7)}, "lump_sum", None),
        (SETTLEMENT, {"lump_sum": Decimal("5000.00"), "pay_by": in_days(91)}, "pay_by", None),
        (SETTLEMENT, {"lump_sum": Decimal("5000.00")}, "pay_by", rules.PAY_BY_REQUIRED),
        (EXTENSION, {"new_due_on": lender_today()}, "new_due_on", None),
        (EXTENSION, {"new_due_on": in_days(91)}, "new_due_on", None),
        (WAIVER, {"waive_penalty": Decimal("40.01"), "pay_by": in_days(7)}, "waive_penalty", None),
        (WAIVER, {"waive_interest": Decimal("-1.00"), "pay_by": in_days(7)}, "waive_interest", None),
        (WAIVER, {"pay_by": in_days(7)}, "waive_penalty", rules.WAIVER_EMPTY),
    ],
    ids=[
        "plan-below-overdue",
        "plan-above-balance",
        "plan-empty",
        "plan-dates-backwards",
        "plan-in-the-past",
        "settlement-above-balance",
        "settlement-too-far",
        "settlement-no-date",
        "extension-today",
        "extension-too-far",
        "waiver-over-outstanding",
        "waiver-negative",
        "waiver-nothing",
    ],
)
def test_a_refused_proposal_writes_nothing(case, collector, kind, terms, field, message):
    audit_before = AuditEvent.objects.count()
    with pytest.raises(CollectionError) as refused:
        arrangement_propose(case=case, kind=kind, actor=collector, **terms)
    assert refused.value.field == field
    if message is not None:
        assert str(refused.value) == str(message)
    assert Arrangement.objects.count() == 0
    assert ArrangementInstallment.objects.count() == 0
    assert CaseEvent.objects.count() == 0
    assert AuditEvent.objects.count() == audit_before
    case.refresh_from_db()
    assert case.status == CaseStatus.OPEN


def test_a_closed_case_takes_no_arrangement(case, collector):
    case.status = CaseStatus.CLOSED
    case.closed_on = lender_today()
    case.save()
    with pytest.raises(CollectionError, match=str(services.CASE_CLOSED)):
        settlement(case, collector, "5000.00")


def test_an_approval_after_the_first_date_has_passed_moves_the_dates_on(case, collector, team_lead, time_machine):
    arrangement = settlement(case, collector, "5600.00")  # pay by in 7 days
    asked_for = in_days(7)
    time_machine.move_to(datetime.datetime.combine(in_days(9), datetime.time(10), tzinfo=LENDER_TZ))
    today = lender_today()
    # What the approver is shown before deciding: the first date falls today.
    assert services.arrangement_dates_if_approved(arrangement) == [(1, today)]
    assert asked_for < today
    arrangement_decide(arrangement=arrangement, approve=True, actor=team_lead)
    arrangement.refresh_from_db()
    assert arrangement.status == ArrangementStatus.ACTIVE
    assert list(arrangement.installments.values_list("due_on", flat=True)) == [today]
    approved = case.events.filter(code="arrangement_approved").get()
    assert approved.data["dates_moved_days"] == 2
    assert event_text(approved) == "Settlement approved · dates moved on by 2 days"


# --- The proposal page -------------------------------------------------------------------------------


def propose_url(case):
    return reverse("collection:arrangement_propose", args=[case.pk])


def test_the_proposal_page_shows_the_balance_and_the_kinds(client, collector, case, django_assert_max_num_queries):
    client.force_login(collector)
    with django_assert_max_num_queries(8):
        response = client.get(propose_url(case))
    assert response.status_code == 200
    text = response.text
    assert "6,145.00 CNY" in text
    assert "1,082.50 CNY" in text
    for label in ArrangementKind.labels:
        assert str(label) in text
    # The plan is suggested: the overdue amount in three parts.
    assert response.context["form"].initial["amount_3"] == Decimal("360.84")


def test_choosing_a_kind_with_htmx_swaps_only_the_form(client, collector, case):
    client.force_login(collector)
    response = client.get(propose_url(case), {"kind": SETTLEMENT}, **HTMX)
    assert response.status_code == 200
    assert "<html" not in response.text
    assert 'name="lump_sum"' in response.text
    assert 'name="amount_1"' not in response.text


def test_a_collector_proposes_a_settlement_from_the_page(client, collector, case):
    client.force_login(collector)
    response = client.post(
        propose_url(case),
        {"kind": SETTLEMENT, "lump_sum": "5000.00", "pay_by": in_days(7).isoformat(), "notes": "Lump sum from family"},
    )
    assert response.status_code == 302
    assert response.url == reverse("collection:case_detail", args=[case.pk])
    arrangement = Arrangement.objects.get()
    assert (arrangement.status, arrangement.notes) == (ArrangementStatus.PENDING_APPROVAL, "Lump sum from family")


def test_a_plan_is_proposed_row_by_row(client, collector, case):
    client.force_login(collector)
    response = client.post(
        propose_url(case),
        {
            "kind": PLAN,
            "due_on_1": in_days(3).isoformat(),
            "amount_1": "82.50",
            "due_on_2": in_days(33).isoformat(),
            "amount_2": "1000.00",
        },
        **HTMX,
    )
    assert response.status_code == 200
    assert 'data-testid="arrangement-proposed"' in response.text
    assert "case-changed" in json.loads(response["HX-Trigger"])
    arrangement = Arrangement.objects.get()
    assert arrangement.status == ArrangementStatus.ACTIVE
    assert arrangement.installments.count() == 2


def test_a_refused_proposal_shows_why_on_the_form(client, collector, case):
    client.force_login(collector)
    response = client.post(
        propose_url(case), {"kind": PLAN, "due_on_1": in_days(3).isoformat(), "amount_1": "100.00"}, **HTMX
    )
    assert response.status_code == 200
    assert "less than the 1,082.50 CNY overdue" in response.text
    assert Arrangement.objects.count() == 0


def test_a_half_filled_plan_row_is_an_error(client, collector, case):
    client.force_login(collector)
    response = client.post(propose_url(case), {"kind": PLAN, "amount_1": "1082.50"})
    assert response.status_code == 200
    assert "Give both the date and the amount of installment 1." in response.text


def test_the_proposal_page_refuses_other_methods(client, collector, case):
    client.force_login(collector)
    assert client.put(propose_url(case)).status_code == 405


def test_an_outsider_gets_404(client, outsider, case):
    client.force_login(outsider)
    assert client.get(propose_url(case)).status_code == 404
    assert client.post(propose_url(case), {"kind": EXTENSION, "new_due_on": in_days(9)}).status_code == 404
    assert Arrangement.objects.count() == 0


@pytest.mark.parametrize("role", [Role.LEGAL_OFFICER, Role.ADMIN])
def test_roles_that_see_the_case_but_do_not_work_cases_get_403(client, user_of_role, case, role):
    # A legal officer sees a case only once it is in the legal stage.
    case.stage = Stage.LEGAL
    case.save(update_fields=["stage"])
    client.force_login(user_of_role(role))
    assert client.get(propose_url(case)).status_code == 403


def test_a_legal_officer_gets_404_on_a_case_outside_the_legal_stage(client, legal_officer, case):
    client.force_login(legal_officer)
    assert client.get(propose_url(case)).status_code == 404


def test_a_field_agent_without_a_visit_there_gets_404(client, field_agent, case):
    client.force_login(field_agent)
    assert client.get(propose_url(case)).status_code == 404


def test_a_visitor_is_sent_to_log_in(client, case):
    response = client.get(propose_url(case))
    assert response.status_code == 302
    assert "login" in response.url


# --- The approval queue -----------------------------------------------------------------------------------


QUEUE = reverse("collection:approval_queue")


@pytest.fixture
def requests(case, other_case, collector, outsider):
    """Team A: one within a team lead's limit, one over it; team B: one."""
    within = settlement(case, collector, "5600.00")
    over_case = arrears_case(collector)
    over = settlement(over_case, collector, "3000.00")
    elsewhere = settlement(other_case, outsider, "5600.00")
    return {"within": within, "over": over, "elsewhere": elsewhere}


def queued(response):
    return [row.record.pk for row in response.context["table"].paginated_rows]


def test_a_team_lead_sees_their_teams_requests(client, team_lead, requests, django_assert_max_num_queries):
    client.force_login(team_lead)
    with django_assert_max_num_queries(10):
        response = client.get(QUEUE)
    assert response.status_code == 200
    assert queued(response) == [requests["within"].pk, requests["over"].pk]
    text = response.text
    assert text.count('value="approve"') == 1  # the one within the limit
    assert "For a manager" in text


def test_a_manager_sees_every_request_and_may_approve_them_all(client, manager, requests):
    client.force_login(manager)
    response = client.get(QUEUE)
    assert set(queued(response)) == {request.pk for request in requests.values()}
    assert response.text.count('value="approve"') == 3


def test_the_queue_lists_only_requests_waiting(client, team_lead, requests, collector):
    arrangement_cancel(arrangement=requests["over"], actor=collector)
    client.force_login(team_lead)
    assert queued(client.get(QUEUE)) == [requests["within"].pk]


@pytest.mark.parametrize("role", [Role.COLLECTOR, Role.FIELD_AGENT, Role.LEGAL_OFFICER])
def test_roles_without_approval_get_403_on_the_queue(client, user_of_role, role):
    client.force_login(user_of_role(role))
    assert client.get(QUEUE).status_code == 403


def test_the_queue_refuses_post(client, team_lead):
    client.force_login(team_lead)
    assert client.post(QUEUE).status_code == 405


def decide_url(arrangement):
    return reverse("collection:arrangement_decide", args=[arrangement.pk])


def test_a_team_lead_approves_from_the_queue(client, team_lead, requests):
    client.force_login(team_lead)
    response = client.post(decide_url(requests["within"]), {"decision": "approve"})
    assert response.status_code == 302
    assert response.url == QUEUE
    requests["within"].refresh_from_db()
    assert requests["within"].status == ArrangementStatus.ACTIVE
    assert str(services.OVER_YOUR_LIMIT) not in client.get(QUEUE).text


def test_an_approval_over_the_limit_is_refused_with_htmx(client, team_lead, requests):
    client.force_login(team_lead)
    response = client.post(decide_url(requests["over"]), {"decision": "approve"}, **HTMX)
    assert response.status_code == 200
    assert response.text.lstrip().startswith("<tr")
    assert str(services.OVER_YOUR_LIMIT) in response.text
    # The refused row keeps its buttons: the lead can still reject it with a note.
    assert 'value="reject"' in response.text and 'name="note"' in response.text
    requests["over"].refresh_from_db()
    assert requests["over"].status == ArrangementStatus.PENDING_APPROVAL


def test_the_queue_shows_the_dates_an_approval_today_would_set(client, team_lead, requests, time_machine):
    time_machine.move_to(datetime.datetime.combine(in_days(9), datetime.time(10), tzinfo=LENDER_TZ))
    client.force_login(team_lead)
    response = client.get(QUEUE)
    today = lender_today().strftime("%m/%d/%Y")
    assert today in response.text
    assert "moved on by 2 days" in response.text


def test_a_team_lead_rejects_over_their_limit_with_a_note(client, team_lead, requests):
    client.force_login(team_lead)
    response = client.post(decide_url(requests["over"]), {"decision": "reject", "note": "Too generous"}, **HTMX)
    assert "Rejected." in response.text
    requests["over"].refresh_from_db()
    assert (requests["over"].status, requests["over"].decision_note) == (ArrangementStatus.REJECTED, "Too generous")


def test_another_teams_lead_gets_404_on_a_decision(client, requests):
    lead_b = UserFactory(username="lead_b", role=Role.TEAM_LEAD)
    TeamFactory(name="Late B", lead=lead_b)
    client.force_login(lead_b)
    assert client.post(decide_url(requests["within"]), {"decision": "approve"}).status_code == 404
    requests["within"].refresh_from_db()
    assert requests["within"].status == ArrangementStatus.PENDING_APPROVAL


def test_a_collector_gets_403_on_a_decision_and_get_is_refused(client, collector, team_lead, requests):
    client.force_login(collector)
    assert client.post(decide_url(requests["within"]), {"decision": "approve"}).status_code == 403
    client.force_login(team_lead)
    assert client.get(decide_url(requests["within"])).status_code == 405


def test_cancelling_from_the_case(client, collector, outsider, case):
    arrangement = settlement(case, collector, "5000.00")
    url = reverse("collection:arrangement_cancel", args=[arrangement.pk])
    client.force_login(outsider)
    assert client.post(url).status_code == 404
    client.force_login(collector)
    assert client.get(url).status_code == 405
    response = client.post(url, {"note": "Wrong amount"})
    assert response.status_code == 302
    arrangement.refresh_from_db()
    assert (arrangement.status, arrangement.decision_note) == (ArrangementStatus.CANCELLED, "Wrong amount")
