"""
The statements' pages: a manager's list (filters, the generate form), the
detail (lines, totals, Approve), the downloads; an agency supervisor's
read-only access to their own agency's approved statements, and 404 for
anyone else's; 403 for who may not; query counts.
"""

import datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.urls import reverse

from accounts.navigation import nav_group_items_for, nav_items_for
from collection.agencies.statements import statement_approve, statement_generate
from collection.models import CommissionStatement, StatementStatus
from tests.collection.agencies.commission_factories import paid, placed_at
from tests.collection.agencies.factories import AgencyContractFactory, agency_user

pytestmark = pytest.mark.django_db

SHANGHAI = ZoneInfo("Asia/Shanghai")
JANUARY, FEBRUARY, MARCH = datetime.date(2026, 1, 1), datetime.date(2026, 2, 1), datetime.date(2026, 3, 1)


def at(month, day, hour=10):
    return datetime.datetime(2026, month, day, hour, tzinfo=SHANGHAI)


@pytest.fixture(autouse=True)
def mid_march():
    with time_machine.travel(at(3, 16), tick=False):
        yield


@pytest.fixture
def contract():
    return AgencyContractFactory(agency__name="Huaxin Recoveries", agency__code="HX")


@pytest.fixture
def other_contract():
    return AgencyContractFactory(agency__name="Beacon Collections", agency__code="BC")


def with_payments(contract, count=2, month=2):
    placement = placed_at(at(1, 10), contract=contract, days_past_due=90)
    for day in range(1, count + 1):
        paid(placement, "100.00", at(month, day))
    return placement


@pytest.fixture
def february(contract, manager):
    with_payments(contract)
    return statement_generate(agency=contract.agency, month=FEBRUARY, actor=manager)


@pytest.fixture
def approved(february, manager):
    return statement_approve(statement=february, actor=manager)


@pytest.fixture
def supervisor(contract):
    return agency_user(contract.agency, username="hx_lead", supervisor=True)


def detail(statement):
    return reverse("collection:statement_detail", args=[statement.pk])


# --- The manager's list -------------------------------------------------------------


def test_the_list_shows_every_agencys_statements_and_the_generate_form(client, manager, contract, other_contract):
    with_payments(contract)
    with_payments(other_contract)
    for agency in (contract.agency, other_contract.agency):
        for month in (JANUARY, FEBRUARY):
            statement_generate(agency=agency, month=month, actor=manager)
    client.force_login(manager)

    response = client.get(reverse("collection:statement_list"))

    body = response.content.decode()
    assert response.status_code == 200
    assert body.count("data-statement=") == 4
    assert "S-HX-2026-02" in body and "S-BC-2026-01" in body
    assert 'data-testid="statement-generate"' in body
    assert 'value="2026-02"' in body  # the previous month, proposed


def test_the_list_filters_by_agency_month_and_status(client, manager, contract, other_contract, approved):
    statement_generate(agency=other_contract.agency, month=FEBRUARY, actor=manager)
    statement_generate(agency=contract.agency, month=JANUARY, actor=manager)
    client.force_login(manager)
    url = reverse("collection:statement_list")

    def numbers(**query):
        body = client.get(url, query).content.decode()
        return {number for number in ("S-HX-2026-02", "S-HX-2026-01", "S-BC-2026-02") if number in body}

    assert numbers(agency=contract.agency.pk) == {"S-HX-2026-02", "S-HX-2026-01"}
    assert numbers(month="2026-02") == {"S-HX-2026-02", "S-BC-2026-02"}
    assert numbers(status=StatementStatus.APPROVED) == {"S-HX-2026-02"}


def test_the_list_answers_in_a_few_queries(client, manager, contract, other_contract, django_assert_max_num_queries):
    for agency in (contract.agency, other_contract.agency):
        for month in (datetime.date(2025, month, 1) for month in range(1, 13)):
            statement_approve(statement=statement_generate(agency=agency, month=month, actor=manager), actor=manager)
    client.force_login(manager)

    with django_assert_max_num_queries(12):
        response = client.get(reverse("collection:statement_list"))

    assert response.content.decode().count("data-statement=") == 24


def test_generating_from_the_form_opens_the_draft(client, manager, contract):
    with_payments(contract, count=3)
    client.force_login(manager)

    response = client.post(
        reverse("collection:statement_generate"), {"agency": contract.agency.pk, "month": "2026-02"}, follow=True
    )

    statement = CommissionStatement.objects.get()
    assert response.redirect_chain[-1][0] == detail(statement)
    body = response.content.decode()
    assert "Statement S-HX-2026-02 is ready: 3 lines." in body
    assert body.count('data-kind="payment"') == 3


def test_generating_an_approved_month_again_says_why_not(client, manager, contract, approved):
    client.force_login(manager)

    response = client.post(
        reverse("collection:statement_generate"), {"agency": contract.agency.pk, "month": "2026-02"}, follow=True
    )

    assert "is approved: it can no longer change" in response.content.decode()
    approved.refresh_from_db()
    assert approved.line_count == 2


def test_a_month_that_is_not_a_month_is_refused(client, manager, contract):
    client.force_login(manager)

    response = client.post(
        reverse("collection:statement_generate"), {"agency": contract.agency.pk, "month": "February"}, follow=True
    )

    assert "Enter a month as YYYY-MM." in response.content.decode()
    assert not CommissionStatement.objects.exists()


def test_the_list_is_a_managers(client, team_lead, supervisor):
    url = reverse("collection:statement_list")
    for user in (team_lead, supervisor):
        client.force_login(user)
        assert client.get(url).status_code == 403
    client.logout()
    assert client.get(url).status_code == 302


def test_generating_wants_a_post_and_a_manager(client, manager, team_lead, contract):
    url = reverse("collection:statement_generate")
    client.force_login(manager)
    assert client.get(url).status_code == 405
    client.force_login(team_lead)
    assert client.post(url, {"agency": contract.agency.pk, "month": "2026-02"}).status_code == 403
    assert not CommissionStatement.objects.exists()


# --- The detail --------------------------------------------------------------------------


def test_the_detail_shows_the_lines_the_totals_and_approve(client, manager, february):
    client.force_login(manager)

    body = client.get(detail(february)).content.decode()

    assert body.count('data-kind="payment"') == 2
    assert "200.00 CNY" in body and "20.00 CNY" in body
    assert 'data-testid="statement-approve"' in body
    assert "Generate again" in body


def test_approving_from_the_page(client, manager, february):
    client.force_login(manager)

    response = client.post(reverse("collection:statement_approve", args=[february.pk]), follow=True)

    february.refresh_from_db()
    assert february.status == StatementStatus.APPROVED
    body = response.content.decode()
    assert "is approved." in body
    assert 'data-testid="statement-approve"' not in body and "Generate again" not in body
    assert "approved by" in body


def test_a_month_not_over_has_no_approve_button(client, manager, contract):
    statement = statement_generate(agency=contract.agency, month=MARCH, actor=manager)
    client.force_login(manager)

    body = client.get(detail(statement)).content.decode()

    assert 'data-testid="statement-approve"' not in body
    assert 'data-testid="month-not-over"' in body


def test_approving_wants_a_post_and_a_manager(client, manager, team_lead, supervisor, february):
    url = reverse("collection:statement_approve", args=[february.pk])
    client.force_login(manager)
    assert client.get(url).status_code == 405
    for user in (team_lead, supervisor):
        client.force_login(user)
        assert client.post(url).status_code == 403
    february.refresh_from_db()
    assert february.status == StatementStatus.DRAFT


def test_the_detail_answers_in_a_few_queries(client, manager, contract, django_assert_max_num_queries):
    with_payments(contract, count=25)
    statement = statement_generate(agency=contract.agency, month=FEBRUARY, actor=manager)
    client.force_login(manager)

    with django_assert_max_num_queries(12):
        response = client.get(detail(statement))

    assert response.content.decode().count('data-kind="payment"') == 25


def test_the_downloads(client, manager, february):
    client.force_login(manager)

    pdf = client.get(reverse("collection:statement_pdf", args=[february.pk]))
    csv = client.get(reverse("collection:statement_csv", args=[february.pk]))

    assert (pdf.status_code, pdf["Content-Type"]) == (200, "application/pdf")
    assert 'filename="S-HX-2026-02.pdf"' in pdf["Content-Disposition"]
    assert pdf.content.startswith(b"%PDF")
    text = b"".join(csv.streaming_content).decode("utf-8-sig")
    assert 'filename="S-HX-2026-02.csv"' in csv["Content-Disposition"]
    assert text.splitlines()[0].startswith("Date,Case,Payment,Channel,Kind,Amount")
    assert text.count(",100.00,") == 2


# --- The agency's supervisor ------------------------------------------------------------


def test_a_supervisor_reads_their_agencys_approved_statement_read_only(client, supervisor, approved):
    client.force_login(supervisor)

    response = client.get(detail(approved))

    body = response.content.decode()
    assert response.status_code == 200
    assert "S-HX-2026-02" in body and "200.00 CNY" in body
    assert 'data-testid="statement-approve"' not in body and "Generate again" not in body
    assert reverse("collection:agency_statement_list") in body
    assert client.get(reverse("collection:statement_pdf", args=[approved.pk])).status_code == 200
    assert client.get(reverse("collection:statement_csv", args=[approved.pk])).status_code == 200


def test_a_supervisor_gets_404_for_a_draft_and_for_another_agencys_statement(
    client, manager, supervisor, february, other_contract
):
    with_payments(other_contract)
    others = statement_approve(
        statement=statement_generate(agency=other_contract.agency, month=FEBRUARY, actor=manager), actor=manager
    )
    client.force_login(supervisor)

    for statement in (february, others):  # their own draft; the other agency's approved one
        for name in ("collection:statement_detail", "collection:statement_pdf", "collection:statement_csv"):
            assert client.get(reverse(name, args=[statement.pk])).status_code == 404
    assert client.get(reverse("collection:statement_detail", args=[99999])).status_code == 404


def test_an_agent_who_is_not_a_supervisor_and_a_collector_get_403(client, contract, approved, collector):
    agent = agency_user(contract.agency, username="hx_agent")
    for user in (agent, collector):
        client.force_login(user)
        assert client.get(detail(approved)).status_code == 403
        assert client.get(reverse("collection:statement_pdf", args=[approved.pk])).status_code == 403
        assert client.get(reverse("collection:agency_statement_list")).status_code == 403


def test_the_supervisors_list_shows_only_their_agencys_approved_statements(
    client, manager, supervisor, contract, other_contract, approved, django_assert_max_num_queries
):
    statement_generate(agency=contract.agency, month=MARCH, actor=manager)  # a draft
    with_payments(other_contract)
    statement_approve(
        statement=statement_generate(agency=other_contract.agency, month=FEBRUARY, actor=manager), actor=manager
    )
    client.force_login(supervisor)

    with django_assert_max_num_queries(10):
        response = client.get(reverse("collection:agency_statement_list"))

    body = response.content.decode()
    assert "Commission statements of Huaxin Recoveries" in body
    assert body.count("data-statement=") == 1
    assert "S-HX-2026-02" in body
    assert "S-HX-2026-03" not in body and "S-BC-2026-02" not in body


def test_the_statements_are_an_entry_of_the_agencies_group_for_managers_only(manager, supervisor):
    from accounts import navigation

    bar = [item["key"] for item in nav_items_for(manager)] + [item["key"] for item in nav_items_for(supervisor)]
    assert "statements" not in bar  # never in the bar itself
    if "agencies" not in navigation._groups:
        pytest.skip("the Agencies group (part B) is not registered yet")
    assert "statements" in [item["key"] for item in nav_group_items_for(manager, "agencies")]
    assert "statements" not in [item["key"] for item in nav_group_items_for(supervisor, "agencies")]


def test_the_portals_tabs_lead_a_supervisor_to_their_statements_and_back(client, contract, supervisor):
    agent = agency_user(contract.agency, username="hx_agent")
    statements = f'href="{reverse("collection:agency_statement_list")}"'
    client.force_login(supervisor)

    for name in ("collection:agency_queue", "collection:agency_team"):
        assert statements in client.get(reverse(name)).content.decode()
    back = client.get(reverse("collection:agency_statement_list")).content.decode()
    assert f'href="{reverse("collection:agency_queue")}"' in back
    assert f'href="{reverse("collection:agency_team")}"' in back

    client.force_login(agent)
    assert statements not in client.get(reverse("collection:agency_queue")).content.decode()
