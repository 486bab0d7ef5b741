"""
The court bundle: one PDF with a cover, an index whose page numbers are
right, sections 3–6, the demand letters and the exhibits merged, every page
numbered "x of N", bookmarks, a manifest of hashes; built on Celery, shown
and downloaded only by those who work litigation files.
"""

import datetime
import hashlib
import re
import subprocess
from decimal import Decimal
from io import BytesIO

import pikepdf
import pytest
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext

from accounts.models import AuditEvent
from collection.models import AnsweredBy, Channel, ContactAttempt, Outcome
from documents.pdf import pdf_render
from legal.bundles.sections import SECTIONS
from legal.bundles.services import ALREADY_BUILDING, NOT_ALLOWED, BundleError, bundle_build, bundle_request
from legal.bundles.tasks import bundle_build_task
from legal.models import CourtBundle, FileStatus
from lending.models import ContactPoint, Payment, PaymentAllocation
from tests.collection.factories import case_in_arrears
from tests.legal.factories import DocumentFactory, EvidenceFactory, LitigationFileFactory

pytestmark = pytest.mark.django_db

THIRD_PARTY_NAME = "王第三"
THIRD_PARTY_NUMBER = "13912345678"


# --- Helpers --------------------------------------------------------------------------------------


def text_pdf(marker: str, pages: int) -> bytes:
    """A PDF whose every page says which document and page it is: "<marker> page <n>"."""
    body = "".join(
        f'<p style="break-before: page">{marker} page {n}</p>' if n > 1 else f"<p>{marker} page {n}</p>"
        for n in range(1, pages + 1)
    )
    return pdf_render(f"<html><body>{body}</body></html>")


def pdf_pages_text(content: bytes) -> list[str]:
    """The text of each page (pdftotext, one form feed between pages)."""
    result = subprocess.run(["pdftotext", "-layout", "-", "-"], input=content, capture_output=True, check=True)
    pages = result.stdout.decode().split("\f")
    return pages[:-1] if pages and not pages[-1].strip() else pages


def bundle_bytes(bundle: CourtBundle) -> bytes:
    with bundle.pdf.open("rb") as handle:
        return handle.read()


def litigation_file(*, language="en", collector=None, exhibits=(3, 2, 4), letters=(2, 1), contacts=60):
    """
    A file over a legal-stage case with a payment allocated to its first
    installment, `contacts` contact attempts (one answered by a third party),
    demand letters and exhibits of the given page counts (text PDFs that say
    what they are).
    """
    case = case_in_arrears(days_past_due=200, stage="legal", collector=collector)
    borrower = case.borrower
    borrower.language = language
    borrower.save(update_fields=["language"])
    file = LitigationFileFactory(
        case=case,
        court="上海市浦东新区人民法院" if language == "zh-hans" else "Shanghai Pudong People's Court",
        court_case_number="(2026)沪0115民初12345号",
        claim_principal=Decimal("6000.00"),
        claim_interest=Decimal("75.00"),
        claim_penalty=Decimal("120.00"),
        claim_fees=Decimal("50.00"),
        claim_total=Decimal("6245.00"),
        court_fee_estimate=Decimal("50.00"),
        claim_computed_on=datetime.date(2026, 11, 20),
    )
    account = case.case_accounts.get().account
    first = account.installments.order_by("number").first()
    payment = Payment.objects.create(
        external_id="P-BUNDLE-1",
        account=account,
        amount=Decimal("300.00"),
        received_at=timezone.make_aware(datetime.datetime(2026, 6, 1, 10, 0)),
        channel=Payment.Channel.BANK_TRANSFER,
    )
    PaymentAllocation.objects.create(payment=payment, installment=first, component="interest", amount=Decimal("12.50"))
    PaymentAllocation.objects.create(
        payment=payment, installment=first, component="principal", amount=Decimal("287.50")
    )
    third = ContactPoint.objects.create(
        external_id="CP-THIRD",
        borrower=borrower,
        kind=ContactPoint.Kind.MOBILE,
        value=THIRD_PARTY_NUMBER,
        owner=ContactPoint.Owner.THIRD_PARTY,
        third_party_name=THIRD_PARTY_NAME,
        relation=ContactPoint.Relation.SPOUSE,
    )
    start = timezone.make_aware(datetime.datetime(2026, 6, 2, 9, 0))
    for n in range(contacts):
        by_third_party = n == 0
        ContactAttempt.objects.create(
            case=case,
            borrower=borrower,
            contact_point=third if by_third_party else None,
            channel=Channel.CALL,
            answered_by=AnsweredBy.THIRD_PARTY if by_third_party else AnsweredBy.NOBODY,
            outcome=Outcome.THIRD_PARTY_REACHED if by_third_party else Outcome.NO_ANSWER,
            notes=f"{THIRD_PARTY_NAME} {THIRD_PARTY_NUMBER} said to call later" if by_third_party else "",
            occurred_at=start + datetime.timedelta(days=n),
        )
    for number, pages in enumerate(letters, start=1):
        DocumentFactory(
            case=case,
            issued_on=datetime.date(2026, 10, number),
            content=text_pdf(f"LETTER-{number}", pages),
            pages=pages,
            language=language,
        )
    for number, pages in enumerate(exhibits, start=1):
        EvidenceFactory(
            file=file,
            name=f"Exhibit name {number}",
            position=10 * number,
            content=text_pdf(f"EXHIBIT-{number}", pages),
            pages=pages,
        )
    return file


def built(file, legal_officer, language=None) -> CourtBundle:
    bundle = bundle_request(file=file, actor=legal_officer, language=language)
    bundle = bundle_build(bundle=bundle)
    assert bundle.status == CourtBundle.Status.DONE, bundle.error
    return bundle


@pytest.fixture
def english_bundle(legal_officer):
    # Enough contacts for the contact history to run over more than a page.
    file = litigation_file(contacts=200)
    bundle = built(file, legal_officer)
    return file, bundle, bundle_bytes(bundle)


# --- The PDF --------------------------------------------------------------------------------------


def test_the_index_names_the_page_each_section_starts_on(english_bundle):
    _file, bundle, content = english_bundle
    pages = pdf_pages_text(content)
    index = pages[1]
    assert "2. Index" in index
    for number, (key, title) in enumerate(SECTIONS, start=1):
        found = re.search(rf"^\s*{number}\s+{re.escape(str(title))}\s+(\d+)\s*$", index, re.MULTILINE)
        assert found, f"{title} is not in the index"
        page = int(found.group(1))
        assert f"{number}. {title}" in pages[page - 1], f"{title} does not start on page {page}"
        assert f"{number}. {title}" not in pages[page - 2], f"{title} starts before page {page}"
        entry = next(row for row in bundle.manifest if row["key"] == key)
        assert entry["first"] == page
    # The contact history is long enough to take pages of its own: the numbers after it moved.
    contacts = next(row for row in bundle.manifest if row["key"] == "contacts")
    assert contacts["last"] > contacts["first"]


def test_every_page_carries_its_number_of_the_total(english_bundle):
    file, bundle, content = english_bundle
    pages = pdf_pages_text(content)
    total = len(pikepdf.open(BytesIO(content)).pages)
    assert bundle.pages == total == len(pages)
    for number, text in enumerate(pages, start=1):
        assert f"{file.number} · Page {number} of {total}" in text, f"page {number} lacks its number"


def test_bookmarks_point_to_every_section_letter_and_exhibit(english_bundle):
    _file, bundle, content = english_bundle
    pdf = pikepdf.open(BytesIO(content))
    by_key = {row["key"]: row for row in bundle.manifest}

    def page_of(item) -> int:
        return pdf.pages.index(pikepdf.Page(item.destination[0])) + 1

    with pdf.open_outline() as outline:
        top = list(outline.root)
        assert [item.title for item in top] == [f"{n}. {title}" for n, (_key, title) in enumerate(SECTIONS, start=1)]
        for item, (key, _title) in zip(top, SECTIONS, strict=True):
            assert page_of(item) == by_key[key]["first"]
        letters = top[6].children
        assert [item.title for item in letters] == [
            "Letter 1: Final notice before legal action",
            "Letter 2: Final notice before legal action",
        ]
        assert [page_of(item) for item in letters] == [by_key["letter-1"]["first"], by_key["letter-2"]["first"]]
        exhibits = top[7].children
        assert [item.title for item in exhibits] == [f"Exhibit {n}: Exhibit name {n}" for n in (1, 2, 3)]
        assert [page_of(item) for item in exhibits] == [by_key[f"exhibit-{n}"]["cover"] for n in (1, 2, 3)]


def test_the_manifest_holds_each_exhibits_hash_and_pages(english_bundle):
    file, bundle, content = english_bundle
    pages = pdf_pages_text(content)
    evidence = list(file.evidence.order_by("position"))
    exhibits = [row for row in bundle.manifest if row["kind"] == "exhibit"]
    assert [row["sha256"] for row in exhibits] == [item.sha256 for item in evidence]
    for row, item in zip(exhibits, evidence, strict=True):
        with item.stored.open("rb") as handle:
            assert hashlib.sha256(handle.read()).hexdigest() == row["sha256"]
        assert row["last"] - row["first"] + 1 == item.pages
        for offset in range(item.pages):
            assert f"EXHIBIT-{row['number']} page {offset + 1}" in pages[row["first"] - 1 + offset]
        assert f"Exhibit {row['number']}" in pages[row["cover"] - 1]
    letters = [row for row in bundle.manifest if row["kind"] == "letter"]
    assert [row["title"] for row in letters] == ["final_notice", "final_notice"]
    for row in letters:
        assert f"LETTER-{row['number']} page 1" in pages[row["first"] - 1]
    # The manifest page prints each hash, and the evidence list each exhibit's pages.
    manifest_page = "".join(pages[next(r for r in bundle.manifest if r["key"] == "manifest")["first"] - 1 :])
    for row in (*letters, *exhibits):
        assert row["sha256"][:32] in manifest_page.replace("\n", "").replace(" ", "")
    evidence_list = pages[next(r for r in bundle.manifest if r["key"] == "evidence")["first"] - 1]
    assert f"{exhibits[1]['first']}–{exhibits[1]['last']} (2)" in evidence_list


def test_the_sections_state_the_parties_the_claim_the_account_and_contacts_without_third_parties(english_bundle):
    file, _bundle, content = english_bundle
    text = "\n".join(pdf_pages_text(content))
    borrower = file.case.borrower
    assert borrower.name in text
    assert borrower.national_id in text  # whole: the bundle goes to court
    assert "Arrears Demo Consumer Finance Co., Ltd." in text or "The lender" in text
    assert "Shanghai Pudong People's Court" in text
    assert "(2026)沪0115民初12345号" in text
    assert file.number in text and file.case.number in text
    assert "6,245.00 CNY" in text and "120.00 CNY" in text
    assert "P-BUNDLE-1" in text and "287.50" in text
    assert "24.00%" in text  # the legal cap
    assert "Third party reached" in text
    assert THIRD_PARTY_NAME not in text
    assert THIRD_PARTY_NUMBER not in text


def test_a_rebuild_from_unchanged_data_has_the_same_text_and_manifest(english_bundle, legal_officer):
    file, first, content = english_bundle
    second = built(file, legal_officer)
    again = bundle_bytes(second)
    assert pdf_pages_text(again) == pdf_pages_text(content)
    assert second.manifest == first.manifest
    assert second.sha256 == first.sha256 == hashlib.sha256(content).hexdigest()


def test_a_chinese_borrowers_bundle_is_in_chinese_with_the_font_embedded(legal_officer):
    file = litigation_file(language="zh-hans", exhibits=(1,), letters=(1,), contacts=3)
    bundle = built(file, legal_officer)
    assert bundle.language == "zh-hans"
    content = bundle_bytes(bundle)
    text = "\n".join(pdf_pages_text(content))
    assert file.case.borrower.name in text
    assert "上海市浦东新区人民法院" in text
    assert "示范消费金融有限公司" in text or "出借人" in text
    with translation.override("zh-hans"):
        stamp = gettext("%(file)s · Page %(page)s of %(pages)s") % {
            "file": file.number,
            "page": 1,
            "pages": bundle.pages,
        }
    assert stamp in text
    pdf = pikepdf.open(BytesIO(content))
    embedded = set()
    for page in pdf.pages:
        for xobject_font in _fonts(page):
            embedded.add(str(xobject_font.get("/BaseFont", "")))
    assert any("WenQuanYi" in name for name in embedded), embedded


def _fonts(page):
    """The embedded fonts a page draws with, its stamp's (a form XObject) included."""
    found = []
    resources = page.obj.get("/Resources", {})
    for font in resources.get("/Font", {}).values():
        for descendant in font.get("/DescendantFonts", [font]):
            descriptor = descendant.get("/FontDescriptor", {})
            if "/FontFile2" in descriptor or "/FontFile" in descriptor or "/FontFile3" in descriptor:
                found.append(descendant)
    for xobject in resources.get("/XObject", {}).values():
        if xobject.get("/Subtype") == "/Form":
            found.extend(_form_fonts(xobject))
    return found


def _form_fonts(xobject):
    found = []
    for font in xobject.get("/Resources", {}).get("/Font", {}).values():
        for descendant in font.get("/DescendantFonts", [font]):
            if "/FontFile2" in descendant.get("/FontDescriptor", {}):
                found.append(descendant)
    return found


def test_an_image_exhibit_is_merged_as_a_page(legal_officer):
    from PIL import Image

    file = litigation_file(exhibits=(), letters=(), contacts=1)
    image = BytesIO()
    Image.new("RGB", (1200, 1600), "white").save(image, "PNG")
    EvidenceFactory(
        file=file,
        name="Photo of the signed contract",
        content=image.getvalue(),
        content_type="image/png",
        extension=".png",
    )
    bundle = built(file, legal_officer)
    exhibit = next(row for row in bundle.manifest if row["kind"] == "exhibit")
    assert exhibit["first"] == exhibit["last"] == exhibit["cover"] + 1
    pages = pdf_pages_text(bundle_bytes(bundle))
    assert f"Page {exhibit['first']} of {bundle.pages}" in pages[exhibit["first"] - 1]


# --- Failures ------------------------------------------------------------------------------------


def test_an_altered_exhibit_fails_the_build_with_a_code_and_stores_nothing(legal_officer, client):
    file = litigation_file(exhibits=(1, 1), letters=(), contacts=1)
    second = file.evidence.order_by("position")[1]
    with second.stored.open("wb") as handle:
        handle.write(text_pdf("TAMPERED", 1))
    bundle = bundle_build(bundle=bundle_request(file=file, actor=legal_officer))
    assert bundle.status == CourtBundle.Status.FAILED
    assert bundle.error == "altered:exhibit:2"
    assert not bundle.pdf and bundle.pages == 0 and bundle.manifest == []
    client.force_login(legal_officer)
    response = client.get(reverse("legal:bundle_panel", args=[file.pk]))
    assert "Exhibit 2: A stored file no longer matches its SHA-256." in response.content.decode()


def test_an_unreadable_exhibit_fails_the_build(legal_officer):
    file = litigation_file(exhibits=(), letters=(), contacts=1)
    EvidenceFactory(file=file, content=b"MZ\x90\x00 not a pdf at all")
    bundle = bundle_build(bundle=bundle_request(file=file, actor=legal_officer))
    assert (bundle.status, bundle.error) == (CourtBundle.Status.FAILED, "unreadable:exhibit:1")


# --- The services and the task -------------------------------------------------------------------


def test_a_request_queues_a_build_enqueued_on_commit_and_audited(legal_officer, django_capture_on_commit_callbacks):
    file = litigation_file(exhibits=(1,), letters=(), contacts=1)
    with django_capture_on_commit_callbacks() as callbacks:
        bundle = bundle_request(file=file, actor=legal_officer)
    assert len(callbacks) == 1
    assert (bundle.status, bundle.language, bundle.requested_by) == (CourtBundle.Status.QUEUED, "en", legal_officer)
    assert AuditEvent.objects.filter(action="legal.bundle.requested", target_id=str(bundle.pk)).count() == 1
    with pytest.raises(BundleError, match=str(ALREADY_BUILDING)):
        bundle_request(file=file, actor=legal_officer)
    assert CourtBundle.objects.count() == 1


def test_a_build_whose_worker_died_does_not_block_the_next(legal_officer, settings):
    file = litigation_file(exhibits=(), letters=(), contacts=0)
    stuck = bundle_request(file=file, actor=legal_officer)
    long_ago = timezone.now() - datetime.timedelta(seconds=settings.CELERY_TASK_TIME_LIMIT + 60)
    CourtBundle.objects.filter(pk=stuck.pk).update(status=CourtBundle.Status.RUNNING, requested_at=long_ago)
    fresh = bundle_request(file=file, actor=legal_officer)
    stuck.refresh_from_db()
    assert (stuck.status, stuck.error) == (CourtBundle.Status.FAILED, "interrupted")
    assert fresh.status == CourtBundle.Status.QUEUED


def test_only_who_works_litigation_files_may_request_a_bundle(collector):
    file = litigation_file(exhibits=(), letters=(), contacts=0)
    with pytest.raises(BundleError, match=str(NOT_ALLOWED)):
        bundle_request(file=file, actor=collector)
    assert CourtBundle.objects.count() == 0


def test_a_file_legal_has_not_accepted_gets_no_bundle(legal_officer):
    file = LitigationFileFactory(status=FileStatus.REFERRED)
    with pytest.raises(BundleError):
        bundle_request(file=file, actor=legal_officer)
    assert CourtBundle.objects.count() == 0


def test_the_task_builds_once_and_a_second_delivery_changes_nothing(legal_officer):
    file = litigation_file(exhibits=(1,), letters=(1,), contacts=2)
    bundle = bundle_request(file=file, actor=legal_officer)
    assert bundle_build_task(bundle.pk) == CourtBundle.Status.DONE
    bundle.refresh_from_db()
    name, sha = bundle.pdf.name, bundle.sha256
    assert bundle.progress == 100 and bundle.step == "done" and bundle.finished_at is not None
    assert bundle_build_task(bundle.pk) == CourtBundle.Status.DONE
    bundle.refresh_from_db()
    assert (bundle.pdf.name, bundle.sha256) == (name, sha)
    assert AuditEvent.objects.filter(action="legal.bundle.built", target_id=str(bundle.pk)).count() == 1
    assert bundle_build_task(10**6) is None


# --- The pages ------------------------------------------------------------------------------------


def test_the_bundles_page_offers_a_build(client, legal_officer, django_assert_max_num_queries):
    file = litigation_file(exhibits=(1,), letters=(), contacts=0)
    built(file, legal_officer)
    built(file, legal_officer)
    client.force_login(legal_officer)
    with django_assert_max_num_queries(12):
        response = client.get(reverse("legal:bundles", args=[file.pk]))
    assert response.status_code == 200
    body = response.content.decode()
    assert "Build bundle" in body
    assert body.count(reverse("legal:bundle_download", args=[file.bundles.first().pk])) == 1
    assert "every 1s" not in body


def test_building_from_the_page_runs_the_task_on_commit(
    client, legal_officer, eager_celery, django_capture_on_commit_callbacks
):
    file = litigation_file(exhibits=(1,), letters=(1,), contacts=1)
    client.force_login(legal_officer)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("legal:bundle_create", args=[file.pk]), {"language": "en"})
    assert response.status_code == 302
    assert response["Location"] == reverse("legal:bundles", args=[file.pk])
    bundle = file.bundles.get()
    assert bundle.status == CourtBundle.Status.DONE and bundle.pages > 0 and bundle.task_id
    response = client.get(reverse("legal:bundles", args=[file.pk]))
    assert "The bundle is being built" in response.content.decode()


def test_the_panel_polls_while_a_build_runs_and_shows_its_progress(client, legal_officer):
    file = litigation_file(exhibits=(), letters=(), contacts=0)
    bundle = bundle_request(file=file, actor=legal_officer)
    CourtBundle.objects.filter(pk=bundle.pk).update(status=CourtBundle.Status.RUNNING, step="merge", progress=65)
    client.force_login(legal_officer)
    response = client.get(reverse("legal:bundle_panel", args=[file.pk]), HTTP_HX_REQUEST="true")
    body = response.content.decode()
    assert 'hx-trigger="every 1s"' in body
    assert 'value="65"' in body and "Merging the letters and exhibits" in body
    assert "Build bundle" not in body


def test_an_htmx_build_answers_with_the_panel(client, legal_officer, django_capture_on_commit_callbacks):
    file = litigation_file(exhibits=(), letters=(), contacts=0)
    client.force_login(legal_officer)
    with django_capture_on_commit_callbacks() as callbacks:
        response = client.post(
            reverse("legal:bundle_create", args=[file.pk]), {"language": "zh-hans"}, HTTP_HX_REQUEST="true"
        )
    assert response.status_code == 200 and len(callbacks) == 1
    assert 'hx-trigger="every 1s"' in response.content.decode()
    assert file.bundles.get().language == "zh-hans"


def test_the_case_page_section_shows_the_panel_to_the_legal_officer(rf, legal_officer, collector):
    from legal.bundles.case_section import bundle_case_section

    file = litigation_file(exhibits=(), letters=(), contacts=0, collector=collector)
    request = rf.get("/")
    request.user = legal_officer
    assert bundle_case_section(request, file.case) == {"file": file}
    request.user = collector
    assert bundle_case_section(request, file.case) is None


def test_the_download_is_the_pdf_as_an_attachment_and_audited(client, legal_officer, english_bundle):
    file, bundle, content = english_bundle
    client.force_login(legal_officer)
    response = client.get(reverse("legal:bundle_download", args=[bundle.pk]))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"] == f'attachment; filename="{file.number}-bundle-{bundle.pk}.pdf"'
    assert b"".join(response.streaming_content) == content
    assert AuditEvent.objects.filter(action="legal.bundle.downloaded", actor=legal_officer).count() == 1


def test_permissions(client, legal_officer, collector, outsider, manager):
    file = litigation_file(exhibits=(), letters=(), contacts=0, collector=collector)
    bundle = built(file, legal_officer)
    urls = [
        ("get", reverse("legal:bundles", args=[file.pk])),
        ("get", reverse("legal:bundle_panel", args=[file.pk])),
        ("post", reverse("legal:bundle_create", args=[file.pk])),
        ("get", reverse("legal:bundle_download", args=[bundle.pk])),
    ]
    # Not logged in: to the login page.
    for method, url in urls:
        assert getattr(client, method)(url).status_code == 302
    # An outsider (a collector of another team) cannot see the case: 404.
    client.force_login(outsider)
    for method, url in urls:
        assert getattr(client, method)(url).status_code == 404, url
    # The case's own collector sees the case read-only, but does not work litigation files: 403.
    client.force_login(collector)
    for method, url in urls:
        assert getattr(client, method)(url).status_code == 403, url
    assert CourtBundle.objects.count() == 1
    # The wrong method.
    client.force_login(legal_officer)
    assert client.get(reverse("legal:bundle_create", args=[file.pk])).status_code == 405
    assert client.post(reverse("legal:bundle_download", args=[bundle.pk])).status_code == 405
    assert client.post(reverse("legal:bundle_panel", args=[file.pk])).status_code == 405
    # A manager works litigation files too.
    client.force_login(manager)
    assert client.get(reverse("legal:bundle_download", args=[bundle.pk])).status_code == 200
    # A bundle not yet built has nothing to download.
    queued = CourtBundle.objects.create(
        file=file, language="en", requested_by=legal_officer, requested_at=timezone.now()
    )
    assert client.get(reverse("legal:bundle_download", args=[queued.pk])).status_code == 404
    assert client.get(reverse("legal:bundles", args=[10**6])).status_code == 404
