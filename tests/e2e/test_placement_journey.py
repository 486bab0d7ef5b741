"""A manager places two cases of the team queue with an agency, checks the batch, and recalls one from its page."""

import os

import pytest
from playwright.sync_api import expect

from accounts.roles import Role
from collection.models import Placement, PlacementStatus, Stage
from tests.collection.agencies.factories import AgencyContractFactory, AgencyFactory
from tests.collection.factories import case_in_arrears
from tests.e2e.conftest import log_in
from tests.factories import PASSWORD, TeamFactory, UserFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
SHOTS = os.environ.get("E2E_SCREENSHOTS", "")


def shot(page, name):
    if SHOTS:
        page.screenshot(path=f"{SHOTS}/{name}.png", full_page=True)


def test_a_manager_places_a_batch_and_recalls_a_case(page):
    from tests.collection.factories import PortfolioFactory

    PortfolioFactory()
    UserFactory(username="manager", role=Role.MANAGER)
    team = TeamFactory(name="Late A")
    collector = UserFactory(username="collector", role=Role.COLLECTOR, team=team)
    cases = [case_in_arrears(collector=collector, days_past_due=days) for days in (40, 50, 60)]
    AgencyContractFactory(agency=AgencyFactory(code="NORTH", name="North Recoveries"))

    log_in(page, "manager", PASSWORD)
    page.goto("/cases/team/")
    for case in cases[:2]:
        page.locator(f'input[name="case"][value="{case.pk}"]').check()
    page.get_by_test_id("place-with-agency").click()
    expect(page.get_by_test_id("placement-count")).to_contain_text("2 cases selected.")

    page.get_by_label("North Recoveries").check()
    page.get_by_role("button", name="Show what goes where").click()
    shares = page.get_by_test_id("placement-shares")
    expect(shares).to_contain_text("North Recoveries")
    expect(shares).to_contain_text("12,150.00 CNY")
    shot(page, "placement-confirm")
    page.get_by_test_id("placement-confirm").click()

    expect(page.get_by_role("heading", level=1)).to_contain_text("Placement batch P-")
    expect(page.get_by_test_id("batch-counts")).to_have_text("2 placed: 2 active, 0 recalled")
    shot(page, "placement-batch")

    page.goto("/cases/team/")
    expect(page.locator("#results tbody tr")).to_have_count(1)  # the placed cases left the lender's queue

    page.goto(f"/cases/{cases[0].pk}/")
    expect(page.get_by_test_id("placement-active")).to_contain_text("Placed with North Recoveries")
    form = page.get_by_test_id("placement-recall-form")
    form.get_by_label("Reason").select_option("complaint")
    form.get_by_label("Note").fill("The borrower complained about the calls")
    shot(page, "placement-case")
    form.get_by_role("button", name="Recall").click()
    expect(page.get_by_test_id("placement-history")).to_contain_text("Complaint")
    expect(page.locator("#case-timeline, [data-testid=timeline]").first).to_contain_text(
        "Recalled from North Recoveries"
    )

    placement = Placement.objects.get(case=cases[0])
    assert (placement.status, placement.recall_reason) == (PlacementStatus.RECALLED, "complaint")
    cases[0].refresh_from_db()
    assert cases[0].stage == Stage.EARLY and cases[0].assigned_to == collector
