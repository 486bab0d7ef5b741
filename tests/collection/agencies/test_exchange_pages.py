"""The agency files page: a supervisor sees their agency's files, a manager every agency's; upload, preview, apply."""

import csv
import datetime
import io
from decimal import Decimal

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from collection.models import AgencyField, ClaimedPayment, ClaimStatus, ContactAttempt
from lending.intake.services import import_batch_create, import_batch_run
from lending.models import ImportBatch
from lending.services import LENDER_TZ
from tests.collection.agencies.factories import AgencyContractFactory, agency_user, placed_case

pytestmark = pytest.mark.django_db

NOW = datetime.datetime(2026, 11, 10, 16, 0, tzinfo=LENDER_TZ)
HEADER = "record_type,case_number,occurred_at,channel,contact,answered_by,outcome,amount,due_on,reference,notes\n"


@pytest.fixture(autouse=True)
def _now():
    with time_machine.travel(NOW, tick=False):
        yield


def placed(contract):
    placement = placed_case(contract=contract)
    placement.placed_at = NOW - datetime.timedelta(days=5)
    placement.save(update_fields=["placed_at"])
    return placement


@pytest.fixture
def ours():
    return placed(AgencyContractFactory(visible_fields=[AgencyField.PHONE]))


@pytest.fixture
def theirs():
    return placed(AgencyContractFactory())


@pytest.fixture
def supervisor(ours):
    return agency_user(ours.agency, supervisor=True)


@pytest.fixture
def their_supervisor(theirs):
    return agency_user(theirs.agency, supervisor=True)


def claim_row(placement, reference, amount="500.00"):
    return f"payment,{placement.case.number},2026-11-08T11:00:00+08:00,,,,,{amount},,{reference},\n"


def imported(user, content, quarantine=False) -> ImportBatch:
    batch = import_batch_create(
        kind=ImportBatch.Kind.AGENCY_RETURNS,
        file=io.BytesIO(content.encode()),
        original_name="returns.csv",
        quarantine_bad_rows=quarantine,
        actor=user,
        enqueue=False,
    )
    import_batch_run(batch_id=batch.pk)
    batch.refresh_from_db()
    return batch


def test_a_supervisor_sees_only_their_agencys_batches_uploads_and_claims(
    client, ours, theirs, supervisor, their_supervisor, django_assert_max_num_queries
):
    imported(supervisor, HEADER + claim_row(ours, "OURS-1"))
    imported(their_supervisor, HEADER + claim_row(theirs, "THEIRS-1"))
    client.force_login(supervisor)

    with django_assert_max_num_queries(12):
        response = client.get(reverse("collection:agency_file_list"))

    assert response.status_code == 200
    text = response.text
    assert ours.batch.number in text and theirs.batch.number not in text
    assert reverse("collection:placement_file", args=[ours.batch.pk]) + "?format=xlsx" in text
    assert 'data-claim="OURS-1"' in text and "THEIRS-1" not in text
    assert theirs.case.number not in text
    assert 'id="return-upload"' in text


def test_a_manager_sees_every_agencys_files_with_unmatched_claims_flagged(
    client, manager, ours, theirs, supervisor, their_supervisor, django_assert_max_num_queries
):
    imported(supervisor, HEADER + claim_row(ours, "OURS-1"))
    imported(their_supervisor, HEADER + claim_row(theirs, "THEIRS-1"))
    ClaimedPayment.objects.filter(reference="THEIRS-1").update(status=ClaimStatus.MATCHED)
    client.force_login(manager)

    with django_assert_max_num_queries(12):
        response = client.get(reverse("collection:agency_file_list"))

    text = response.text
    assert ours.batch.number in text and theirs.batch.number in text
    assert 'data-claim="OURS-1" data-claim-status="unmatched"' in text
    assert 'data-claim="THEIRS-1" data-claim-status="matched"' in text
    assert '<span class="flag">Not matched yet</span>' in text
    assert ours.agency.name in text and theirs.agency.name in text
    assert 'id="return-upload"' not in text  # a manager does not send an agency's file


def test_plain_agents_and_lender_staff_get_403_and_visitors_log_in(client, ours, collector):
    url = reverse("collection:agency_file_list")
    assert client.get(url).status_code == 302
    client.force_login(agency_user(ours.agency))
    assert client.get(url).status_code == 403
    client.force_login(collector)
    assert client.get(url).status_code == 403


def test_upload_preview_apply_and_the_error_report(
    client, ours, supervisor, eager_celery, django_capture_on_commit_callbacks
):
    mobile = ours.case.borrower.contact_points.get(kind="mobile").value
    content = (
        HEADER
        + f"activity,{ours.case.number},2026-11-09T10:00:00+08:00,call,{mobile},borrower,rpc,,,,\n"
        + "promise,C-2026-999999,2026-11-09T10:00:00+08:00,,,,,300.00,2026-11-20,,\n"
        + claim_row(ours, "OURS-1", amount="10.005")
    )
    client.force_login(supervisor)

    response = client.post(
        reverse("collection:agency_return_upload"),
        {"file": SimpleUploadedFile("returns.csv", content.encode()), "encoding": "utf-8", "quarantine_bad_rows": "on"},
    )
    batch = ImportBatch.objects.get(kind=ImportBatch.Kind.AGENCY_RETURNS)
    assert response.status_code == 302
    assert response["Location"] == reverse("collection:agency_return_detail", args=[batch.pk])
    assert batch.status == ImportBatch.Status.PREVIEW and batch.created_by == supervisor

    preview = client.get(response["Location"])
    assert 'data-row="2"' in preview.text
    assert 'data-problem="More than two decimal places."' in preview.text
    assert not ContactAttempt.objects.exists()

    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("collection:agency_return_confirm", args=[batch.pk]))
    batch.refresh_from_db()
    assert batch.status == ImportBatch.Status.PARTLY_APPLIED
    assert ContactAttempt.objects.filter(case=ours.case).count() == 1

    page = client.get(reverse("collection:agency_return_detail", args=[batch.pk]))
    assert "This case is not placed with your agency." in page.text
    report = client.get(reverse("collection:agency_return_errors", args=[batch.pk]))
    rows = list(csv.reader(io.StringIO(b"".join(report.streaming_content).decode().removeprefix("\ufeff"))))
    assert [row[:4] for row in rows] == [
        ["row", "column", "value", "reason"],
        ["3", "case_number", "C-2026-999999", "This case is not placed with your agency."],
        ["4", "amount", "10.005", "More than two decimal places."],
    ]


def test_a_cancelled_preview_applies_nothing(client, ours, supervisor):
    client.force_login(supervisor)
    client.post(
        reverse("collection:agency_return_upload"),
        {"file": SimpleUploadedFile("r.csv", (HEADER + claim_row(ours, "X-1")).encode()), "encoding": "utf-8"},
    )
    batch = ImportBatch.objects.get()
    client.post(reverse("collection:agency_return_cancel", args=[batch.pk]))
    batch.refresh_from_db()
    assert batch.status == ImportBatch.Status.CANCELLED
    assert not ClaimedPayment.objects.exists()


def test_a_file_that_does_not_decode_is_refused_by_the_form(client, ours, supervisor):
    client.force_login(supervisor)
    content = (HEADER + f"promise,{ours.case.number},2026-11-09T10:00:00+08:00,,,,,1.00,2026-11-20,,张伟\n").encode(
        "gb18030"
    )
    response = client.post(
        reverse("collection:agency_return_upload"),
        {"file": SimpleUploadedFile("r.csv", content), "encoding": "utf-8"},
    )
    assert response.status_code == 400
    assert not ImportBatch.objects.exists()


def test_another_agencys_upload_is_not_found(client, ours, supervisor, their_supervisor, theirs):
    batch = imported(their_supervisor, HEADER + "promise,C-2026-999999,2026-11-09T10:00:00+08:00,,,,,1.00,,,\n")
    client.force_login(supervisor)
    for name in ("agency_return_detail", "agency_return_errors"):
        assert client.get(reverse(f"collection:{name}", args=[batch.pk])).status_code == 404
    for name in ("agency_return_confirm", "agency_return_cancel"):
        assert client.post(reverse(f"collection:{name}", args=[batch.pk])).status_code == 404


def test_a_manager_reads_an_upload_but_neither_sends_nor_applies_one(client, manager, ours, supervisor):
    batch = imported(supervisor, HEADER + claim_row(ours, "OURS-1"))
    client.force_login(manager)
    page = client.get(reverse("collection:agency_return_detail", args=[batch.pk]))
    assert page.status_code == 200
    assert 'data-claim="OURS-1"' in page.text
    assert client.post(reverse("collection:agency_return_upload")).status_code == 403
    assert client.post(reverse("collection:agency_return_cancel", args=[batch.pk])).status_code == 403


def test_a_return_file_page_reads_in_a_few_queries(client, ours, supervisor, django_assert_max_num_queries):
    rows = "".join(claim_row(ours, f"R-{n}", amount=f"{n}.00") for n in range(1, 8))
    batch = imported(supervisor, HEADER + rows)
    assert ClaimedPayment.objects.count() == 7
    assert ClaimedPayment.objects.get(reference="R-3").amount == Decimal("3.00")
    client.force_login(supervisor)
    with django_assert_max_num_queries(12):
        response = client.get(reverse("collection:agency_return_detail", args=[batch.pk]))
    assert response.text.count("data-claim=") == 7


def test_the_manager_finds_the_page_among_the_agencies_pages(manager):
    from accounts.navigation import nav_group_items_for

    keys = {item["key"] for item in nav_group_items_for(manager, "agencies")}
    assert "agency_files" in keys


def test_the_portal_leads_a_supervisor_to_the_page_and_a_plain_agent_not(client, ours, supervisor):
    files_url = reverse("collection:agency_file_list")
    client.force_login(supervisor)
    for name in ("agency_queue", "agency_team"):
        assert f'href="{files_url}"' in client.get(reverse(f"collection:{name}")).text
    client.force_login(agency_user(ours.agency))
    assert f'href="{files_url}"' not in client.get(reverse("collection:agency_queue")).text
