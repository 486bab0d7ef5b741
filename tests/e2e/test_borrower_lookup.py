"""A collector looks a borrower of their team's case up by account and goes through to the account and its payments."""

import datetime
from decimal import Decimal

import pytest
from playwright.sync_api import expect

from accounts.roles import Role
from lending.services import payment_record
from tests.collection.factories import CaseFactory
from tests.e2e.conftest import log_in
from tests.factories import PASSWORD, TeamFactory, UserFactory
from tests.lending.factories import BorrowerFactory, ContactPointFactory, account_with_schedule

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_collector_finds_a_borrower_and_reads_the_account(page):
    team = TeamFactory(name="Early A")
    UserFactory(username="collector", role=Role.COLLECTOR, team=team)
    borrower = BorrowerFactory(name="王小明", national_id="110101199003071234")
    CaseFactory(borrower=borrower, team=team)  # the collector sees a borrower through a case of their team
    ContactPointFactory(borrower=borrower, value="13800001111")
    BorrowerFactory(name="李四")
    account = account_with_schedule(borrower=borrower, external_id="ACC-7", months=3)
    payment_record(
        account=account,
        external_id="PAY-1",
        amount=Decimal("1012.50"),
        received_at=datetime.datetime(2026, 2, 14, 10, 0, tzinfo=datetime.UTC),
        channel="app",
    )

    log_in(page, "collector", PASSWORD)
    page.get_by_role("link", name="Borrowers").click()
    page.get_by_role("searchbox").fill("ACC-7")  # a full phone number would confirm nothing to a collector
    page.get_by_role("button", name="Find").click()
    expect(page.locator("#results tbody tr")).to_have_count(1)

    page.get_by_role("link", name="王小明").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("王小明")
    expect(page.get_by_test_id("national-id")).to_contain_text("1101**********1234")
    expect(page.get_by_text("13800001111")).to_have_count(0)

    page.get_by_role("link", name="ACC-7").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("ACC-7")
    expect(page.get_by_test_id("schedule").locator("tbody tr")).to_have_count(3)
    expect(page.get_by_test_id("payments")).to_contain_text("1,012.50 CNY")
