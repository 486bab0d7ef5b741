"""The case page: what each role sees, masking and audited reveals, the balance and cap, the timeline, few queries."""

import datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.urls import reverse

from accounts.models import AuditEvent
from accounts.roles import Role
from collection import compliance
from collection.models import (
    Arrangement,
    ArrangementKind,
    ArrangementStatus,
    CaseAccount,
    CaseEvent,
    EventKind,
    FieldVisit,
    HoldKind,
    Stage,
)
from collection.priority import priority_parts
from collection.services.contacts import contact_log, note_add
from lending.models import ContactPoint, Payment, PaymentAllocation
from tests.collection.factories import (
    ContactAttemptFactory,
    HoldFactory,
    PromiseToPayFactory,
    case_in_arrears,
)
from tests.factories import UserFactory
from tests.lending.factories import ContactPointFactory, account_with_schedule

pytestmark = pytest.mark.django_db

SHANGHAI = ZoneInfo("Asia/Shanghai")
# A Monday morning in the borrower's time zone: every contact point may be called.
MORNING = datetime.datetime(2026, 3, 16, 10, 0, tzinfo=SHANGHAI)
NATIONAL_ID = "110101199003071234"
MASKED_NATIONAL_ID = "1101**********1234"
PHONE = "13800001111"
MASKED_PHONE = "138****1111"


@pytest.fixture(autouse=True)
def _morning():
    with time_machine.travel(MORNING, tick=False):
        yield


@pytest.fixture
def case(collector):
    case = case_in_arrears(collector=collector, days_past_due=20)
    borrower = case.borrower
    borrower.national_id = NATIONAL_ID
    borrower.save()
    borrower.contact_points.update(value=PHONE)
    return case


@pytest.fixture
def sister(case):
    return ContactPointFactory(
        borrower=case.borrower,
        value="13900002222",
        owner=ContactPoint.Owner.THIRD_PARTY,
        third_party_name="王大明",
        relation=ContactPoint.Relation.SIBLING,
        is_primary=False,
        consent_sms=False,
    )


def page(client, user, case, **params):
    client.force_login(user)
    return client.get(reverse("collection:case_detail", args=[case.pk]), params)


# --- Who sees what ---------------------------------------------------------------------


def test_the_assigned_collector_sees_the_case_with_id_and_phone_masked(client, collector, case):
    response = page(client, collector, case)
    assert response.status_code == 200
    assert case.number in response.text
    assert MASKED_NATIONAL_ID in response.text and NATIONAL_ID not in response.text
    assert MASKED_PHONE in response.text and PHONE not in response.text
    assert "Reveal" in response.text
    assert 'id="form-contact"' in response.text  # may work the case


def test_the_team_lead_sees_the_team_s_case_and_may_work_it(client, team_lead, case):
    response = page(client, team_lead, case)
    assert response.status_code == 200
    assert MASKED_NATIONAL_ID in response.text
    assert 'id="form-promise"' in response.text


@pytest.mark.parametrize("role", [Role.LEGAL_OFFICER, Role.ADMIN])
def test_legal_officers_and_administrators_see_the_whole_id_but_do_not_work_the_case(client, user_of_role, case, role):
    # A legal officer sees a case only once it is in the legal stage.
    case.stage = Stage.LEGAL
    case.save(update_fields=["stage"])
    response = page(client, user_of_role(role), case)
    assert response.status_code == 200
    assert NATIONAL_ID in response.text
    assert 'id="case-actions"' not in response.text
    # Phones stay masked and they hold no right to reveal them.
    assert MASKED_PHONE in response.text and PHONE not in response.text
    assert "Reveal" not in response.text


def test_a_manager_sees_every_case_and_may_work_it(client, manager, case):
    response = page(client, manager, case)
    assert response.status_code == 200
    assert 'id="case-actions"' in response.text


def test_a_field_agent_sees_only_the_cases_they_visit_and_cannot_work_them(client, field_agent, case):
    assert page(client, field_agent, case).status_code == 404
    FieldVisit.objects.create(
        case=case, address="北京市东城区1号", reason="No answer", requested_at=MORNING, agent=field_agent
    )
    response = page(client, field_agent, case)
    assert response.status_code == 200
    assert 'id="case-actions"' not in response.text
    assert "北京市东城区1号" in response.text


def test_another_team_s_collector_gets_404_by_url(client, outsider, case):
    assert page(client, outsider, case).status_code == 404
    for name in ("case_contact_log", "case_promise_record", "case_note_add", "case_reveal"):
        response = client.post(reverse(f"collection:{name}", args=[case.pk]), {})
        assert response.status_code == 404, name


def test_an_agency_agent_may_not_open_cases(client, agency_agent, case):
    assert page(client, agency_agent, case).status_code == 404  # as for any case out of scope: no id is probed


def test_a_visitor_is_sent_to_log_in(client, case):
    response = client.get(reverse("collection:case_detail", args=[case.pk]))
    assert response.status_code == 302
    assert "/login/" in response["Location"]


def test_the_page_only_answers_get(client, collector, case):
    client.force_login(collector)
    assert client.post(reverse("collection:case_detail", args=[case.pk])).status_code == 405


def test_a_missing_case_is_a_404(client, collector):
    client.force_login(collector)
    assert client.get(reverse("collection:case_detail", args=[999999])).status_code == 404


# --- Reveal ----------------------------------------------------------------------------------


def test_revealing_the_national_id_shows_it_once_and_is_audited(client, collector, case):
    client.force_login(collector)
    response = client.post(
        reverse("collection:case_reveal", args=[case.pk]), {"field": "national_id"}, headers={"HX-Request": "true"}
    )
    assert response.status_code == 200
    assert NATIONAL_ID in response.text
    event = AuditEvent.objects.get(action="collection.contact.revealed")
    assert event.actor == collector
    assert event.target_id == str(case.pk)
    assert event.data == {"field": "national_id", "borrower_id": case.borrower_id}
    assert NATIONAL_ID not in str(event.data)  # who looked, never the value
    # The page itself stays masked.
    assert NATIONAL_ID not in page(client, collector, case).text


def test_revealing_a_phone_is_audited_with_its_contact_point(client, collector, case, sister):
    client.force_login(collector)
    response = client.post(
        reverse("collection:case_reveal", args=[case.pk]),
        {"field": "phone", "contact_point": sister.pk},
        headers={"HX-Request": "true"},
    )
    assert "13900002222" in response.text
    event = AuditEvent.objects.get(action="collection.contact.revealed")
    assert event.data["contact_point_id"] == sister.pk
    assert event.data["third_party"] is True


def test_revealing_without_htmx_shows_the_page_with_the_value(client, collector, case):
    client.force_login(collector)
    point = case.borrower.contact_points.get()
    response = client.post(
        reverse("collection:case_reveal", args=[case.pk]), {"field": "phone", "contact_point": point.pk}
    )
    assert response.status_code == 200
    assert PHONE in response.text
    assert AuditEvent.objects.filter(action="collection.contact.revealed").count() == 1


def test_another_borrower_s_phone_cannot_be_revealed_through_the_case(client, collector, case):
    stranger = ContactPointFactory(value="13700003333")
    client.force_login(collector)
    response = client.post(
        reverse("collection:case_reveal", args=[case.pk]), {"field": "phone", "contact_point": stranger.pk}
    )
    assert response.status_code == 404
    assert not AuditEvent.objects.filter(action="collection.contact.revealed").exists()


def test_only_contact_points_and_national_ids_can_be_revealed(client, collector, case):
    client.force_login(collector)
    response = client.post(
        reverse("collection:case_reveal", args=[case.pk]), {"field": "name"}, headers={"HX-Request": "true"}
    )
    assert "Only a national id or a contact point can be revealed." in response.text
    assert not AuditEvent.objects.filter(action="collection.contact.revealed").exists()


def test_revealing_needs_the_right_to(client, legal_officer, case):
    case.stage = Stage.LEGAL
    case.save(update_fields=["stage"])
    client.force_login(legal_officer)
    response = client.post(reverse("collection:case_reveal", args=[case.pk]), {"field": "national_id"})
    assert response.status_code == 403
    assert not AuditEvent.objects.filter(action="collection.contact.revealed").exists()


def test_revealing_only_answers_post(client, collector, case):
    client.force_login(collector)
    assert client.get(reverse("collection:case_reveal", args=[case.pk])).status_code == 405


# --- Contact points and the guard's live verdicts ----------------------------------------------------


def test_each_contact_point_shows_the_guard_s_live_verdict(client, collector, case, sister):
    points = list(case.borrower.contact_points.all())
    verdicts = compliance.contact_points_verdicts(case=case, contact_points=points)
    response = page(client, collector, case)
    rows = response.context["own_contact_rows"] + response.context["third_party_contact_rows"]
    assert {row.point.pk: row.verdict for row in rows} == verdicts
    for verdict in verdicts.values():
        assert str(verdict.label) in response.text


def test_at_night_the_verdict_says_when_calls_may_start(client, collector, case):
    with time_machine.travel(datetime.datetime(2026, 3, 16, 23, 0, tzinfo=SHANGHAI), tick=False):
        response = page(client, collector, case)
    [row] = response.context["own_contact_rows"]
    assert row.verdict.allowed is False
    assert "08:00" in str(row.verdict.label)
    assert "08:00" in response.text


def test_third_parties_are_kept_apart_and_labelled_locate_only(client, collector, case, sister):
    response = page(client, collector, case)
    assert [row.point for row in response.context["third_party_contact_rows"]] == [sister]
    assert [row.point.value for row in response.context["own_contact_rows"]] == [PHONE]
    assert "locate only" in response.text
    assert "王大明" in response.text
    assert "139****2222" in response.text


# --- The balance, the cap, schedules and payments -----------------------------------------------------


@pytest.fixture
def second_account(case):
    """A second account of the same borrower in the case: its first installment 50 days overdue, partly paid."""
    today = MORNING.date()
    account = account_with_schedule(
        borrower=case.borrower, opened_on=today - datetime.timedelta(days=80), principal=Decimal("500.00")
    )
    first = account.installments.get(number=1)
    first.fee_due = Decimal("30.00")
    first.penalty_accrued = Decimal("12.25")
    first.interest_paid = Decimal("12.50")
    first.save()
    payment = Payment.objects.create(
        external_id="PAY-9",
        account=account,
        amount=Decimal("12.50"),
        received_at=MORNING - datetime.timedelta(days=20),
        channel=Payment.Channel.APP,
    )
    PaymentAllocation.objects.create(payment=payment, installment=first, component="interest", amount=Decimal("12.50"))
    CaseAccount.objects.create(case=case, account=account, joined_on=today - datetime.timedelta(days=40))
    return account


def test_the_balance_shows_each_account_apart_and_the_total(client, collector, case, second_account):
    response = page(client, collector, case)
    panels = response.context["current_panels"]
    assert len(panels) == 2
    second = next(panel for panel in panels if panel.account == second_account)
    first = next(panel for panel in panels if panel.account != second_account)
    # The first account: installment 1 (1,000.00 + 12.50) 20 days overdue; six installments outstanding.
    assert first.overdue.principal == Decimal("1000.00") and first.overdue.interest == Decimal("12.50")
    assert first.outstanding.total == Decimal("6075.00")
    # The second: installments 1 and 2 (50 and 20 days) overdue; interest of the first paid.
    assert second.overdue.principal == Decimal("1000.00")
    assert second.overdue.interest == Decimal("12.50")
    assert second.overdue.fees == Decimal("30.00")
    assert second.overdue.penalty == Decimal("12.25")
    total = response.context["total_overdue"]
    assert total.total == first.overdue.total + second.overdue.total == Decimal("2067.25")
    assert "2,067.25 CNY" in response.text
    assert "#1 Interest 12.50" in response.text  # the payment and what it paid


def test_the_cap_on_charges_and_its_headroom_follow_the_nightly_rule(client, collector, case, second_account):
    response = page(client, collector, case)
    second = next(panel for panel in response.context["current_panels"] if panel.account == second_account)
    row = second.rows[0]
    lent_days = (MORNING.date() - row.installment.lent_on).days  # 80 days
    # principal 500.00 × 24% a year × 80/365 = 26.30; charged 12.50 + 30.00 + 12.25 = 54.75: no headroom.
    assert row.cap == (Decimal("500.00") * Decimal("0.24") * lent_days / 365).quantize(Decimal("0.01"))
    assert row.charges == Decimal("54.75")
    assert row.headroom == Decimal("0.00")
    assert second.cap == sum(r.cap for r in second.rows if not r.installment.paid_off_on)
    # The first account's first installment, lent 51 days ago: 1,000.00 × 24% × 51/365 = 33.53, 12.50 charged.
    first = next(panel for panel in response.context["current_panels"] if panel.account != second_account)
    first_row = first.rows[0]
    assert (MORNING.date() - first_row.installment.lent_on).days == 51
    assert (first_row.cap, first_row.charges, first_row.headroom) == (
        Decimal("33.53"),
        Decimal("12.50"),
        Decimal("21.03"),
    )
    assert "24.00%" in response.text


def test_an_account_that_left_the_case_is_listed_apart_and_not_counted(client, collector, case, second_account):
    CaseAccount.objects.filter(account=second_account).update(left_on=MORNING.date())
    response = page(client, collector, case)
    assert [panel.account for panel in response.context["left_panels"]] == [second_account]
    assert response.context["total_overdue"].total == Decimal("1012.50")
    assert "Left the case" in response.text


def test_the_schedule_is_shown_with_overdue_installments_marked(client, collector, case):
    response = page(client, collector, case)
    [panel] = response.context["current_panels"]
    assert [row.installment.number for row in panel.rows] == [1, 2, 3, 4, 5, 6]
    assert [row.overdue for row in panel.rows] == [True, False, False, False, False, False]
    assert 'data-testid="schedule"' in response.text


# --- Priority, promises, arrangements, visits ---------------------------------------------------------


def test_the_priority_is_shown_as_its_parts(client, collector, case):
    response = page(client, collector, case)
    parts = priority_parts(case, today=MORNING.date())
    assert [part.code for part in response.context["priority_parts"]] == [part.code for part in parts]
    for part in parts:
        assert str(part.label) in response.text


def test_promises_arrangements_and_visits_of_the_case_are_listed(client, collector, case):
    PromiseToPayFactory(case=case, amount=Decimal("321.00"), due_on=MORNING.date() + datetime.timedelta(days=2))
    Arrangement.objects.create(
        case=case,
        kind=ArrangementKind.SETTLEMENT,
        status=ArrangementStatus.PENDING_APPROVAL,
        currency="CNY",
        total_to_pay=Decimal("4500.00"),
        concession=Decimal("1575.00"),
        requested_at=MORNING,
        requested_by=collector,
    )
    FieldVisit.objects.create(case=case, address="北京市朝阳区2号", reason="Skip trace", requested_at=MORNING)
    case.broken_promises = 2
    case.save()
    response = page(client, collector, case)
    assert "2 broken" in response.text
    assert "321.00 CNY" in response.text
    assert "4,500.00 CNY" in response.text and "Settlement" in response.text
    assert "北京市朝阳区******" in response.text and "北京市朝阳区2号" not in response.text  # masked until Reveal


# --- The timeline -------------------------------------------------------------------------------------


def test_the_timeline_is_one_list_newest_first(client, collector, case):
    point = case.borrower.contact_points.get()
    contact_log(
        case=case,
        channel="call",
        contact_point=point,
        answered_by="nobody",
        outcome="no_answer",
        actor=collector,
        at=MORNING - datetime.timedelta(hours=1),
    )
    note_add(case=case, text="Borrower's employer changed.", actor=collector)
    response = page(client, collector, case)
    lines = response.context["timeline"]
    assert [line.event.kind for line in lines] == [EventKind.NOTE, EventKind.CONTACT]
    assert lines[1].text == "Call to Mobile phone: No answer"
    assert "Borrower&#x27;s employer changed." in response.text


def test_timeline_lines_are_rendered_from_their_data_for_the_reader(client, collector, case):
    CaseEvent.objects.create(
        case=case,
        occurred_at=MORNING,
        kind=EventKind.HOLD,
        code="hold_placed",
        summary="stored summary",
        data={"kind": HoldKind.DISPUTE, "action": "placed", "review_on": "2026-03-30"},
    )
    collector.language = "zh-hans"
    collector.save()
    response = page(client, collector, case)
    [line] = response.context["timeline"]
    assert line.text != "stored summary"
    assert "2026年3月30日" in line.text  # the review date, in the reader's (Chinese) date format


def test_lines_the_nightly_run_and_other_services_write_are_rendered_too(client, collector, case):
    lines = [
        (
            EventKind.PROMISE,
            "promise_broken",
            {"status": "broken", "amount": "500.00", "paid": "0.00", "currency": "CNY", "due_on": "2026-03-10"},
        ),
        (
            EventKind.ASSIGNMENT,
            "assigned",
            {"to_user": 7, "to_user_name": "Li Lei", "to_team": 1, "to_team_name": "Early A"},
        ),
        (EventKind.STATUS, "closed", {"from": "open", "to": "closed", "outcome": "cured"}),
        (EventKind.ACCOUNT, "account_joined", {"account": "A-7", "days_past_due": 3}),
    ]
    for minute, (kind, code, data) in enumerate(lines):
        CaseEvent.objects.create(
            case=case, occurred_at=MORNING - datetime.timedelta(minutes=minute), kind=kind, code=code, data=data
        )
    response = page(client, collector, case)
    assert [line.text for line in response.context["timeline"]] == [
        "Promise broken: 500.00 CNY were due 03/10/2026",
        "Assigned to Li Lei (Early A)",
        "Case closed: Cured",
        "Account A-7 joined the case (3 days past due)",
    ]


def test_a_line_whose_data_cannot_be_read_falls_back_to_its_summary(client, collector, case):
    CaseEvent.objects.create(
        case=case,
        occurred_at=MORNING,
        kind=EventKind.CONTACT,
        code="contact_logged",
        summary="Called the borrower",
        data={"channel": "x"},
    )
    CaseEvent.objects.create(
        case=case, occurred_at=MORNING, kind=EventKind.ASSIGNMENT, summary="Assigned to Li", data={"to": 3}
    )
    response = page(client, collector, case)
    assert {line.text for line in response.context["timeline"]} == {"Called the borrower", "Assigned to Li"}


def test_the_timeline_shows_fifty_lines_and_loads_older_ones(client, collector, case):
    for minute in range(60):
        CaseEvent.objects.create(
            case=case,
            occurred_at=MORNING - datetime.timedelta(minutes=minute),
            kind=EventKind.NOTE,
            summary=f"line {minute}",
        )
    response = page(client, collector, case)
    lines = response.context["timeline"]
    assert len(lines) == 50 and response.context["timeline_has_older"]
    assert lines[0].event.summary == "line 0" and lines[-1].event.summary == "line 49"
    older = client.get(
        reverse("collection:case_timeline", args=[case.pk]),
        {"before": lines[-1].event.pk},
        headers={"HX-Request": "true"},
    )
    assert older.status_code == 200
    assert [line.event.summary for line in older.context["timeline"]] == [f"line {n}" for n in range(50, 60)]
    assert not older.context["timeline_has_older"]
    assert "<html" not in older.text  # rows only, appended in place


def test_the_older_timeline_of_an_outsider_s_case_is_a_404(client, outsider, case):
    client.force_login(outsider)
    assert client.get(reverse("collection:case_timeline", args=[case.pk])).status_code == 404


# --- Speed ---------------------------------------------------------------------------------------


def test_the_page_of_a_busy_case_takes_at_most_25_queries(
    client, collector, case, second_account, sister, django_assert_max_num_queries
):
    """Two accounts × six installments, payments, 30 timeline events, contacts, promises and holds."""
    first_account = case.case_accounts.exclude(account=second_account).get().account
    for number, account in enumerate([first_account, second_account]):
        installment = account.installments.get(number=1)
        for index in range(3):
            payment = Payment.objects.create(
                external_id=f"P-{number}-{index}",
                account=account,
                amount=Decimal("1.00"),
                received_at=MORNING - datetime.timedelta(days=index + 1),
                channel=Payment.Channel.APP,
            )
            PaymentAllocation.objects.create(
                payment=payment, installment=installment, component="principal", amount=Decimal("1.00")
            )
    other = UserFactory(username="other", role=Role.COLLECTOR)
    for minute in range(30):
        CaseEvent.objects.create(
            case=case,
            occurred_at=MORNING - datetime.timedelta(minutes=minute),
            kind=EventKind.NOTE,
            summary=f"line {minute}",
            actor=collector if minute % 2 else other,
        )
    for _index in range(5):
        ContactAttemptFactory(case=case, actor=collector, occurred_at=MORNING - datetime.timedelta(hours=3))
    PromiseToPayFactory(case=case, created_by=collector)
    PromiseToPayFactory(case=case, status="broken", created_by=other)
    HoldFactory(case=case, kind=HoldKind.DISPUTE, reason="Goods never arrived", started_by=collector)
    HoldFactory(case=case, kind=HoldKind.COMPLAINT, reason="Complained to the regulator", started_by=other)
    client.force_login(collector)
    with django_assert_max_num_queries(25):
        response = client.get(reverse("collection:case_detail", args=[case.pk]))
    assert response.status_code == 200
    assert len(response.context["timeline"]) == 30
    assert len(response.context["holds"]) == 2
    assert sum(len(panel.payments) for panel in response.context["current_panels"]) == 7


def test_the_arrangement_and_visit_forms_open_in_a_dialog_over_the_page(client, collector, case):
    response = page(client, collector, case)

    text = response.text
    assert 'id="case-dialog"' in text
    for name in ("arrangement_propose", "visit_request"):
        url = reverse(f"collection:{name}", args=[case.pk])
        assert f'hx-get="{url}" hx-target="#case-dialog-body"' in text
    assert reverse("collection:case_panels", args=[case.pk]) in text


def test_a_viewer_who_cannot_work_the_case_gets_no_dialog(client, field_agent, case):
    FieldVisit.objects.create(
        case=case, address="北京市东城区1号", reason="No answer", requested_at=MORNING, agent=field_agent
    )
    response = page(client, field_agent, case)

    assert 'id="case-dialog"' not in response.text


def test_the_panels_come_back_out_of_band_after_a_dialog_changed_the_case(client, collector, case):
    note_add(case=case, text="Borrower moved to Chengdu", actor=collector)
    client.force_login(collector)

    response = client.get(reverse("collection:case_panels", args=[case.pk]), HTTP_HX_REQUEST="true")

    assert response.status_code == 200
    text = response.text
    assert "<html" not in text
    for panel in ("case-header", "case-timeline", "case-balance", "case-deals", "case-promises"):
        assert f'id="{panel}"' in text
    assert text.count('hx-swap-oob="true"') >= 5
    assert "Borrower moved to Chengdu" in text


def test_another_team_s_collector_gets_no_panels(client, outsider, case):
    client.force_login(outsider)
    assert client.get(reverse("collection:case_panels", args=[case.pk])).status_code == 404


def test_an_address_is_revealed_with_the_same_audited_click(client, collector, case):
    address = ContactPointFactory(
        borrower=case.borrower,
        kind=ContactPoint.Kind.HOME_ADDRESS,
        value="北京市东城区和平里街道12号",
        is_primary=False,
    )
    client.force_login(collector)
    assert "北京市东城区和平里街道12号" not in client.get(reverse("collection:case_detail", args=[case.pk])).text
    response = client.post(
        reverse("collection:case_reveal", args=[case.pk]),
        {"field": "phone", "contact_point": address.pk},
        headers={"HX-Request": "true"},
    )
    assert "北京市东城区和平里街道12号" in response.text
    event = AuditEvent.objects.get(action="collection.contact.revealed")
    assert (event.data["kind"], event.data["contact_point_id"]) == ("home_address", address.pk)
