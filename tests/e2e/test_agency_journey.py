"""
An agency agent's loop (issue 13): log in, land on the agency's queue of
placed cases, open one, log a call in which the borrower promises, record the
promise, and see both on the timeline — with the national id masked and the
details the agency's contract withholds nowhere on the page.
"""

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from collection.models import ContactAttempt, PromiseToPay
from lending.masking import mask_national_id
from tests.collection.agencies.factories import AgencyContractFactory, AgencyFactory, agency_user, placed_case
from tests.collection.agencies.portal_cast import Secrets, distinctive_case, leaked
from tests.collection.factories import case_in_arrears
from tests.e2e.conftest import log_in
from tests.factories import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_an_agency_agent_logs_a_call_with_a_promise_on_a_placed_case(page, shanghai_morning):
    contract = AgencyContractFactory(agency=AgencyFactory(name="Alpha Collections"), visible_fields=["phone"])
    agent = agency_user(contract.agency, username="agent_a")
    case = placed_case(contract=contract, case=distinctive_case(days_past_due=45)).case
    other = placed_case(contract=AgencyContractFactory(), case=case_in_arrears(days_past_due=50)).case

    log_in(page, agent.username, PASSWORD)
    expect(page.get_by_role("heading", level=1)).to_contain_text("Agency queue")
    results = page.locator("#results")
    expect(results).to_contain_text(case.number)
    expect(results).not_to_contain_text(other.number)

    results.get_by_role("link", name=case.number).click()
    expect(page.get_by_role("heading", level=1)).to_contain_text(case.number)
    national_id = page.get_by_test_id("national-id")
    expect(national_id).to_have_text(mask_national_id(Secrets.NATIONAL_ID))
    expect(national_id.get_by_role("button", name="Reveal")).to_have_count(0)

    page.keyboard.press("c")  # log a call
    page.get_by_label("Who answered").select_option("borrower")
    page.get_by_label("Outcome").select_option("promised")
    page.get_by_label("Outcome").press("Enter")
    promise_form = page.locator("#form-promise")
    expect(promise_form).to_be_visible()
    promise_form.get_by_label("Amount", exact=True).fill("800")
    promise_form.get_by_label("By", exact=True).fill(timezone.localdate().isoformat())
    promise_form.get_by_label("By", exact=True).press("Enter")

    expect(page.locator("#case-flash")).to_contain_text("Promise recorded")
    timeline = page.locator("#case-timeline")
    expect(timeline).to_contain_text("Promise to pay")
    expect(timeline).to_contain_text("Promised to pay")  # the call's outcome
    contact = ContactAttempt.objects.get(case=case)
    assert contact.actor == agent and contact.outcome == "promised"
    assert PromiseToPay.objects.get(case=case).contact == contact

    assert leaked(page.content()) == []
    expect(national_id).to_have_text(mask_national_id(Secrets.NATIONAL_ID))
