"""A legal officer edits a letter template: the preview follows the typing, shows a problem by line; saving makes v2."""

import pytest
from playwright.sync_api import expect

from accounts.roles import Role
from legal.models import LetterKind, LetterTemplate
from tests.collection.factories import case_in_arrears
from tests.e2e.conftest import log_in
from tests.factories import PASSWORD, UserFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_legal_officer_previews_and_saves_a_new_version(page):
    from legal.letters.defaults import letter_templates_install_defaults

    letter_templates_install_defaults()  # a transactional test starts from an empty database
    UserFactory(username="officer", role=Role.LEGAL_OFFICER)
    case = case_in_arrears(days_past_due=200, stage="legal")
    template = LetterTemplate.objects.get(kind=LetterKind.FINAL_NOTICE, language="en")

    log_in(page, "officer", PASSWORD)
    page.get_by_role("link", name="Letter templates", exact=True).click()
    page.get_by_role("link", name="Final notice before legal action").first.click()
    expect(page.get_by_label("Subject")).to_have_value("Final notice before legal action")

    # The preview of the default case the officer may see, as a PDF in a frame.
    preview = page.get_by_test_id("preview")
    expect(preview.get_by_test_id("preview-case")).to_contain_text(case.number)
    pdf_url = preview.locator("iframe").get_attribute("src")
    assert page.request.get(pdf_url).headers["content-type"] == "application/pdf"

    # Typing a broken line: the preview shows the problem and its line instead of a letter.
    page.get_by_label("Body").fill("<p>Dear {{ borrower.name }}</p>\n<p>{{ borrower.__class__ }}</p>")
    expect(preview.get_by_test_id("preview-problems")).to_contain_text("Line 2")

    page.get_by_label("Body").fill("<p>Dear {{ borrower.name }}, pay {{ amounts.total|money(currency) }}.</p>")
    expect(preview.locator("iframe")).to_have_count(1)
    page.get_by_label("What changed").fill("a shorter text")
    page.get_by_role("button", name="Save as new version").click()

    expect(page.get_by_text("Version 2 of")).to_be_visible()
    expect(page.get_by_test_id("template-versions").locator("tbody tr")).to_have_count(2)
    template.refresh_from_db()
    assert template.current_version.number == 2
    page.get_by_role("link", name="v1").click()
    expect(page.get_by_test_id("version-subject")).to_have_text("Final notice before legal action")
