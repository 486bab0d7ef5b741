"""
The legal journey in the browser: a collector refers a case after its final
notice and sees the checklist pass; a legal officer lands on the legal
workspace, accepts the referral, sends a final notice from the case page,
builds the court bundle of the file and downloads it.
"""

import datetime
from decimal import Decimal

import pikepdf
import pytest
from django.utils import timezone
from playwright.sync_api import expect

from legal.models import Document, FileStatus, LetterKind, LitigationFile
from tests.collection.factories import case_in_arrears
from tests.e2e.conftest import log_in
from tests.factories import PASSWORD
from tests.legal.factories import DocumentFactory, LegalPolicyFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_referral_becomes_a_file_with_a_final_notice_and_a_court_bundle(
    page, collector, legal_officer, eager_celery, shanghai_morning
):
    from legal.letters.defaults import letter_templates_install_defaults

    letter_templates_install_defaults()
    case = case_in_arrears(collector=collector, days_past_due=200)
    case.borrower.time_zone = "Asia/Shanghai"
    case.borrower.language = "en"
    case.borrower.save(update_fields=["time_zone", "language"])
    LegalPolicyFactory(portfolio=case.portfolio, min_referral_balance=Decimal("100.00"))
    twenty_days_ago = timezone.localdate() - datetime.timedelta(days=20)
    DocumentFactory(case=case, kind=LetterKind.FINAL_NOTICE, issued_on=twenty_days_ago)

    # The collector refers the case: every check passes.
    log_in(page, "collector", PASSWORD)
    page.goto(f"/cases/{case.pk}/")
    checklist = page.get_by_test_id("referral-checklist")
    expect(checklist).to_be_visible()
    expect(checklist.locator("li[data-passed=false]")).to_have_count(0)
    page.get_by_test_id("refer-form").get_by_label("Why refer").fill("No payment since the final notice.")
    page.get_by_role("button", name="Refer to legal").click()
    expect(page.get_by_test_id("referral-status")).to_contain_text("Referred")
    page.get_by_role("button", name="Log out").click()

    # The legal officer lands on the workspace and accepts it.
    log_in(page, "legal", PASSWORD)
    expect(page.get_by_role("heading", level=1)).to_contain_text("Legal")
    page.get_by_role("link", name="Referrals").first.click()
    referral = page.locator(f"#file-{LitigationFile.objects.get(case=case).pk}")
    referral.get_by_role("button", name="Accept").click()
    file = LitigationFile.objects.get(case=case)
    assert file.status == FileStatus.ACCEPTED and file.claim_total > 0

    # A final notice from the case page.
    page.goto(f"/cases/{case.pk}/")
    page.get_by_label("Letter").select_option(LetterKind.FINAL_NOTICE)
    page.get_by_role("button", name="Generate").click()
    expect(page.get_by_test_id("letters")).to_contain_text("Final notice before legal action")
    assert Document.objects.filter(case=case, kind=LetterKind.FINAL_NOTICE, issued_on=timezone.localdate()).exists()

    # The court bundle of the file, built and downloaded.
    page.goto(f"/legal/files/{file.pk}/")
    page.get_by_role("button", name="Build bundle").click()
    download_link = page.get_by_role("link", name="Download bundle")
    expect(download_link).to_be_visible(timeout=60_000)
    with page.expect_download() as download_info:
        download_link.click()
    path = download_info.value.path()
    with pikepdf.open(path) as pdf:
        assert len(pdf.pages) >= 5
        with pdf.open_outline() as outline:
            assert len(outline.root) >= 5
