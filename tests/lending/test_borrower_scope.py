"""
Borrower and account pages are no side door: a case-working role opens a
borrower only through a case it may see, sees personal data masked as on the
case page, and reveals it with the same audited click; roles that see it whole
leave an audit event.
"""

import datetime

import pytest
from django.urls import reverse

from accounts.models import AuditEvent
from accounts.roles import Role
from collection.models import FieldVisit, Stage
from tests.collection.factories import CaseFactory
from tests.lending.factories import BorrowerFactory, ContactPointFactory, account_with_schedule

pytestmark = pytest.mark.django_db

NATIONAL_ID = "110101199003071234"
PHONE = "13800001111"
EMAIL = "wang.xiaoming@example.cn"


@pytest.fixture
def case(team_a):
    borrower = BorrowerFactory(name="王小明", national_id=NATIONAL_ID)
    ContactPointFactory(borrower=borrower, value=PHONE, consent_sms=True)
    ContactPointFactory(borrower=borrower, kind="email", value=EMAIL, is_primary=False)
    account_with_schedule(borrower=borrower, external_id="ACC-9", months=3)
    return CaseFactory(borrower=borrower, team=team_a)


def _pages(case):
    account = case.borrower.accounts.get()
    return [
        reverse("lending:borrower_detail", args=[case.borrower_id]),
        reverse("lending:account_detail", args=[account.pk]),
    ]


def test_a_collector_of_another_team_gets_404_on_the_borrower_and_account(client, outsider, case):
    client.force_login(outsider)
    for url in _pages(case):
        assert client.get(url).status_code == 404
    listed = client.get(reverse("lending:borrower_list"), {"q": "ACC-9"})
    assert "王小明" not in listed.text


def test_a_field_agent_sees_a_borrower_only_through_a_visit(client, field_agent, case):
    client.force_login(field_agent)
    for url in _pages(case):
        assert client.get(url).status_code == 404
    FieldVisit.objects.create(
        case=case,
        address="北京市东城区",
        reason="unreachable",
        requested_at=datetime.datetime(2026, 3, 2, tzinfo=datetime.UTC),
        agent=field_agent,
    )
    for url in _pages(case):
        assert client.get(url).status_code == 200


def test_a_team_lead_sees_their_teams_borrowers_masked(client, team_lead, case):
    client.force_login(team_lead)
    response = client.get(_pages(case)[0])
    assert response.status_code == 200
    assert NATIONAL_ID not in response.text
    assert PHONE not in response.text and EMAIL not in response.text
    assert "138****1111" in response.text


def test_the_same_audited_reveal_as_on_the_case_page(client, collector, case):
    client.force_login(collector)
    response = client.post(
        reverse("lending:borrower_reveal", args=[case.borrower_id]),
        {"field": "national_id"},
        headers={"HX-Request": "true"},
    )
    assert response.status_code == 200
    assert NATIONAL_ID in response.text
    event = AuditEvent.objects.get(action="lending.borrower.revealed")
    assert event.actor == collector
    assert event.data["field"] == "national_id"
    assert NATIONAL_ID not in str(event.data)  # the trail keeps who looked, never the value


def test_a_reveal_of_another_teams_borrower_is_a_404_and_not_audited(client, outsider, case):
    client.force_login(outsider)
    response = client.post(reverse("lending:borrower_reveal", args=[case.borrower_id]), {"field": "national_id"})
    assert response.status_code == 404
    assert not AuditEvent.objects.filter(action="lending.borrower.revealed").exists()


def test_a_collector_cannot_confirm_a_guessed_national_id_or_phone(client, collector, case):
    client.force_login(collector)
    for guess in (NATIONAL_ID, PHONE, EMAIL):
        response = client.get(reverse("lending:borrower_list"), {"q": guess})
        assert list(response.context["table"].paginated_rows) == []


@pytest.mark.parametrize("role", [Role.LEGAL_OFFICER, Role.ADMIN])
def test_roles_that_see_everything_whole_leave_an_audit_event(client, user_of_role, case, role):
    # A legal officer sees the borrowers of legal-stage cases (whole); an administrator every borrower.
    case.stage = Stage.LEGAL
    case.save(update_fields=["stage"])
    user = user_of_role(role)
    client.force_login(user)
    response = client.get(_pages(case)[0])
    assert NATIONAL_ID in response.text and PHONE in response.text
    assert AuditEvent.objects.filter(action="lending.borrower.full_viewed", actor=user).count() == 1
    client.get(reverse("lending:borrower_list"), {"q": NATIONAL_ID})
    search = AuditEvent.objects.get(action="lending.borrower_list.full_viewed", actor=user)
    assert search.data["searched"] is True
    assert search.data["borrower_ids"] == [case.borrower_id]


def test_a_legal_officer_gets_404_on_a_borrower_outside_the_legal_stage(client, legal_officer, case):
    client.force_login(legal_officer)
    for url in _pages(case):
        assert client.get(url).status_code == 404
    response = client.get(reverse("lending:borrower_list"), {"q": NATIONAL_ID})
    assert list(response.context["table"].paginated_rows) == []


def test_an_agency_agent_gets_404_on_the_borrower_and_account(client, agency_agent, case):
    client.force_login(agency_agent)
    for url in _pages(case):
        assert client.get(url).status_code == 404
    reveal = client.post(reverse("lending:borrower_reveal", args=[case.borrower_id]), {"field": "national_id"})
    assert reveal.status_code == 404


@pytest.mark.parametrize("who", ["collector", "team_lead", "field_agent"])
def test_masked_roles_never_receive_a_full_value_without_reveal(client, request, case, who):
    user = request.getfixturevalue(who)
    if who == "field_agent":
        FieldVisit.objects.create(
            case=case,
            address="北京市东城区",
            reason="unreachable",
            requested_at=datetime.datetime(2026, 3, 2, tzinfo=datetime.UTC),
            agent=user,
        )
    client.force_login(user)
    for url in _pages(case):
        body = client.get(url).text
        for value in (NATIONAL_ID, PHONE, EMAIL):
            assert value not in body, (url, value)
