"""A manager's portfolios page, the stricter-only limits service, and collection in the admin."""

import datetime

import pytest
from django.urls import reverse

from accounts.models import AuditEvent
from accounts.roles import Role
from collection import compliance
from collection.errors import CollectionError
from collection.models import Portfolio
from collection.services.portfolios import portfolio_limits_set
from tests.collection.factories import CaseFactory, ContactAttemptFactory, HoldFactory, PortfolioFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def china():
    return PortfolioFactory()


@pytest.fixture
def us():
    return PortfolioFactory(code="us-cards", name="US cards", jurisdiction="us", is_default=False)


def limits_url(portfolio):
    return reverse("collection:portfolio_limits_edit", args=[portfolio.pk])


def post_limits(client, portfolio, **values):
    data = {field: "" for field in ("earliest_contact", "latest_contact")}
    data.update({"max_connected_calls_per_day": "", "max_call_attempts_per_7_days": ""})
    data.update({key: str(value) for key, value in values.items()})
    return client.post(limits_url(portfolio), data)


# --- The list --------------------------------------------------------------------------------------------


def test_the_list_shows_each_portfolio_with_its_jurisdiction_and_limits_in_force(
    client, manager, china, us, django_assert_max_num_queries
):
    us.latest_contact = datetime.time(20, 0)
    us.max_connected_calls_per_day = 2
    us.save()
    client.force_login(manager)
    with django_assert_max_num_queries(4):  # session, user, portfolios (with their product count)
        response = client.get(reverse("collection:portfolio_list"))
    assert response.status_code == 200
    text = response.text
    assert "China (NIFA collection convention)" in text
    assert "United States (FDCPA / Regulation F)" in text
    assert "08:00–22:00" in text
    assert "08:00–20:00" in text
    assert "stricter" in text
    assert "No call within 7 days after a telephone conversation." in text
    assert "Every field visit recorded on audio or video." in text
    assert limits_url(us) in text


def test_the_list_shows_the_stricter_value_even_if_a_looser_one_is_stored(client, manager, china):
    Portfolio.objects.filter(pk=china.pk).update(latest_contact=datetime.time(23, 0), max_connected_calls_per_day=9)
    client.force_login(manager)
    response = client.get(reverse("collection:portfolio_list"))
    assert "08:00–22:00" in response.text
    assert "23:00" not in response.text


def test_the_list_takes_get_only(client, manager):
    client.force_login(manager)
    assert client.post(reverse("collection:portfolio_list")).status_code == 405


# --- Tightening the limits ------------------------------------------------------------------------------------


def test_the_form_shows_the_current_limits_and_the_profiles(client, manager, us):
    us.max_call_attempts_per_7_days = 5
    us.save()
    client.force_login(manager)
    response = client.get(limits_url(us))
    assert response.status_code == 200
    assert 'name="max_call_attempts_per_7_days"' in response.text
    assert 'value="5"' in response.text
    assert "Empty: the profile&#x27;s (21:00)" in response.text
    assert "jurisdiction: 7" in response.text


def test_a_manager_tightens_the_limits_audited(client, manager, china):
    client.force_login(manager)
    response = post_limits(
        client, china, earliest_contact="09:00", latest_contact="20:30", max_connected_calls_per_day=2
    )
    assert response.status_code == 302
    assert response["Location"] == reverse("collection:portfolio_list")
    china.refresh_from_db()
    assert (china.earliest_contact, china.latest_contact) == (datetime.time(9, 0), datetime.time(20, 30))
    assert china.max_connected_calls_per_day == 2
    assert china.max_call_attempts_per_7_days is None
    event = AuditEvent.objects.get(action="collection.portfolio.limits_changed")
    assert event.actor == manager
    assert event.target_id == str(china.pk)
    assert event.data["before"]["earliest_contact"] is None
    assert event.data["after"] == {
        "earliest_contact": "09:00",
        "latest_contact": "20:30",
        "max_connected_calls_per_day": 2,
        "max_call_attempts_per_7_days": None,
    }
    followed = client.get(response["Location"])
    assert "The contact limits of Default portfolio were saved." in followed.text
    assert "09:00–20:30" in followed.text


@pytest.mark.parametrize(
    ("values", "message"),
    [
        ({"earliest_contact": "07:00"}, "allows contact from 08:00: a portfolio may start later, never earlier."),
        ({"latest_contact": "22:30"}, "allows contact until 22:00: a portfolio may stop earlier, never later."),
        ({"max_connected_calls_per_day": 4}, "allows at most 3 connected calls a day"),
        ({"max_connected_calls_per_day": 0}, "Use at least 1"),
        ({"earliest_contact": "15:00", "latest_contact": "14:00"}, "The earliest contact time must come before"),
    ],
)
def test_looser_limits_are_refused_with_the_reason_and_nothing_is_stored(client, manager, china, values, message):
    client.force_login(manager)
    response = post_limits(client, china, **values)
    assert response.status_code == 200
    assert message in response.text.replace("&#x27;", "'")
    china.refresh_from_db()
    assert (china.earliest_contact, china.latest_contact, china.max_connected_calls_per_day) == (None, None, None)
    assert not AuditEvent.objects.filter(action="collection.portfolio.limits_changed").exists()


def test_us_refuses_more_than_7_call_attempts(client, manager, us):
    client.force_login(manager)
    response = post_limits(client, us, max_call_attempts_per_7_days=8)
    assert "allows at most 7 call attempts in 7 days" in response.text
    us.refresh_from_db()
    assert us.max_call_attempts_per_7_days is None


def test_emptying_a_limit_returns_to_the_profiles(client, manager, china):
    portfolio_limits_set(portfolio=china, earliest_contact=datetime.time(9, 0), actor=manager)
    client.force_login(manager)
    assert post_limits(client, china).status_code == 302
    china.refresh_from_db()
    assert china.earliest_contact is None
    assert compliance.profile_for(china).earliest_contact == datetime.time(8, 0)


def test_the_form_takes_get_and_post_only(client, manager, china):
    client.force_login(manager)
    assert client.put(limits_url(china)).status_code == 405
    assert client.delete(limits_url(china)).status_code == 405


def test_an_unknown_portfolio_is_404(client, manager):
    client.force_login(manager)
    assert client.get(reverse("collection:portfolio_limits_edit", args=[999999])).status_code == 404


@pytest.mark.parametrize(
    "role", [Role.COLLECTOR, Role.TEAM_LEAD, Role.FIELD_AGENT, Role.LEGAL_OFFICER, Role.AGENCY_AGENT]
)
def test_roles_without_configure_collection_get_403(client, user_of_role, china, role):
    client.force_login(user_of_role(role))
    assert client.get(reverse("collection:portfolio_list")).status_code == 403
    assert client.get(limits_url(china)).status_code == 403
    assert post_limits(client, china, max_connected_calls_per_day=1).status_code == 403
    china.refresh_from_db()
    assert china.max_connected_calls_per_day is None


def test_an_administrator_may_configure_too(client, admin_user, china):
    client.force_login(admin_user)
    assert client.get(reverse("collection:portfolio_list")).status_code == 200


def test_a_visitor_is_sent_to_log_in(client, china):
    response = client.get(limits_url(china))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:login"))


# --- The service ----------------------------------------------------------------------------------------------


def test_the_service_refuses_a_looser_value_naming_the_field(manager, china):
    with pytest.raises(CollectionError) as raised:
        portfolio_limits_set(portfolio=china, latest_contact=datetime.time(23, 0), actor=manager)
    assert raised.value.field == "latest_contact"
    assert "never later" in str(raised.value)
    china.refresh_from_db()
    assert china.latest_contact is None
    assert AuditEvent.objects.count() == 0


def test_setting_the_same_limits_twice_changes_and_audits_once(manager, china):
    for _ in range(2):
        portfolio_limits_set(portfolio=china, max_connected_calls_per_day=2, actor=manager)
    assert AuditEvent.objects.filter(action="collection.portfolio.limits_changed").count() == 1
    china.refresh_from_db()
    assert china.max_connected_calls_per_day == 2


# --- The admin --------------------------------------------------------------------------------------------------


def test_the_admin_lists_every_collection_model(client, admin_user):
    case = CaseFactory()
    HoldFactory(case=case)
    ContactAttemptFactory(case=case)
    client.force_login(admin_user)
    for model in (
        "portfolio",
        "case",
        "hold",
        "contactattempt",
        "promisetopay",
        "arrangement",
        "fieldvisit",
        "caseevent",
        "teamworkrule",
        "collectorcapacity",
    ):
        response = client.get(reverse(f"admin:collection_{model}_changelist"))
        assert response.status_code == 200, model
    assert client.get(reverse("admin:collection_case_change", args=[case.pk])).status_code == 200


def test_the_admin_finds_a_case_by_its_number(client, admin_user):
    case, other = CaseFactory(), CaseFactory()
    client.force_login(admin_user)
    response = client.get(reverse("admin:collection_case_changelist"), {"q": case.number})
    assert response.status_code == 200
    assert case.number in response.text
    assert other.number not in response.text


def test_what_happened_on_cases_is_read_only_in_the_admin(client, admin_user):
    case = CaseFactory()
    client.force_login(admin_user)
    assert client.get(reverse("admin:collection_case_add")).status_code == 403
    assert client.get(reverse("admin:collection_contactattempt_add")).status_code == 403
    response = client.post(reverse("admin:collection_case_change", args=[case.pk]), {"status": "closed"})
    assert response.status_code == 403
    case.refresh_from_db()
    assert case.status == "open"


def test_the_admin_holds_portfolio_limits_to_stricter_only(client, admin_user, china):
    client.force_login(admin_user)
    data = {
        "code": china.code,
        "name": china.name,
        "jurisdiction": "cn",
        "is_default": "on",
        "earliest_contact": "",
        "latest_contact": "23:00",
        "max_connected_calls_per_day": "",
        "max_call_attempts_per_7_days": "",
    }
    response = client.post(reverse("admin:collection_portfolio_change", args=[china.pk]), data)
    assert response.status_code == 200
    assert "never later" in response.text
    china.refresh_from_db()
    assert china.latest_contact is None
    data["latest_contact"] = "21:00"
    response = client.post(reverse("admin:collection_portfolio_change", args=[china.pk]), data)
    assert response.status_code == 302
    china.refresh_from_db()
    assert china.latest_contact == datetime.time(21, 0)
    assert AuditEvent.objects.filter(action="collection.portfolio.changed", target_id=str(china.pk)).exists()
