"""Exhibits: checked by content, stored on the evidence storage, served only to who may see the case, reordered."""

import hashlib
import io
import zipfile

import pikepdf
import pytest
from django.core.files.storage import storages
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from PIL import Image

from accounts.models import AuditEvent
from collection.models import CaseEvent
from legal.litigation import evidence as service
from legal.litigation.files import LitigationError
from legal.models import Evidence, FileStatus
from tests.legal.factories import LitigationFileFactory

pytestmark = pytest.mark.django_db


def _pdf(pages=2) -> bytes:
    pdf = pikepdf.new()
    for _ in range(pages):
        pdf.add_blank_page()
    out = io.BytesIO()
    pdf.save(out)
    return out.getvalue()


def _png() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (20, 10), "white").save(out, format="PNG")
    return out.getvalue()


def _exe() -> bytes:
    # The DOS header every Windows executable starts with.
    return b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00" + b"\x00" * 200


def _zip() -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("a.txt", "hello")
    return out.getvalue()


def _upload(content: bytes, name="contract.pdf", content_type="application/pdf"):
    return SimpleUploadedFile(name, content, content_type=content_type)


def _add(file, officer, content=None, name="Signed contract", **kwargs):
    return service.evidence_add(
        file=file,
        kind=kwargs.pop("kind", Evidence.Kind.CONTRACT),
        name=name,
        upload=_upload(_pdf() if content is None else content, **kwargs),
        actor=officer,
        source="Lender's records",
        proves="The loan and its terms",
    )


def test_a_pdf_is_stored_with_its_hash_pages_and_place(legal_officer, settings):
    file = LitigationFileFactory(status=FileStatus.PREPARING)
    content = _pdf(pages=3)
    exhibit = _add(file, legal_officer, content)
    assert (exhibit.content_type, exhibit.extension, exhibit.pages, exhibit.position) == (
        "application/pdf",
        ".pdf",
        3,
        1,
    )
    assert exhibit.sha256 == hashlib.sha256(content).hexdigest()
    assert exhibit.size == len(content)
    # On the evidence storage, outside the web-served media and static trees.
    stored_at = str(exhibit.stored.path)
    assert not stored_at.startswith((str(settings.MEDIA_ROOT), str(settings.STATIC_ROOT)))
    assert exhibit.stored.storage is storages["evidence"] or stored_at.startswith(str(settings.EVIDENCE_ROOT))
    with exhibit.stored.open("rb") as stored:
        assert stored.read() == content
    assert CaseEvent.objects.filter(case=file.case, code="file_evidence_added").count() == 1
    assert AuditEvent.objects.filter(action="legal.evidence.added", actor=legal_officer).count() == 1


def test_an_image_counts_one_page_and_comes_after(legal_officer):
    file = LitigationFileFactory()
    _add(file, legal_officer)
    image = _add(file, legal_officer, _png(), name="ID card", kind="identity", content_type="image/png")
    assert (image.content_type, image.extension, image.pages, image.position) == ("image/png", ".png", 1, 2)


@pytest.mark.parametrize(
    ("content", "says"),
    [
        (_exe(), "application/x-msdownload"),
        (_zip(), "application/zip"),
        (b"<!doctype html><html><script>alert(1)</script></html>", "unknown type"),
        (b"%PDF-1.7\nthis is no pdf at all", "cannot be read"),
        (b"", "empty"),
    ],
)
def test_a_disguised_or_broken_file_is_refused_and_nothing_is_stored(legal_officer, content, says, settings):
    file = LitigationFileFactory()
    with pytest.raises(LitigationError, match=says):
        _add(file, legal_officer, content, name="contract.pdf")
    assert not Evidence.objects.exists()
    assert not CaseEvent.objects.filter(code="file_evidence_added").exists()


def test_a_file_over_the_size_limit_is_refused(legal_officer, settings):
    settings.EVIDENCE_MAX_BYTES = 1000
    with pytest.raises(LitigationError, match="too large"):
        _add(LitigationFileFactory(), legal_officer, _pdf() + b"\n" * 2000)
    assert not Evidence.objects.exists()


def test_exhibits_move_up_down_and_to_a_number(legal_officer):
    file = LitigationFileFactory(status=FileStatus.PREPARING)
    a, b, c = (_add(file, legal_officer, name=name) for name in "ABC")

    def order():
        return list(Evidence.objects.filter(file=file).values_list("name", flat=True))

    service.evidence_move(evidence=c, direction="up", actor=legal_officer)
    assert order() == ["A", "C", "B"]
    service.evidence_move(evidence=a, position=3, actor=legal_officer)
    assert order() == ["C", "B", "A"]
    service.evidence_move(evidence=c, direction="up", actor=legal_officer)  # already first: nothing moves
    assert order() == ["C", "B", "A"]
    assert list(Evidence.objects.filter(file=file).values_list("position", flat=True)) == [1, 2, 3]
    assert AuditEvent.objects.filter(action="legal.evidence.moved").count() == 2


def test_an_exhibit_is_removed_before_filing_and_its_file_deleted(legal_officer, django_capture_on_commit_callbacks):
    file = LitigationFileFactory(status=FileStatus.PREPARING)
    first = _add(file, legal_officer, name="A")
    second = _add(file, legal_officer, _png(), name="B", content_type="image/png")
    storage, name = first.stored.storage, first.stored.name
    with django_capture_on_commit_callbacks(execute=True):
        service.evidence_remove(evidence=first, actor=legal_officer)
    assert not storage.exists(name)
    second.refresh_from_db()
    assert second.position == 1
    assert AuditEvent.objects.filter(action="legal.evidence.removed").get().data["sha256"] == first.sha256


def test_exhibits_are_fixed_once_filed(legal_officer):
    file = LitigationFileFactory(status=FileStatus.PREPARING)
    exhibit = _add(file, legal_officer)
    file.status = FileStatus.FILED
    file.save(update_fields=["status"])
    with pytest.raises(LitigationError, match="filed"):
        service.evidence_remove(evidence=exhibit, actor=legal_officer)
    with pytest.raises(LitigationError, match="filed"):
        service.evidence_move(evidence=exhibit, direction="down", actor=legal_officer)
    assert Evidence.objects.count() == 1


# --- The views ---------------------------------------------------------------------------------------


def test_uploading_from_the_page(client, legal_officer):
    file = LitigationFileFactory()
    client.force_login(legal_officer)
    data = {"kind": "contract", "name": "Credit contract", "source": "Lender", "proves": "The loan",
            "upload": _upload(_pdf())}  # fmt: skip
    response = client.post(reverse("legal:file_evidence", args=[file.pk]), data, follow=True)
    page = response.content.decode()
    assert "The exhibit is added." in page and "Credit contract" in page
    assert Evidence.objects.get().pages == 2


def test_uploading_a_disguised_executable_shows_why(client, legal_officer):
    file = LitigationFileFactory()
    client.force_login(legal_officer)
    data = {"kind": "contract", "name": "Contract", "upload": _upload(_exe(), name="contract.pdf")}
    response = client.post(reverse("legal:file_evidence", args=[file.pk]), data)
    assert response.status_code == 200
    assert "Only PDF, PNG and JPEG files can be exhibits" in response.content.decode()
    assert not Evidence.objects.exists()


def test_upload_refuses_get_collectors_and_outsiders(client, legal_officer, collector):
    file = LitigationFileFactory()
    url = reverse("legal:file_evidence", args=[file.pk])
    client.force_login(legal_officer)
    assert client.get(url).status_code == 405
    client.force_login(collector)
    assert client.post(url, {"kind": "contract", "name": "x", "upload": _upload(_pdf())}).status_code == 403
    file.case.stage = "late"
    file.case.save(update_fields=["stage"])
    client.force_login(legal_officer)
    assert client.post(url, {"kind": "contract", "name": "x", "upload": _upload(_pdf())}).status_code == 404
    assert not Evidence.objects.exists()


def test_the_download_is_an_attachment_never_sniffed(client, legal_officer):
    file = LitigationFileFactory()
    content = _pdf()
    exhibit = _add(file, legal_officer, content)
    client.force_login(legal_officer)
    response = client.get(reverse("legal:evidence_download", args=[file.pk, exhibit.pk]))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"].startswith("attachment;")
    assert response["X-Content-Type-Options"] == "nosniff"
    assert b"".join(response.streaming_content) == content


def test_the_download_is_404_outside_the_case(client, legal_officer, outsider, agency_agent):
    file = LitigationFileFactory()
    exhibit = _add(file, legal_officer)
    url = reverse("legal:evidence_download", args=[file.pk, exhibit.pk])
    client.force_login(outsider)
    assert client.get(url).status_code == 404
    # An agency agent sees only the cases placed with their agency: a legal file is outside their scope.
    client.force_login(agency_agent)
    assert client.get(url).status_code == 404
    client.force_login(legal_officer)
    assert client.post(url).status_code == 405
    other = LitigationFileFactory()
    assert client.get(reverse("legal:evidence_download", args=[other.pk, exhibit.pk])).status_code == 404


def test_moving_and_removing_from_the_page(client, legal_officer, collector):
    file = LitigationFileFactory(status=FileStatus.PREPARING)
    a = _add(file, legal_officer, name="A")
    b = _add(file, legal_officer, name="B")
    client.force_login(legal_officer)
    response = client.post(reverse("legal:evidence_move", args=[file.pk, b.pk]), {"direction": "up"}, follow=True)
    assert "The exhibits are in their new order." in response.content.decode()
    assert list(Evidence.objects.values_list("name", flat=True)) == ["B", "A"]
    response = client.post(reverse("legal:evidence_remove", args=[file.pk, a.pk]), follow=True)
    assert "The exhibit is removed." in response.content.decode()
    assert list(Evidence.objects.values_list("name", flat=True)) == ["B"]
    client.force_login(collector)
    assert client.post(reverse("legal:evidence_remove", args=[file.pk, b.pk])).status_code == 403
    client.force_login(legal_officer)
    assert client.get(reverse("legal:evidence_move", args=[file.pk, b.pk])).status_code == 405
