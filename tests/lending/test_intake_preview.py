"""
The upload's declared encoding and its preview: the first rows as decoded,
with Apply and Cancel, before anything is stored in the portfolio.
"""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from accounts.models import AuditEvent
from accounts.roles import Role
from lending.intake import preview as intake_preview
from lending.intake import reader, services
from lending.models import Borrower, ImportBatch

pytestmark = pytest.mark.django_db

ROWS_CSV = "external_id,name\n" + "".join(f"B{n},张伟{'一二三四五六七八九十百千'[n]}\n" for n in range(12))


def upload(client, raw: bytes, *, encoding="utf-8", name="borrowers.csv"):
    file = SimpleUploadedFile(name, raw, content_type="text/csv")
    return client.post(reverse("lending:import_create"), {"kind": "borrowers", "encoding": encoding, "file": file})


@pytest.fixture
def admin(client, admin_user):
    client.force_login(admin_user)
    return admin_user


def test_the_form_offers_utf8_by_default_and_gb18030(client, admin):
    response = client.get(reverse("lending:import_create"))

    assert response.status_code == 200
    assert '<option value="utf-8" selected>' in response.text
    assert '<option value="gb18030">' in response.text


def test_the_preview_shows_the_first_ten_rows_as_decoded_with_apply_and_cancel(client, admin):
    upload(client, ROWS_CSV.encode())
    batch = ImportBatch.objects.get()

    page = client.get(reverse("lending:import_detail", args=[batch.pk]))

    assert page.status_code == 200
    assert 'data-status="preview"' in page.text
    assert "<th>external_id</th><th>name</th>" in page.text
    assert [row.number for row in page.context["preview"].rows] == list(range(2, 12))
    assert "<td>张伟一</td>" in page.text
    assert "B10" not in page.text  # the 11th row is not shown
    assert reverse("lending:import_confirm", args=[batch.pk]) in page.text
    assert reverse("lending:import_cancel", args=[batch.pk]) in page.text
    assert "hx-trigger" not in page.text  # nothing to poll before it is applied
    assert Borrower.objects.count() == 0


def test_a_gbk_file_declared_gb18030_previews_in_chinese(client, admin):
    upload(client, "external_id,name\nB1,王芳\n".encode("gbk"), encoding="gb18030")
    batch = ImportBatch.objects.get()

    page = client.get(reverse("lending:import_detail", args=[batch.pk]))

    assert batch.encoding == "gb18030"
    assert "<td>王芳</td>" in page.text


def test_a_utf8_file_declared_gb18030_shows_its_garbled_names_before_anything_is_stored(client, admin):
    """The UTF-8 bytes of 张伟 are valid GB18030: only a person looking can tell; the preview shows it."""
    upload(client, "external_id,name\nB1,张伟\n".encode(), encoding="gb18030")
    batch = ImportBatch.objects.get()

    preview = client.get(reverse("lending:import_detail", args=[batch.pk])).context["preview"]

    garbled = "张伟".encode().decode("gb18030")
    assert preview.rows[0].cells[1].value == garbled != "张伟"
    assert Borrower.objects.count() == 0


def test_a_gbk_file_uploaded_as_utf8_is_refused_naming_the_byte_and_row(client, admin):
    head = b"external_id,name\nB1,Li Na\n"
    response = upload(client, head + "B2,王芳\n".encode("gbk"))

    assert response.status_code == 200
    expected = str(reader.FILE_NOT_DECODABLE).format(encoding="UTF-8", offset=len(head) + 3, row=3)
    assert response.context["form"].errors["file"] == [expected]
    assert ImportBatch.objects.count() == 0


def test_a_file_with_a_nul_byte_is_refused_by_the_upload_naming_the_row(client, admin):
    response = upload(client, b"external_id,name\nB1,Li Na\nB2,Li\x00Na\n")

    assert response.status_code == 200
    assert response.context["form"].errors["file"] == [str(reader.FILE_HAS_NUL).format(offset=31, row=3)]
    assert ImportBatch.objects.count() == 0


def test_the_preview_marks_a_mojibake_name(client, admin):
    upload(client, "external_id,name\nB1,JosÃ© Li\nB2,José Li\n".encode())
    batch = ImportBatch.objects.get()

    preview = intake_preview.import_batch_preview(batch)

    assert preview.rows[0].cells[1].problem
    assert preview.rows[1].cells[1].problem == ""


def test_the_preview_names_an_unknown_column(client, admin):
    upload(client, b"external_id,name,nationalid\nB1,Li Na,1\n")
    batch = ImportBatch.objects.get()

    page = client.get(reverse("lending:import_detail", args=[batch.pk]))

    assert "nationalid" in page.context["preview"].problem


def test_apply_once_then_it_is_no_longer_waiting(client, admin, django_capture_on_commit_callbacks):
    upload(client, b"external_id,name\nB1,Li Na\n")
    batch = ImportBatch.objects.get()
    url = reverse("lending:import_confirm", args=[batch.pk])

    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        client.post(url)
        again = client.post(url, follow=True)

    assert len(callbacks) == 1
    assert str(services.BATCH_NOT_WAITING) in again.text
    assert ImportBatch.objects.get().status == ImportBatch.Status.PENDING


def test_cancel_applies_nothing_deletes_the_file_and_is_audited(client, admin, django_capture_on_commit_callbacks):
    upload(client, b"external_id,name\nB1,Li Na\n")
    batch = ImportBatch.objects.get()
    stored, storage = batch.file.name, batch.file.storage

    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        response = client.post(reverse("lending:import_cancel", args=[batch.pk]))

    assert response.status_code == 302
    batch.refresh_from_db()
    assert (batch.status, batch.file.name) == (ImportBatch.Status.CANCELLED, "")
    assert not storage.exists(stored)
    assert len(callbacks) == 1  # the file's deletion, nothing sent to a worker
    assert Borrower.objects.count() == 0
    [event] = AuditEvent.objects.filter(action__startswith="lending.import.")
    assert (event.action, event.target_id) == ("lending.import.cancelled", str(batch.pk))
    # It cannot be applied after all.
    client.post(reverse("lending:import_confirm", args=[batch.pk]))
    batch.refresh_from_db()
    assert batch.status == ImportBatch.Status.CANCELLED
    page = client.get(reverse("lending:import_detail", args=[batch.pk]))
    assert 'data-status="cancelled"' in page.text


def test_apply_and_cancel_take_only_post(client, admin):
    upload(client, b"external_id,name\nB1,Li Na\n")
    batch = ImportBatch.objects.get()
    for name in ("lending:import_confirm", "lending:import_cancel"):
        assert client.get(reverse(name, args=[batch.pk])).status_code == 405
    assert ImportBatch.objects.get().status == ImportBatch.Status.PREVIEW


def test_an_unknown_batch_is_404(client, admin):
    for name in ("lending:import_confirm", "lending:import_cancel"):
        assert client.post(reverse(name, args=[999999])).status_code == 404


@pytest.mark.parametrize("role", [Role.COLLECTOR, Role.MANAGER, Role.AGENCY_AGENT])
def test_other_roles_can_neither_apply_nor_cancel(client, user_of_role, role, admin_user):
    batch = services.import_batch_create(
        kind="borrowers",
        file=SimpleUploadedFile("b.csv", b"external_id,name\nB1,Li Na\n"),
        actor=admin_user,
        confirm_first=True,
    )
    client.force_login(user_of_role(role))
    for name in ("lending:import_confirm", "lending:import_cancel"):
        assert client.post(reverse(name, args=[batch.pk])).status_code == 403
    assert ImportBatch.objects.get().status == ImportBatch.Status.PREVIEW


def test_the_preview_page_query_count_is_fixed(client, admin, django_assert_max_num_queries):
    upload(client, ROWS_CSV.encode())
    batch = ImportBatch.objects.get()
    with django_assert_max_num_queries(5):
        assert client.get(reverse("lending:import_detail", args=[batch.pk])).status_code == 200
