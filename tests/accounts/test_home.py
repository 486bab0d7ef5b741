"""Each role lands on its own home page and sees only the navigation it may use."""

import pytest
from django.urls import reverse

from accounts.roles import Role

pytestmark = pytest.mark.django_db

# What each role's navigation shows; the keys are the data-nav attributes.
TEAM_LEAD_NAVIGATION = {
    "home",
    "borrowers",
    "my_queue",
    "team_queue",
    "unassigned",
    "approvals",
    "visit_requests",
    "inbound_report",
}
EXPECTED_NAVIGATION = {
    Role.COLLECTOR: {"home", "borrowers", "my_queue", "team_queue"},
    Role.FIELD_AGENT: {"home", "borrowers", "visits"},
    Role.TEAM_LEAD: TEAM_LEAD_NAVIGATION,
    Role.LEGAL_OFFICER: {"home", "borrowers", "legal", "letter_templates"},
    Role.MANAGER: TEAM_LEAD_NAVIGATION | {"audit", "portfolios", "refusal_report", "legal", "letter_templates"},
    Role.AGENCY_AGENT: {"home", "agency_queue", "visits"},
    Role.ADMIN: {"home", "borrowers", "imports", "audit", "admin", "portfolios", "refusal_report"},
}
# The automation's pages (issue 12) share one entry, "Automation", which lists them.
EXPECTED_NAVIGATION[Role.MANAGER] |= {"automation"}
EXPECTED_NAVIGATION[Role.ADMIN] |= {"automation"}
AUTOMATION_PAGES = {
    Role.MANAGER: {
        "message_templates",
        "reminders",
        "segments",
        "strategies",
        "experiments",
        "nightly_runs",
        "core_deliveries",
    },
    Role.ADMIN: {"nightly_runs"},
}
# The agencies' pages (issue 13) share one entry, "Agencies", which lists them: at least part B's, plus those
# the other parts register (placements, statements, files).
EXPECTED_NAVIGATION[Role.MANAGER] |= {"agencies"}
AGENCIES_PAGES = {Role.MANAGER: {"agency_list", "agency_performance"}}

INTRO_WORDS = {
    Role.COLLECTOR: "You work overdue cases",
    Role.FIELD_AGENT: "You visit borrowers",
    Role.TEAM_LEAD: "You balance your teams",
    Role.LEGAL_OFFICER: "litigation files",
    Role.MANAGER: "You configure segments and strategies",
    Role.AGENCY_AGENT: "placed with your agency",
    Role.ADMIN: "You manage staff users",
}


def navigation_keys(html: str) -> set[str]:
    import re

    return set(re.findall(r'data-nav="([^"]+)"', html))


@pytest.mark.parametrize("role", list(Role))
def test_each_role_lands_on_its_home_with_its_navigation(client, user_of_role, role, django_assert_max_num_queries):
    client.force_login(user_of_role(role))
    with django_assert_max_num_queries(10):
        response = client.get(reverse("accounts:home"), {"overview": "1"})
    assert response.status_code == 200
    assert f'data-role="{role}"' in response.text
    assert INTRO_WORDS[role] in response.text
    assert navigation_keys(response.text) == EXPECTED_NAVIGATION[role]


@pytest.mark.parametrize("role", list(Role))
def test_the_automation_entry_lists_the_pages_each_role_may_use(client, user_of_role, role):
    from accounts.navigation import nav_group_items_for

    user = user_of_role(role)
    client.force_login(user)
    response = client.get(reverse("collection:automation"))
    pages = AUTOMATION_PAGES.get(role, set())
    if not pages:
        assert response.status_code == 403
        return
    assert response.status_code == 200
    links = {item["key"]: item["url"] for item in nav_group_items_for(user, "automation")}
    assert set(links) == pages
    for url in links.values():
        assert f'href="{url}"' in response.text
        assert client.get(url).status_code == 200  # every page it lists opens for this role
    assert '<a href="/automation/" data-nav="automation" aria-current="page">' in response.text


@pytest.mark.parametrize("role", list(Role))
def test_the_agencies_entry_lists_the_pages_each_role_may_use(client, user_of_role, role):
    from accounts.navigation import nav_group_items_for

    user = user_of_role(role)
    client.force_login(user)
    response = client.get(reverse("collection:agencies_hub"))
    pages = AGENCIES_PAGES.get(role, set())
    if not pages:
        assert response.status_code == 403
        return
    assert response.status_code == 200
    links = {item["key"]: item["url"] for item in nav_group_items_for(user, "agencies")}
    assert set(links) >= pages
    for url in links.values():
        assert f'href="{url}"' in response.text
        assert client.get(url).status_code == 200  # every page it lists opens for this role
    assert '<a href="/agencies/" data-nav="agencies" aria-current="page">' in response.text


@pytest.mark.parametrize(
    ("role", "landing"),
    [
        (Role.COLLECTOR, "collection:my_queue"),
        (Role.FIELD_AGENT, "collection:visit_day"),
        (Role.AGENCY_AGENT, "collection:agency_queue"),
    ],
)
def test_collectors_and_field_agents_land_on_their_work(client, user_of_role, role, landing):
    client.force_login(user_of_role(role))
    response = client.get(reverse("accounts:home"))
    assert response.status_code == 302
    assert response["Location"] == reverse(landing)


def test_team_lead_sees_the_teams_they_lead_and_not_others(client, team_lead, collector, outsider):
    client.force_login(team_lead)
    response = client.get(reverse("accounts:home"))
    assert "Early A" in response.text
    assert str(collector) in response.text
    assert "Early B" not in response.text
    assert str(outsider) not in response.text


def test_manager_sees_latest_staff_activity(client, manager, collector):
    client.post(reverse("accounts:login"), {"username": "collector", "password": "wrong"})
    client.force_login(manager)
    response = client.get(reverse("accounts:home"))
    assert "Latest staff activity" in response.text
    assert "Failed login as “collector”" in response.text  # a sentence, not the code accounts.login_failed


def test_collector_sees_only_their_own_actions(client, collector, manager):
    from accounts.services import audit_record

    audit_record(action="accounts.test.manager_did", actor=manager)
    audit_record(action="accounts.test.collector_did", actor=collector)
    client.force_login(collector)
    response = client.get(reverse("accounts:home"), {"overview": "1"})
    assert "accounts.test.collector_did" in response.text
    assert "accounts.test.manager_did" not in response.text


def test_admin_sees_staff_counts_by_role(client, admin_user, collector, outsider):
    client.force_login(admin_user)
    response = client.get(reverse("accounts:home"))
    assert ("Collector", 2) in response.context["staff_by_role"]
    assert reverse("admin:accounts_user_changelist") in response.text
