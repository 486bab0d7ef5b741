"""The agency return file, imported through lending's intake: activities, promises and claimed payments."""

import datetime
from decimal import Decimal

import pytest
import time_machine
from django.core.files.base import ContentFile
from django.utils import timezone

from collection.agencies import exchange_returns
from collection.agencies.exchange_claims import claims_match
from collection.models import (
    AgencyField,
    ClaimedPayment,
    ClaimStatus,
    ContactAttempt,
    ContactRefusal,
    PromiseToPay,
)
from lending.intake.schema import NOT_DATE, NOT_DECIMAL, SCHEMAS, TOO_MANY_DECIMALS
from lending.intake.services import import_batch_create, import_batch_run
from lending.intake.upsert import HANDLERS
from lending.models import ImportBatch, ImportRowError, Payment
from lending.services import LENDER_TZ
from tests.collection.agencies.factories import AgencyContractFactory, agency_user, placed_case

pytestmark = pytest.mark.django_db

NOW = datetime.datetime(2026, 11, 10, 16, 0, tzinfo=LENDER_TZ)
HEADER = "record_type,case_number,occurred_at,channel,contact,answered_by,outcome,amount,due_on,reference,notes\n"


@pytest.fixture(autouse=True)
def _now():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def contract():
    return AgencyContractFactory(visible_fields=[AgencyField.PHONE])


@pytest.fixture
def placement(contract):
    placement = placed_case(contract=contract)
    placement.placed_at = NOW - datetime.timedelta(days=5)
    placement.save(update_fields=["placed_at"])
    return placement


@pytest.fixture
def supervisor(placement):
    return agency_user(placement.agency, supervisor=True)


def mobile_of(placement) -> str:
    return placement.case.borrower.contact_points.get(kind="mobile").value


def upload(user, content: str, *, quarantine=False, encoding="utf-8") -> ImportBatch:
    data = content.encode(encoding)
    batch = import_batch_create(
        kind=ImportBatch.Kind.AGENCY_RETURNS,
        file=ContentFile(data, name="returns.csv"),
        original_name="returns.csv",
        encoding=encoding,
        quarantine_bad_rows=quarantine,
        actor=user,
        enqueue=False,
    )
    import_batch_run(batch_id=batch.pk)
    batch.refresh_from_db()
    return batch


def errors_of(batch) -> list[tuple[int, str, str]]:
    return list(ImportRowError.objects.filter(batch=batch).values_list("row_number", "column", "reason"))


def good_rows(placement) -> str:
    number, mobile = placement.case.number, mobile_of(placement)
    return (
        f"activity,{number},2026-11-09T10:00:00+08:00,call,{mobile},borrower,promised,,,,said she would pay\n"
        f"promise,{number},2026-11-09T10:00:00+08:00,,,,,300.00,2026-11-20,,\n"
        f"payment,{number},2026-11-08T11:00:00+08:00,,,,,500.00,,AG-0001,paid at our counter\n"
    )


def test_the_kind_is_registered_with_lendings_intake():
    assert SCHEMAS[ImportBatch.Kind.AGENCY_RETURNS] is exchange_returns.RETURNS
    assert HANDLERS[ImportBatch.Kind.AGENCY_RETURNS] is exchange_returns.AgencyReturnHandler


def test_a_good_file_logs_the_contact_records_the_promise_and_claims_the_payment(placement, supervisor):
    payments_before = Payment.objects.count()

    batch = upload(supervisor, HEADER + good_rows(placement))

    assert batch.status == ImportBatch.Status.APPLIED, errors_of(batch)
    assert (batch.created_count, batch.unchanged_count, batch.error_count) == (3, 0, 0)
    contact = ContactAttempt.objects.get(case=placement.case)
    assert (contact.channel, contact.outcome, contact.actor) == ("call", "promised", supervisor)
    assert contact.occurred_at == datetime.datetime(2026, 11, 9, 10, 0, tzinfo=LENDER_TZ)
    assert contact.contact_point.value == mobile_of(placement)
    promise = PromiseToPay.objects.get(case=placement.case)
    assert (promise.amount, promise.due_on, promise.contact) == (
        Decimal("300.00"),
        datetime.date(2026, 11, 20),
        contact,
    )
    claim = ClaimedPayment.objects.get()
    assert (claim.agency, claim.placement, claim.reference, claim.amount, claim.paid_on) == (
        placement.agency,
        placement,
        "AG-0001",
        Decimal("500.00"),
        datetime.date(2026, 11, 8),
    )
    assert claim.import_batch == batch
    assert claim.status == ClaimStatus.UNMATCHED  # no such payment was received
    assert Payment.objects.count() == payments_before


def bad_rows(placement, other_placement) -> str:
    number, mobile = placement.case.number, mobile_of(placement)
    return (
        f"promise,C-2026-999999,2026-11-09T10:00:00+08:00,,,,,300.00,2026-11-20,,\n"  # row 5: unknown case
        f"promise,{other_placement.case.number},2026-11-09T10:00:00+08:00,,,,,300.00,2026-11-20,,\n"  # 6
        f"promise,{number},2026-11-09T11:00:00+08:00,,,,,200.00,2026-13-01,,\n"  # 7: bad date
        f"payment,{number},2026-11-08T11:00:00+08:00,,,,,５００.00,,AG-0002,\n"  # 8: full-width digits
        f"payment,{number},2026-11-08T11:00:00+08:00,,,,,10.005,,AG-0003,\n"  # 9: three decimals
        f"activity,{number},2026-11-09T23:30:00+08:00,call,{mobile},nobody,no_answer,,,,\n"  # 10: at night
    )


EXPECTED_ERRORS = [
    (5, "case_number", str(exchange_returns.NOT_PLACED_WITH_YOUR_AGENCY)),
    (6, "case_number", str(exchange_returns.NOT_PLACED_WITH_YOUR_AGENCY)),
    (7, "due_on", str(NOT_DATE)),
    (8, "amount", str(NOT_DECIMAL)),
    (9, "amount", str(TOO_MANY_DECIMALS)),
]


@pytest.fixture
def other_placement():
    return placed_case(contract=AgencyContractFactory())


def test_a_file_with_bad_rows_applies_nothing(placement, other_placement, supervisor):
    payments_before = Payment.objects.count()

    batch = upload(supervisor, HEADER + good_rows(placement) + bad_rows(placement, other_placement))

    assert batch.status == ImportBatch.Status.REJECTED
    errors = errors_of(batch)
    assert errors[:5] == EXPECTED_ERRORS
    [(row, column, reason)] = errors[5:]
    assert (row, column) == (10, "occurred_at")
    assert "22:00" in reason  # the contact hours' rule says when calls may be made
    assert not ContactAttempt.objects.exists()
    assert not PromiseToPay.objects.exists()
    assert not ClaimedPayment.objects.exists()
    # The check tried the night call without logging a refusal: nothing was attempted.
    assert not ContactRefusal.objects.exists()
    assert Payment.objects.count() == payments_before
    # Another agency's case reads as any unknown case: nothing says it exists.
    assert errors[0][2] == errors[1][2]


def test_with_quarantine_the_good_rows_apply_and_the_bad_ones_are_reported(placement, other_placement, supervisor):
    batch = upload(supervisor, HEADER + good_rows(placement) + bad_rows(placement, other_placement), quarantine=True)

    assert batch.status == ImportBatch.Status.PARTLY_APPLIED
    assert (batch.created_count, batch.error_count) == (3, 6)
    assert [row for row, _column, _reason in errors_of(batch)] == [5, 6, 7, 8, 9, 10]
    assert ContactAttempt.objects.filter(case=placement.case).count() == 1
    assert PromiseToPay.objects.filter(case=placement.case).count() == 1
    assert list(ClaimedPayment.objects.values_list("reference", flat=True)) == ["AG-0001"]
    assert not ContactAttempt.objects.filter(case=other_placement.case).exists()


def test_sending_the_same_file_again_duplicates_nothing(placement, supervisor):
    content = HEADER + good_rows(placement)
    upload(supervisor, content)

    again = upload(supervisor, content)

    assert again.status == ImportBatch.Status.APPLIED, errors_of(again)
    assert (again.created_count, again.unchanged_count) == (0, 3)
    assert ContactAttempt.objects.count() == 1
    assert PromiseToPay.objects.count() == 1
    assert ClaimedPayment.objects.count() == 1


def test_a_reference_claimed_before_with_another_amount_is_a_bad_row(placement, supervisor):
    upload(supervisor, HEADER + good_rows(placement))
    changed = f"payment,{placement.case.number},2026-11-08T11:00:00+08:00,,,,,900.00,,AG-0001,\n"

    batch = upload(supervisor, HEADER + changed)

    assert batch.status == ImportBatch.Status.REJECTED
    assert errors_of(batch) == [(2, "reference", str(exchange_returns.REFERENCE_CLAIMED_OTHERWISE))]
    assert ClaimedPayment.objects.get().amount == Decimal("500.00")


def test_the_fourth_connected_call_of_the_day_is_refused_when_applied(placement, supervisor):
    number, mobile = placement.case.number, mobile_of(placement)
    rows = "".join(
        f"activity,{number},2026-11-09T{hour}:00:00+08:00,call,{mobile},borrower,rpc,,,,\n" for hour in (10, 11, 12, 13)
    )

    strict = upload(supervisor, HEADER + rows)
    assert strict.status == ImportBatch.Status.REJECTED
    assert [(row, column) for row, column, _reason in errors_of(strict)] == [(5, "occurred_at")]
    assert not ContactAttempt.objects.exists()

    quarantined = upload(supervisor, HEADER + rows, quarantine=True)
    assert quarantined.status == ImportBatch.Status.PARTLY_APPLIED
    assert ContactAttempt.objects.count() == 3
    # The refused attempt is in the refusal log, by the agency's supervisor.
    refusal = ContactRefusal.objects.get()
    assert (refusal.rule, refusal.actor) == ("daily_connected_calls", supervisor)


def test_a_number_the_contract_withholds_cannot_be_used(placement, supervisor):
    contract = placement.contract
    contract.visible_fields = [AgencyField.ADDRESS]
    contract.save(update_fields=["visible_fields"])
    row = f"activity,{placement.case.number},2026-11-09T10:00:00+08:00,call,{mobile_of(placement)},nobody,busy,,,,\n"

    batch = upload(supervisor, HEADER + row)

    assert errors_of(batch) == [(2, "contact", str(exchange_returns.CONTACT_NOT_IN_FILE))]


def test_a_recalled_case_and_a_contact_before_the_placement_are_refused(placement, supervisor):
    before = f"promise,{placement.case.number},2026-11-01T10:00:00+08:00,,,,,100.00,2026-11-20,,\n"
    batch = upload(supervisor, HEADER + before)
    assert [(row, column) for row, column, _reason in errors_of(batch)] == [(2, "occurred_at")]

    placement.status = "recalled"
    placement.recalled_at = timezone.now()
    placement.save(update_fields=["status", "recalled_at"])
    later = f"promise,{placement.case.number},2026-11-09T10:00:00+08:00,,,,,100.00,2026-11-20,,\n"
    batch = upload(supervisor, HEADER + later)
    assert errors_of(batch) == [(2, "case_number", str(exchange_returns.NOT_PLACED_WITH_YOUR_AGENCY))]


def test_each_kind_of_record_names_the_columns_it_needs(placement, supervisor):
    number = placement.case.number
    rows = (
        f"activity,{number},2026-11-09T10:00:00+08:00,,,,,,,,\n"
        f"promise,{number},2026-11-09T10:00:00+08:00,,,,,,,,\n"
        f"payment,{number},2026-11-09T10:00:00+08:00,,,,,10.00,,,\n"
    )
    batch = upload(supervisor, HEADER + rows)
    assert [(row, column) for row, column, _reason in errors_of(batch)] == [
        (2, "channel"),
        (2, "answered_by"),
        (2, "outcome"),
        (3, "amount"),
        (3, "due_on"),
        (4, "reference"),
    ]


def test_a_gb18030_file_is_read_in_its_declared_encoding(placement, supervisor):
    row = f"promise,{placement.case.number},2026-11-09T10:00:00+08:00,,,,,300.00,2026-11-20,,借款人说月底还\n"
    batch = upload(supervisor, HEADER + row, encoding="gb18030")
    assert batch.status == ImportBatch.Status.APPLIED, errors_of(batch)


def test_a_lender_user_uploading_a_return_file_places_nothing(placement, admin_user):
    batch = upload(admin_user, HEADER + good_rows(placement))
    assert batch.status == ImportBatch.Status.REJECTED
    assert {column for _row, column, _reason in errors_of(batch)} == {"case_number"}


# --- Claims matched against real payments ----------------------------------------------------


def payment_on(placement, amount, received_at, **fields) -> Payment:
    account = placement.case.case_accounts.get().account
    return Payment.objects.create(
        external_id=f"PAY-{Payment.objects.count() + 1}",
        account=account,
        amount=Decimal(amount),
        received_at=received_at,
        channel=Payment.Channel.AGENCY,
        **fields,
    )


def test_a_claim_matches_the_real_payment_nearest_its_date(placement, supervisor):
    far = payment_on(placement, "500.00", datetime.datetime(2026, 11, 6, 9, 0, tzinfo=LENDER_TZ))
    near = payment_on(placement, "500.00", datetime.datetime(2026, 11, 9, 9, 0, tzinfo=LENDER_TZ))
    payment_on(placement, "499.00", datetime.datetime(2026, 11, 8, 9, 0, tzinfo=LENDER_TZ))  # another amount
    payments = Payment.objects.count()

    upload(supervisor, HEADER + good_rows(placement))

    claim = ClaimedPayment.objects.get()
    assert (claim.status, claim.matched_payment) == (ClaimStatus.MATCHED, near)
    assert claim.matched_at is not None
    assert not ClaimedPayment.objects.filter(matched_payment=far).exists()
    assert Payment.objects.count() == payments


def test_an_unmatched_claim_stays_unmatched_until_its_payment_arrives(placement, supervisor):
    # Before the placement, too far from the date, reversed: none of these is the claimed payment.
    payment_on(placement, "500.00", placement.placed_at - datetime.timedelta(hours=1))
    payment_on(placement, "500.00", datetime.datetime(2026, 11, 12, 9, 0, tzinfo=LENDER_TZ))
    payment_on(
        placement,
        "500.00",
        datetime.datetime(2026, 11, 8, 15, 0, tzinfo=LENDER_TZ),
        status=Payment.Status.REVERSED,
        reversed_at=NOW,
    )
    upload(supervisor, HEADER + good_rows(placement))
    claim = ClaimedPayment.objects.get()
    assert claim.status == ClaimStatus.UNMATCHED
    assert claims_match() == 0

    arrived = payment_on(placement, "500.00", datetime.datetime(2026, 11, 10, 9, 0, tzinfo=LENDER_TZ))
    assert claims_match() == 1
    claim.refresh_from_db()
    assert (claim.status, claim.matched_payment) == (ClaimStatus.MATCHED, arrived)
    assert claims_match() == 0  # idempotent


def test_one_payment_matches_one_claim_only(placement, supervisor):
    payment_on(placement, "500.00", datetime.datetime(2026, 11, 8, 9, 0, tzinfo=LENDER_TZ))
    second = f"payment,{placement.case.number},2026-11-08T12:00:00+08:00,,,,,500.00,,AG-0009,\n"
    upload(supervisor, HEADER + good_rows(placement) + second)
    assert sorted(ClaimedPayment.objects.values_list("reference", "status")) == [
        ("AG-0001", ClaimStatus.MATCHED),
        ("AG-0009", ClaimStatus.UNMATCHED),
    ]


def test_the_nightly_chain_has_a_claims_step():
    from collection.nightly.steps import nightly_steps

    [spec] = [spec for spec in nightly_steps() if spec.name == "agency_claims"]
    assert spec.run(NOW.date()) == {"claims_matched": 0}


def test_the_file_is_read_as_any_intake_file(placement, supervisor):
    """A header naming an unknown column rejects the file, as for the core system's files."""
    batch = upload(supervisor, "record_type,case_number,occurred_at,colour\n")
    assert batch.status == ImportBatch.Status.REJECTED
    assert "colour" in batch.message


def test_docs_agencies_lists_the_return_files_columns_as_the_schema_defines_them():
    from pathlib import Path

    from django.conf import settings

    text = (Path(settings.BASE_DIR) / "docs" / "agencies.md").read_text()
    section = text.split("### The return file\n", 1)[1].split("\n### ", 1)[0].split("\n## ", 1)[0]
    documented = [
        [cell.strip() for cell in line.strip("|").split("|")]
        for line in section.splitlines()
        if line.startswith("| ") and not line.startswith("| column")
    ]
    assert [(cells[0], cells[1] == "yes") for cells in documented] == [
        (column.name, column.required) for column in exchange_returns.RETURNS.columns
    ]


def test_docs_agencies_lists_the_placement_files_columns():
    from pathlib import Path

    from django.conf import settings

    from collection.agencies.exchange import ALWAYS_COLUMNS, FIELD_COLUMNS

    text = (Path(settings.BASE_DIR) / "docs" / "agencies.md").read_text()
    section = text.split("### The placement file\n", 1)[1].split("\n### ", 1)[0]
    rows = [
        [cell.strip() for cell in line.strip("|").split("|")]
        for line in section.splitlines()
        if line.startswith("| ") and not line.startswith(("| column", "| detail"))
    ]
    always = [cells[0] for cells in rows if len(cells) == 2]
    by_field = {cells[0]: tuple(name.strip() for name in cells[1].split(",")) for cells in rows if len(cells) == 3}
    assert always == list(ALWAYS_COLUMNS)
    assert by_field == {str(code): columns for code, columns in FIELD_COLUMNS.items()}


def test_a_dispute_said_on_an_imported_call_recalls_the_case_and_its_later_rows_are_refused(placement, supervisor):
    number, mobile = placement.case.number, mobile_of(placement)
    rows = (
        f"activity,{number},2026-11-09T10:00:00+08:00,call,{mobile},borrower,disputes,,,,the phone never arrived\n"
        f"promise,{number},2026-11-09T10:05:00+08:00,,,,,300.00,2026-11-20,,\n"
    )

    batch = upload(supervisor, HEADER + rows, quarantine=True)

    placement.refresh_from_db()
    assert (placement.status, placement.recall_reason) == ("recalled", "dispute")
    assert ContactAttempt.objects.filter(case=placement.case, outcome="disputes").count() == 1
    assert errors_of(batch) == [(3, "case_number", str(exchange_returns.NOT_PLACED_WITH_YOUR_AGENCY))]
    assert not PromiseToPay.objects.exists()
