"""The intake pages: upload, the preview (apply or cancel), the progress page, the history list, the error report."""

import csv
import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from accounts.roles import Role
from lending.intake import forms as intake_forms
from lending.intake import services
from lending.intake.tasks import import_run_task
from lending.models import Borrower, ImportBatch, ImportRowError

pytestmark = pytest.mark.django_db

GOOD_CSV = "external_id,name,credit_score\nB1,张伟,600\nB2,Li Na,700\n"
BAD_CSV = "external_id,name,credit_score\nB1,张伟,600\nB2,Li Na,seven\n"


def upload(client, content, *, kind="borrowers", quarantine=False, name="borrowers.csv", encoding="utf-8"):
    """Upload text (written as UTF-8) or bytes, declared in `encoding`."""
    raw = content if isinstance(content, bytes) else content.encode()
    data = {"kind": kind, "encoding": encoding, "file": SimpleUploadedFile(name, raw, content_type="text/csv")}
    if quarantine:
        data["quarantine_bad_rows"] = "on"
    return client.post(reverse("lending:import_create"), data)


def apply(client, batch):
    return client.post(reverse("lending:import_confirm", args=[batch.pk]))


def upload_and_apply(client, content, **options):
    upload(client, content, **options)
    batch = ImportBatch.objects.order_by("-pk").first()
    apply(client, batch)
    return batch


def batch_of(content, *, status=ImportBatch.Status.PENDING, user=None, kind="borrowers"):
    return services.import_batch_create(
        kind=kind, file=io.BytesIO(content.encode()), original_name="b.csv", actor=user, enqueue=False
    )


# --- Upload ------------------------------------------------------------------------------


def test_the_upload_form_shows_the_kinds(client, admin_user):
    client.force_login(admin_user)
    response = client.get(reverse("lending:import_create"))
    assert response.status_code == 200
    assert 'value="contact_points"' in response.text
    assert 'name="quarantine_bad_rows"' in response.text
    # An agency's return file comes in through the agency files page, which knows whose it is.
    assert 'value="agency_returns"' not in response.text


def test_an_upload_waits_for_confirmation_and_apply_queues_it_on_commit(
    client, admin_user, django_capture_on_commit_callbacks, eager_celery
):
    client.force_login(admin_user)
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        response = upload(client, GOOD_CSV)

    batch = ImportBatch.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("lending:import_detail", args=[batch.pk])
    assert callbacks == []  # nothing is sent to a worker before the sender has seen the preview
    assert (batch.source, batch.created_by, batch.original_name) == ("upload", admin_user, "borrowers.csv")
    assert (batch.status, batch.encoding) == (ImportBatch.Status.PREVIEW, "utf-8")
    assert batch.file.name.startswith("imports/")
    assert Borrower.objects.count() == 0

    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        response = apply(client, batch)

    assert response.status_code == 302
    assert response["Location"] == reverse("lending:import_detail", args=[batch.pk])
    assert len(callbacks) == 1
    batch.refresh_from_db()
    assert (batch.status, batch.created_count) == (ImportBatch.Status.APPLIED, 2)
    assert set(Borrower.objects.values_list("external_id", flat=True)) == {"B1", "B2"}


def test_nothing_runs_before_apply_commits(client, admin_user, django_capture_on_commit_callbacks):
    client.force_login(admin_user)
    upload(client, GOOD_CSV)
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        apply(client, ImportBatch.objects.get())
    assert len(callbacks) == 1
    assert ImportBatch.objects.get().status == ImportBatch.Status.PENDING
    assert Borrower.objects.count() == 0


def test_an_upload_over_the_limit_is_refused_by_the_form(client, admin_user, settings):
    settings.INTAKE_MAX_FILE_BYTES = 10
    client.force_login(admin_user)
    response = upload(client, GOOD_CSV)
    assert response.status_code == 200
    assert str(intake_forms.FILE_TOO_LARGE_FOR_FORM).split("{")[0] in response.text
    assert ImportBatch.objects.count() == 0


def test_an_empty_upload_is_refused_by_the_form(client, admin_user):
    client.force_login(admin_user)
    response = upload(client, "")
    assert response.status_code == 200
    assert "The submitted file is empty." in response.text
    assert ImportBatch.objects.count() == 0


@pytest.mark.parametrize(
    "role", [Role.COLLECTOR, Role.TEAM_LEAD, Role.FIELD_AGENT, Role.LEGAL_OFFICER, Role.MANAGER, Role.AGENCY_AGENT]
)
def test_roles_other_than_admin_get_403_everywhere(client, user_of_role, role):
    batch = batch_of(BAD_CSV)
    client.force_login(user_of_role(role))
    for url in (
        reverse("lending:import_list"),
        reverse("lending:import_create"),
        reverse("lending:import_detail", args=[batch.pk]),
        reverse("lending:import_errors", args=[batch.pk]),
    ):
        assert client.get(url).status_code == 403, url
    assert upload(client, GOOD_CSV).status_code == 403
    assert ImportBatch.objects.count() == 1


def test_a_visitor_is_sent_to_log_in(client):
    response = client.get(reverse("lending:import_create"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:login"))
    response = upload(client, GOOD_CSV)
    assert response.status_code == 302
    assert ImportBatch.objects.count() == 0


# --- Progress ---------------------------------------------------------------------------------


def test_a_waiting_batch_polls_its_progress_with_htmx(client, admin_user):
    batch = batch_of(GOOD_CSV, user=admin_user)
    ImportBatch.objects.filter(pk=batch.pk).update(status=ImportBatch.Status.RUNNING, total_rows=200, processed_rows=50)
    client.force_login(admin_user)

    page = client.get(reverse("lending:import_detail", args=[batch.pk]))
    assert page.status_code == 200
    url = reverse("lending:import_detail", args=[batch.pk])
    assert f'hx-get="{url}" hx-trigger="every 1s"' in page.text
    assert '<progress max="100" value="25"' in page.text

    fragment = client.get(url, headers={"HX-Request": "true"})
    assert fragment.status_code == 200
    assert fragment.text.lstrip().startswith('<section id="import-progress"')
    assert "<html" not in fragment.text
    assert "50 of about 200 rows checked" in fragment.text


def test_a_finished_batch_stops_polling_and_shows_counts_and_the_report_link(client, admin_user):
    batch = batch_of(BAD_CSV, user=admin_user)
    services.import_batch_run(batch_id=batch.pk)
    client.force_login(admin_user)

    fragment = client.get(reverse("lending:import_detail", args=[batch.pk]), headers={"HX-Request": "true"})

    assert "hx-trigger" not in fragment.text
    assert 'data-status="rejected"' in fragment.text
    assert 'data-count="errors">1<' in fragment.text
    assert reverse("lending:import_errors", args=[batch.pk]) in fragment.text
    assert "seven" in fragment.text
    assert str(services.MESSAGE_REJECTED).format(bad=1) in fragment.text


def test_the_error_report_names_row_column_value_and_reason(client, admin_user):
    batch = batch_of(BAD_CSV, user=admin_user)
    services.import_batch_run(batch_id=batch.pk)
    client.force_login(admin_user)

    response = client.get(reverse("lending:import_errors", args=[batch.pk]))

    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert f"import-{batch.pk}-errors.csv" in response["Content-Disposition"]
    text = b"".join(response.streaming_content).decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text)))
    assert rows[0] == ["row", "column", "value", "reason", "raw"]
    assert rows[1][:4] == ["3", "credit_score", "seven", "Not a whole number."]
    assert '"name": "Li Na"' in rows[1][4]
    assert len(rows) == 2


def test_a_batch_without_errors_has_no_report(client, admin_user):
    batch = batch_of(GOOD_CSV, user=admin_user)
    services.import_batch_run(batch_id=batch.pk)
    client.force_login(admin_user)
    assert client.get(reverse("lending:import_errors", args=[batch.pk])).status_code == 404


# --- The task ------------------------------------------------------------------------------------


def test_the_task_runs_a_batch_once(eager_celery):
    batch = batch_of(GOOD_CSV)

    result = import_run_task.delay(batch.pk)

    assert result.get() == ImportBatch.Status.APPLIED
    assert Borrower.objects.count() == 2
    # A second delivery of the same message finds the batch finished and does nothing.
    assert import_run_task.delay(batch.pk).get() is None
    batch.refresh_from_db()
    assert (batch.created_count, batch.unchanged_count) == (2, 0)


def test_a_running_batch_is_not_claimed_again():
    batch = batch_of(GOOD_CSV)
    ImportBatch.objects.filter(pk=batch.pk).update(status=ImportBatch.Status.RUNNING)
    assert services.import_batch_run(batch_id=batch.pk) is None
    assert Borrower.objects.count() == 0


def test_an_unexpected_error_marks_the_batch_failed_and_applies_nothing(monkeypatch):
    from lending.intake import upsert

    def explode(self, rows):
        Borrower.objects.create(external_id="half", name="written before the crash")
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(upsert.BorrowerHandler, "apply", explode)
    batch = batch_of(GOOD_CSV)

    finished = services.import_batch_run(batch_id=batch.pk)

    assert finished.status == ImportBatch.Status.FAILED
    assert "RuntimeError" in finished.message
    assert Borrower.objects.count() == 0


# --- History -------------------------------------------------------------------------------------


def test_the_history_lists_batches_with_their_counts(client, admin_user, django_assert_max_num_queries):
    for content in (GOOD_CSV, BAD_CSV, GOOD_CSV):
        batch = batch_of(content, user=admin_user)
        services.import_batch_run(batch_id=batch.pk)
    client.force_login(admin_user)

    with django_assert_max_num_queries(6):
        response = client.get(reverse("lending:import_list"))

    assert response.status_code == 200
    table = response.context["table"]
    rows = [(row.record.status, row.record.created_count, row.record.unchanged_count) for row in table.page.object_list]
    assert rows == [("applied", 0, 2), ("rejected", 0, 0), ("applied", 2, 0)]
    assert reverse("lending:import_detail", args=[batch.pk]) in response.text
    assert ImportRowError.objects.count() == 1


def test_the_history_query_count_does_not_grow_with_batches(client, admin_user, django_assert_max_num_queries):
    for _n in range(30):
        batch_of(GOOD_CSV, user=admin_user)
    client.force_login(admin_user)
    with django_assert_max_num_queries(6):
        assert client.get(reverse("lending:import_list")).status_code == 200


def test_the_page_of_a_repeated_file_says_it_was_imported_before(client, admin_user):
    first = batch_of(GOOD_CSV, user=admin_user)
    services.import_batch_run(batch_id=first.pk)
    second = batch_of(GOOD_CSV, user=admin_user)
    services.import_batch_run(batch_id=second.pk)
    client.force_login(admin_user)

    page = client.get(reverse("lending:import_detail", args=[second.pk]))

    assert f'data-same-file="{first.pk}"' in page.text
    assert 'data-count="unchanged">2<' in page.text
    assert "data-same-file" not in client.get(reverse("lending:import_detail", args=[first.pk])).text


def test_while_rows_are_applied_the_bar_says_so(client, admin_user):
    batch = batch_of(GOOD_CSV, user=admin_user)
    ImportBatch.objects.filter(pk=batch.pk).update(
        status=ImportBatch.Status.RUNNING, total_rows=200, processed_rows=0, message=str(services.APPLYING)
    )
    client.force_login(admin_user)
    url = reverse("lending:import_detail", args=[batch.pk])

    waiting = client.get(url, headers={"HX-Request": "true"})
    assert '<progress aria-label="Progress"></progress>' in waiting.text  # no value: indeterminate
    assert 'hx-trigger="every 1s"' in waiting.text

    ImportBatch.objects.filter(pk=batch.pk).update(processed_rows=150)
    moving = client.get(url, headers={"HX-Request": "true"})
    assert '<progress max="100" value="75"' in moving.text
    assert "150 of 200 rows applied" in moving.text


def test_a_worker_knows_the_import_task():
    """What a worker does at start (import the default modules, autodiscover), in a fresh interpreter."""
    import os
    import subprocess
    import sys

    from django.conf import settings

    code = (
        "import django; django.setup(); from config.celery import app; app.loader.import_default_modules(); "
        "print('lending.intake.tasks.import_run_task' in app.tasks)"
    )
    result = subprocess.run(
        [sys.executable, "-c", code],
        cwd=settings.BASE_DIR,
        env={**os.environ, "DJANGO_SETTINGS_MODULE": "tests.settings"},
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    assert result.stdout.strip() == "True"


def test_a_bad_upload_with_quarantine_applies_the_good_rows(
    client, admin_user, django_capture_on_commit_callbacks, eager_celery
):
    client.force_login(admin_user)
    with django_capture_on_commit_callbacks(execute=True):
        batch = upload_and_apply(client, BAD_CSV, quarantine=True)

    batch.refresh_from_db()
    assert batch.quarantine_bad_rows is True
    assert (batch.status, batch.created_count, batch.error_count) == (ImportBatch.Status.PARTLY_APPLIED, 1, 1)
    assert list(Borrower.objects.values_list("external_id", flat=True)) == ["B1"]
    page = client.get(reverse("lending:import_detail", args=[batch.pk]))
    assert 'data-status="partly_applied"' in page.text


def test_a_malformed_or_gbk_upload_through_the_browser(
    client, admin_user, django_capture_on_commit_callbacks, eager_celery
):
    client.force_login(admin_user)
    with django_capture_on_commit_callbacks(execute=True):
        upload_and_apply(client, 'external_id,name\nB1,"open quote\n', name="broken.csv")
        upload_and_apply(client, "external_id,name\nB2,王芳\n".encode("gbk"), name="gbk.csv", encoding="gb18030")

    broken, gbk = ImportBatch.objects.order_by("pk")
    assert broken.status == ImportBatch.Status.REJECTED
    assert ImportRowError.objects.get(batch=broken).row_number == 2
    assert gbk.status == ImportBatch.Status.APPLIED
    assert Borrower.objects.get().name == "王芳"


def test_the_progress_page_query_count_is_fixed(client, admin_user, django_assert_max_num_queries):
    batch = batch_of(BAD_CSV.replace("600", "x"), user=admin_user)
    services.import_batch_run(batch_id=batch.pk)
    client.force_login(admin_user)
    with django_assert_max_num_queries(6):
        assert client.get(reverse("lending:import_detail", args=[batch.pk])).status_code == 200
    with django_assert_max_num_queries(5):
        assert (
            client.get(reverse("lending:import_detail", args=[batch.pk]), headers={"HX-Request": "true"}).status_code
            == 200
        )
