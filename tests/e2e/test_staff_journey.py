"""A manager's first minutes: log in, see the team's activity, audit a colleague, switch to Chinese."""

import pytest
from playwright.sync_api import expect

from accounts.roles import Role
from tests.e2e.conftest import log_in
from tests.factories import PASSWORD, UserFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_manager_logs_in_audits_and_switches_language(page):
    UserFactory(username="manager", first_name="Yang", role=Role.MANAGER)
    UserFactory(username="collector", role=Role.COLLECTOR)

    log_in(page, "collector", "wrong password")
    expect(page.get_by_role("alert")).to_contain_text("Please enter a correct username and password")

    log_in(page, "manager", PASSWORD)
    expect(page.get_by_role("heading", level=1)).to_have_text("Good day, Yang")
    expect(page.locator("[data-nav]")).to_have_text(
        [
            "Home",
            "My queue",
            "Team queue",
            "Unassigned",
            "Approvals",
            "Visit requests",
            "Borrowers",
            "Inbound contacts",
            "Portfolios",
            "Contact refusals",
            "Agencies",
            "Legal",
            "Letter templates",
            "Automation",
            "Audit trail",
        ]
    )

    expect(page.get_by_text("Failed login as “collector”").first).to_be_visible()  # the home page says it
    page.get_by_role("link", name="Audit trail", exact=True).click()
    page.get_by_label("Action").fill("accounts.login_failed")
    page.get_by_label("Action").press("Enter")
    rows = page.locator("#results tbody tr")
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text("Failed login as “collector”")
    rows.first.get_by_text("Details").click()  # the raw facts, one click away
    expect(rows.first.locator("pre")).to_contain_text('"username": "collector"')

    page.get_by_label("Language").select_option("zh-hans")
    expect(page.get_by_role("button", name="退出")).to_be_visible()
    expect(page.get_by_role("heading", level=1)).to_have_text("审计日志")


def test_a_collector_sees_no_audit_trail(page):
    UserFactory(username="collector", role=Role.COLLECTOR)
    log_in(page, "collector", PASSWORD)
    expect(page.locator("[data-nav]")).to_have_text(["Home", "My queue", "Team queue", "Borrowers"])
    page.goto("/audit/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Not allowed")
