"""
A collector's core loop, from the keyboard: land on the queue, take the next
case, log a call in which the borrower promises, record the promise, see it on
the timeline and find the case again with the queue's "Promise due today" filter.
"""

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from collection.models import ContactAttempt, PromiseToPay
from tests.collection.factories import case_in_arrears
from tests.e2e.conftest import log_in
from tests.factories import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_collector_takes_the_next_case_and_logs_a_promise(page, collector, shanghai_morning):
    case = case_in_arrears(collector=collector, days_past_due=12)
    case.borrower.time_zone = "Asia/Shanghai"
    case.borrower.save(update_fields=["time_zone"])

    log_in(page, "collector", PASSWORD)
    expect(page.get_by_role("heading", level=1)).to_have_text("My queue")
    expect(page.locator("#results")).to_contain_text(case.number)

    with page.expect_navigation():
        page.keyboard.press("n")  # Next case
    page.wait_for_load_state("load")  # the case page's keyboard shortcuts come with its deferred script
    expect(page).to_have_url(f"{page.url.split('/cases/')[0]}/cases/{case.pk}/")
    expect(page.get_by_role("heading", level=1)).to_contain_text(case.number)

    page.keyboard.press("c")  # log a call
    page.get_by_label("Who answered").select_option("borrower")
    page.get_by_label("Outcome").select_option("promised")
    page.get_by_label("Outcome").press("Enter")
    promise_form = page.locator("#form-promise")
    expect(promise_form).to_be_visible()

    promise_form.get_by_label("Amount", exact=True).fill("500")
    promise_form.get_by_label("By", exact=True).fill(timezone.localdate().isoformat())
    promise_form.get_by_label("By", exact=True).press("Enter")
    expect(page.locator("#case-flash")).to_contain_text("Promise recorded")
    expect(page.locator("#case-timeline")).to_contain_text("Promise to pay")
    promise = PromiseToPay.objects.get(case=case)
    assert promise.amount == 500 and promise.contact == ContactAttempt.objects.get(case=case)

    page.get_by_role("link", name="My queue", exact=True).click()
    page.get_by_label("Promise due today").check()
    rows = page.locator("#results tbody tr")
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text(case.number)


def test_a_visit_is_requested_in_a_dialog_over_the_case_page_without_leaving_it(page, collector):
    case = case_in_arrears(collector=collector, days_past_due=40)

    log_in(page, "collector", PASSWORD)
    page.goto(f"/cases/{case.pk}/")
    page.evaluate("window.stillThisPage = true")  # gone if anything reloads the page
    page.keyboard.press("v")  # Request a visit
    dialog = page.locator("#case-dialog")
    expect(dialog).to_be_visible()

    dialog.get_by_role("radio", name="Another address").check()
    dialog.get_by_role("textbox", name="Other address").fill("新地址 1 号")
    dialog.get_by_label("Why visit").fill("Not reachable by phone")
    dialog.get_by_role("button", name="Request the visit").click()
    expect(dialog).to_contain_text("The visit was requested")
    # The page behind it caught up: the visits panel and the timeline show the request.
    # (the address masked like every address on the case page; the visit's field agent sees it whole)
    expect(page.locator("[data-testid=visits]")).to_contain_text("新地址 1 ******")
    expect(page.locator("#case-timeline")).to_contain_text("visit", ignore_case=True)

    dialog.get_by_role("link", name="Back to the case").click()
    expect(dialog).to_be_hidden()
    assert page.evaluate("window.stillThisPage") is True
