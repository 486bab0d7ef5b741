"""
Importing CSV files through the service every path shares (import_file runs
a batch synchronously, as the command does): each kind, good and bad data,
all-or-nothing, quarantine, repeating a file, encodings, a 50 MB file.
"""

import datetime
import tracemalloc
from decimal import Decimal

import pytest

from accounts.models import AuditEvent
from lending.intake import pipeline, reader, schema, upsert
from lending.intake.services import FILE_EMPTY_UPLOAD, FILE_TOO_LARGE, IntakeError, import_file
from lending.models import (
    Borrower,
    ContactPoint,
    CreditAccount,
    CreditLimitChange,
    ImportBatch,
    ImportRowError,
    Installment,
    Payment,
    PaymentAllocation,
)
from tests.lending.factories import (
    BorrowerFactory,
    CreditAccountFactory,
    CreditProductFactory,
    account_with_schedule,
)

pytestmark = pytest.mark.django_db

BORROWERS_CSV = (
    "external_id,name,national_id,date_of_birth,monthly_income,province,language,credit_score,is_vulnerable\n"
    "B1,张伟,110101199001011237,1990-01-01,8000.00,北京市,zh-hans,650,false\n"
    "B2,Li Na,,1985/12/31,,上海市,en,,yes\n"
)


@pytest.fixture
def write(tmp_path):
    """write("name.csv", text or bytes) -> path"""

    def make(name, content, encoding="utf-8"):
        path = tmp_path / name
        path.write_bytes(content if isinstance(content, bytes) else content.encode(encoding))
        return path

    return make


@pytest.fixture
def run(write):
    """run(kind, csv_text, quarantine=False) -> the finished batch"""

    def go(kind, content, *, quarantine=False, name=None, encoding="utf-8", declared=None):
        """`encoding` writes the text; `declared` is what the sender says it is (by default the same)."""
        path = write(name or f"{kind}.csv", content, encoding)
        declared = declared or (encoding if encoding in ImportBatch.Encoding.values else "utf-8")
        return import_file(kind=kind, path=path, encoding=declared, quarantine_bad_rows=quarantine)

    return go


def errors_of(batch):
    return list(ImportRowError.objects.filter(batch=batch).values_list("row_number", "column", "value", "reason"))


# --- Borrowers --------------------------------------------------------------------------


def test_it_creates_borrowers_with_every_column_parsed(run):
    batch = run("borrowers", BORROWERS_CSV)

    assert batch.status == ImportBatch.Status.APPLIED
    assert (batch.total_rows, batch.created_count, batch.updated_count, batch.unchanged_count) == (2, 2, 0, 0)
    assert batch.error_count == 0
    zhang = Borrower.objects.get(external_id="B1")
    assert zhang.name == "张伟"
    assert zhang.date_of_birth == datetime.date(1990, 1, 1)
    assert zhang.monthly_income == Decimal("8000.00")
    assert zhang.credit_score == 650
    assert zhang.is_vulnerable is False
    li = Borrower.objects.get(external_id="B2")
    assert li.date_of_birth == datetime.date(1985, 12, 31)
    assert li.monthly_income is None
    assert li.credit_score is None
    assert li.language == "en"
    assert li.is_vulnerable is True


def test_the_same_file_twice_changes_nothing(run):
    run("borrowers", BORROWERS_CSV)
    before = list(Borrower.objects.order_by("id").values())

    again = run("borrowers", BORROWERS_CSV)

    assert again.status == ImportBatch.Status.APPLIED
    assert (again.created_count, again.updated_count, again.unchanged_count) == (0, 0, 2)
    assert list(Borrower.objects.order_by("id").values()) == before
    # Both batches are on record, with the same file digest.
    assert ImportBatch.objects.filter(sha256=again.sha256, kind="borrowers").count() == 2


def test_a_changed_row_is_updated_and_columns_not_in_the_file_are_left_alone(run):
    run("borrowers", BORROWERS_CSV)

    batch = run("borrowers", "external_id,name,employer\nB1,张伟,Acme\nB2,Li Na,\n")

    assert (batch.created_count, batch.updated_count, batch.unchanged_count) == (0, 1, 1)
    zhang = Borrower.objects.get(external_id="B1")
    assert zhang.employer == "Acme"
    assert zhang.national_id == "110101199001011237"  # not in this file: kept
    assert zhang.monthly_income == Decimal("8000.00")


def test_the_outcome_is_audited_once_per_batch(run, admin_user):
    batch = run("borrowers", BORROWERS_CSV)

    events = AuditEvent.objects.filter(action__startswith="lending.import.")
    assert [(event.action, event.target_id) for event in events] == [("lending.import.applied", str(batch.pk))]
    assert events[0].data["created"] == 2


# --- Bad rows: all or nothing ------------------------------------------------------------


def test_a_file_with_a_bad_row_applies_nothing_and_names_row_column_value_reason(run):
    content = (
        "external_id,name,date_of_birth,monthly_income,credit_score\n"
        "B1,Good,1990-01-01,100.00,600\n"
        "B2,Bad date,1990-02-30,100.00,600\n"
        "B3,Bad money,1990-01-01,12.3.4,600\n"
        "B4,Bad integer,1990-01-01,100,six hundred\n"
        "B5,Negative,1990-01-01,-5.00,600\n"
    )
    batch = run("borrowers", content)

    assert batch.status == ImportBatch.Status.REJECTED
    assert batch.error_count == 4
    assert (batch.created_count, batch.updated_count, batch.unchanged_count) == (0, 0, 0)
    assert Borrower.objects.count() == 0
    assert errors_of(batch) == [
        (3, "date_of_birth", "1990-02-30", str(schema.NOT_DATE)),
        (4, "monthly_income", "12.3.4", str(schema.NOT_DECIMAL)),
        (5, "credit_score", "six hundred", str(schema.NOT_INTEGER)),
        (6, "monthly_income", "-5.00", str(schema.NEGATIVE)),
    ]
    assert AuditEvent.objects.filter(action="lending.import.rejected", target_id=str(batch.pk)).count() == 1


def test_a_duplicate_external_id_within_the_file_is_a_bad_row(run):
    batch = run("borrowers", "external_id,name\nB1,One\nB2,Two\nB1,One again\n")

    assert batch.status == ImportBatch.Status.REJECTED
    assert errors_of(batch) == [
        (4, "external_id", "B1", str(upsert.REPEATED_IN_FILE).format(row=2, key="external_id")),
    ]
    assert Borrower.objects.count() == 0


def test_quarantine_applies_the_good_rows_and_keeps_the_bad_ones_with_their_raw_row(run):
    batch = run("borrowers", "external_id,name,credit_score\nB1,One,1\nB2,Two,x\nB3,Three,3\n", quarantine=True)

    assert batch.status == ImportBatch.Status.PARTLY_APPLIED
    assert (batch.created_count, batch.error_count) == (2, 1)
    assert set(Borrower.objects.values_list("external_id", flat=True)) == {"B1", "B3"}
    quarantined = ImportRowError.objects.get(batch=batch)
    assert (quarantined.row_number, quarantined.column) == (3, "credit_score")
    assert quarantined.raw == {"external_id": "B2", "name": "Two", "credit_score": "x"}
    assert AuditEvent.objects.filter(action="lending.import.partly_applied").count() == 1


def test_a_row_with_too_many_or_too_few_fields_is_named(run):
    batch = run("borrowers", "external_id,name\nB1,One,extra\nB2\nB3,Three\n")

    assert batch.status == ImportBatch.Status.REJECTED
    reasons = [(row, reason) for row, _column, _value, reason in errors_of(batch)]
    assert reasons == [
        (2, str(upsert.WRONG_FIELD_COUNT).format(found=3, expected=2)),
        (3, str(upsert.WRONG_FIELD_COUNT).format(found=1, expected=2)),
    ]


def test_a_missing_required_column_rejects_the_whole_file_naming_it(run):
    batch = run("accounts", "external_id,borrower_external_id,opened_on\nA1,B1,2026-01-01\n")

    assert batch.status == ImportBatch.Status.REJECTED
    [(row, column, _value, reason)] = errors_of(batch)
    assert row == 1
    assert column == "product_code, credit_limit"
    assert reason == str(pipeline.HEADER_MISSING_COLUMNS).format(columns="product_code, credit_limit")


def test_an_unknown_column_rejects_the_whole_file(run):
    batch = run("borrowers", "external_id,name,nationalid\nB1,One,123\n")

    assert batch.status == ImportBatch.Status.REJECTED
    [(row, column, _value, reason)] = errors_of(batch)
    assert (row, column) == (1, "nationalid")
    assert "nationalid" in reason
    assert Borrower.objects.count() == 0


def test_an_unterminated_quote_rejects_the_file_naming_the_row(run):
    batch = run("borrowers", 'external_id,name\nB1,One\nB2,"Two\nB3,Three\n')

    assert batch.status == ImportBatch.Status.REJECTED
    [(row, _column, _value, reason)] = errors_of(batch)
    assert row == 3
    assert reason.startswith("The CSV file is malformed at row 3")
    assert Borrower.objects.count() == 0


def test_a_stray_quote_rejects_the_file(run):
    batch = run("borrowers", 'external_id,name\nB1,"One"x\n')

    assert batch.status == ImportBatch.Status.REJECTED
    assert errors_of(batch)[0][0] == 2


def test_an_empty_file_is_refused(run, write):
    with pytest.raises(IntakeError, match=str(FILE_EMPTY_UPLOAD)):
        run("borrowers", "")
    assert ImportBatch.objects.count() == 0
    blank = run("borrowers", "\n\n")
    assert blank.status == ImportBatch.Status.REJECTED
    assert errors_of(blank)[0][3] == str(reader.FILE_EMPTY)


def test_a_header_without_rows_applies_nothing_and_says_so(run):
    batch = run("borrowers", "external_id,name\n")

    assert batch.status == ImportBatch.Status.APPLIED
    assert (batch.total_rows, batch.created_count) == (0, 0)


def test_a_file_over_the_size_limit_is_refused_before_anything_is_stored(run, settings):
    settings.INTAKE_MAX_FILE_BYTES = 100
    with pytest.raises(IntakeError) as refused:
        run("borrowers", "external_id,name\n" + "B1,One\n" * 20)
    assert str(refused.value) == str(FILE_TOO_LARGE).format(size=17 + 7 * 20, limit=100)
    assert ImportBatch.objects.count() == 0


# --- Encodings ---------------------------------------------------------------------------


def test_utf8_with_a_byte_order_mark_is_read(run):
    batch = run("borrowers", "\ufeffexternal_id,name\nB1,张伟\n")

    assert batch.status == ImportBatch.Status.APPLIED
    assert Borrower.objects.get(external_id="B1").name == "张伟"


def test_a_gb18030_file_from_a_chinese_core_system_is_read(run):
    batch = run("borrowers", "external_id,name,province\nB1,张伟,广东省\nB2,谁知道,北京市\n", encoding="gb18030")

    assert batch.status == ImportBatch.Status.APPLIED
    assert Borrower.objects.get(external_id="B1").name == "张伟"
    assert Borrower.objects.get(external_id="B2").province == "北京市"


def test_a_broken_utf8_file_is_rejected_naming_the_byte_offset_and_row(run):
    good = "external_id,name\n" + "".join(f"B{n},张伟伟伟伟伟伟伟伟伟伟伟伟伟伟伟伟\n" for n in range(3))
    content = good.encode() + b"B9,\xff\xfe\n"

    batch = run("borrowers", content)

    assert batch.status == ImportBatch.Status.REJECTED
    [(row, _column, _value, reason)] = errors_of(batch)
    assert row == 5
    assert reason == str(reader.FILE_NOT_DECODABLE).format(encoding="UTF-8", offset=len(good.encode()) + 3, row=5)
    assert Borrower.objects.count() == 0


# --- Contact points ------------------------------------------------------------------------


def test_contact_points_are_upserted_and_a_third_party_needs_a_relation(run):
    BorrowerFactory(external_id="B1")
    content = (
        "external_id,borrower_external_id,kind,value,owner,third_party_name,relation,consent_sms,consent_recorded_on\n"
        "C1,B1,mobile,13800000000,borrower,,,true,2026-01-02\n"
        "C2,B1,mobile,13900000000,third_party,王芳,spouse,,\n"
    )
    batch = run("contact_points", content)

    assert (batch.status, batch.created_count) == (ImportBatch.Status.APPLIED, 2)
    own = ContactPoint.objects.get(external_id="C1")
    assert own.consent_sms is True
    assert own.consent_recorded_on == datetime.date(2026, 1, 2)
    assert ContactPoint.objects.get(external_id="C2").relation == "spouse"

    bad = run(
        "contact_points",
        "external_id,borrower_external_id,kind,value,owner\nC3,B1,mobile,1,third_party\nC4,NOBODY,email,a@b.cn,\n"
        "C5,B1,fax,1,\n",
    )
    assert bad.status == ImportBatch.Status.REJECTED
    assert [(row, column) for row, column, _v, _r in errors_of(bad)] == [
        (2, "relation"),
        (3, "borrower_external_id"),
        (4, "kind"),
    ]
    assert errors_of(bad)[1][3] == str(upsert.UNKNOWN_BORROWER)
    assert ContactPoint.objects.count() == 2


# --- Accounts --------------------------------------------------------------------------------


ACCOUNTS_HEADER = "external_id,borrower_external_id,product_code,opened_on,credit_limit,available_credit,status\n"


def test_accounts_are_created_and_a_changed_limit_is_recorded(run, admin_user):
    BorrowerFactory(external_id="B1")
    CreditProductFactory(code="inst-6m")
    first = run("accounts", ACCOUNTS_HEADER + "A1,B1,inst-6m,2026-01-15,10000.00,4000,active\n")
    assert (first.status, first.created_count) == (ImportBatch.Status.APPLIED, 1)
    assert CreditLimitChange.objects.count() == 0

    second = run("accounts", ACCOUNTS_HEADER + "A1,B1,inst-6m,2026-01-15,8000.00,2000,frozen\n")

    assert (second.updated_count, second.unchanged_count) == (1, 0)
    account = CreditAccount.objects.get(external_id="A1")
    assert (account.credit_limit, account.available_credit, account.status) == (
        Decimal("8000.00"),
        Decimal("2000.00"),
        "frozen",
    )
    change = CreditLimitChange.objects.get()
    assert (change.account, change.previous_limit, change.new_limit, change.reason) == (
        account,
        Decimal("10000.00"),
        Decimal("8000.00"),
        CreditLimitChange.Reason.INTAKE,
    )

    third = run("accounts", ACCOUNTS_HEADER + "A1,B1,inst-6m,2026-01-15,8000.00,2000,frozen\n")
    assert (third.unchanged_count, CreditLimitChange.objects.count()) == (1, 1)


def test_an_unknown_product_or_borrower_rejects_the_accounts_file(run):
    BorrowerFactory(external_id="B1")
    CreditProductFactory(code="inst-6m")
    batch = run(
        "accounts",
        ACCOUNTS_HEADER + "A1,B1,inst-6m,2026-01-15,100,0,active\nA2,B1,no-such,2026-01-15,100,0,active\n"
        "A3,B404,inst-6m,2026-01-15,100,0,active\nA4,B1,inst-6m,2026-01-15,-1,0,active\n",
    )

    assert batch.status == ImportBatch.Status.REJECTED
    assert errors_of(batch) == [
        (3, "product_code", "no-such", str(upsert.UNKNOWN_PRODUCT)),
        (4, "borrower_external_id", "B404", str(upsert.UNKNOWN_BORROWER)),
        (5, "credit_limit", "-1", str(schema.NEGATIVE)),
    ]
    assert CreditAccount.objects.count() == 0


# --- Installments ------------------------------------------------------------------------------


INSTALLMENTS_HEADER = "account_external_id,number,order_reference,lent_on,due_on,principal_due,interest_due,fee_due\n"


def test_installments_are_upserted_by_account_and_number(run):
    CreditAccountFactory(external_id="A1")
    content = (
        INSTALLMENTS_HEADER
        + "A1,1,O-1,2026-01-15,2026-02-15,1000.00,12.50,\nA1,2,O-1,2026-01-15,2026-03-15,1000,12.5,0\n"
    )
    batch = run("installments", content)
    assert (batch.status, batch.created_count) == (ImportBatch.Status.APPLIED, 2)
    assert Installment.objects.get(number=2).interest_due == Decimal("12.50")

    again = run("installments", content.replace("2026-03-15,1000,", "2026-03-16,1000,"))
    assert (again.updated_count, again.unchanged_count) == (1, 1)
    assert Installment.objects.get(number=2).due_on == datetime.date(2026, 3, 16)


def test_bad_installments_are_named(run):
    account = account_with_schedule(external_id="A1", months=1)
    Installment.objects.filter(account=account).update(principal_paid=Decimal("500.00"))
    batch = run(
        "installments",
        INSTALLMENTS_HEADER + "A1,1,,2026-01-15,2026-02-15,400.00,0,0\n"  # below what was paid
        "A404,1,,2026-01-15,2026-02-15,1,0,0\n"
        "A1,2,,2026-03-15,2026-02-15,1,0,0\n"  # due before lent
        "A1,0,,2026-01-15,2026-02-15,1,0,0\n"
        "A1,3,,2026-01-15,2026-02-15,1,0,0\nA1,3,,2026-01-15,2026-02-15,1,0,0\n",
    )

    assert batch.status == ImportBatch.Status.REJECTED
    assert [(row, column) for row, column, _v, _r in errors_of(batch)] == [
        (2, "principal_due"),
        (3, "account_external_id"),
        (4, "due_on"),
        (5, "number"),
        (7, "account_external_id"),
    ]
    assert Installment.objects.get().principal_due == Decimal("1000.00")


# --- Payments ---------------------------------------------------------------------------------


PAYMENTS_HEADER = "external_id,account_external_id,amount,received_at,channel\n"


def test_payments_are_recorded_allocated_and_repeating_the_file_changes_nothing(run):
    account_with_schedule(external_id="A1", months=2)
    content = (
        PAYMENTS_HEADER
        + "P1,A1,500.00,2026-02-10T10:00:00+08:00,app\nP2,A1,12.50,2026-02-11T09:00+08:00,bank_transfer\n"
    )
    batch = run("payments", content)

    assert (batch.status, batch.created_count) == (ImportBatch.Status.APPLIED, 2)
    payment = Payment.objects.get(external_id="P2")
    assert payment.import_batch == batch
    assert payment.amount == Decimal("12.50")
    assert payment.received_at == datetime.datetime(2026, 2, 11, 1, 0, tzinfo=datetime.UTC)
    assert sum(PaymentAllocation.objects.values_list("amount", flat=True)) == Decimal("512.50")
    paid_before = list(Installment.objects.order_by("id").values_list("principal_paid", "interest_paid"))
    allocations_before = list(PaymentAllocation.objects.order_by("id").values())

    again = run("payments", content)

    assert (again.status, again.created_count, again.unchanged_count) == (ImportBatch.Status.APPLIED, 0, 2)
    assert Payment.objects.count() == 2
    assert list(PaymentAllocation.objects.order_by("id").values()) == allocations_before
    assert list(Installment.objects.order_by("id").values_list("principal_paid", "interest_paid")) == paid_before


def test_bad_payments_reject_the_file(run):
    account_with_schedule(external_id="A1", months=1)
    batch = run(
        "payments",
        PAYMENTS_HEADER + "P1,A1,100.00,2026-02-10T10:00:00+08:00,app\n"
        "P2,A1,-5.00,2026-02-10T10:00:00+08:00,app\n"
        "P3,A404,5.00,2026-02-10T10:00:00+08:00,app\n"
        "P4,A1,5.001,2026-02-10T10:00:00+08:00,app\n"
        "P5,A1,5.00,yesterday,app\n"
        "P6,A1,5.00,2026-02-10T10:00:00+08:00,cash\n"
        "P1,A1,100.00,2026-02-10T10:00:00+08:00,app\n",
    )

    assert batch.status == ImportBatch.Status.REJECTED
    assert errors_of(batch) == [
        (3, "amount", "-5.00", str(schema.NOT_POSITIVE)),
        (4, "account_external_id", "A404", "No credit account has this external id."),
        (5, "amount", "5.001", str(schema.TOO_MANY_DECIMALS)),
        (6, "received_at", "yesterday", str(schema.NOT_DATETIME)),
        (7, "channel", "cash", str(schema.NOT_CHOICE).format(choices=", ".join(Payment.Channel.values))),
        (8, "external_id", "P1", str(upsert.REPEATED_IN_FILE).format(row=2, key="external_id")),
    ]
    assert Payment.objects.count() == 0
    assert Installment.objects.get().principal_paid == Decimal("0.00")


def test_a_payment_known_with_other_data_is_a_bad_row_and_quarantine_keeps_it(run):
    account_with_schedule(external_id="A1", months=1)
    run("payments", PAYMENTS_HEADER + "P1,A1,100.00,2026-02-10T10:00:00+08:00,app\n")

    batch = run(
        "payments",
        PAYMENTS_HEADER + "P1,A1,999.00,2026-02-10T10:00:00+08:00,app\nP2,A1,10.00,2026-02-10T10:00:00+08:00,app\n",
        quarantine=True,
    )

    assert (batch.status, batch.created_count, batch.error_count) == (ImportBatch.Status.PARTLY_APPLIED, 1, 1)
    [(row, column, value, _reason)] = errors_of(batch)
    assert (row, column, value) == (2, "amount", "999.00")
    assert Payment.objects.get(external_id="P1").amount == Decimal("100.00")
    assert Payment.objects.filter(external_id="P2").exists()


# --- A large file ------------------------------------------------------------------------------


def test_a_50_mb_file_is_read_as_a_stream_in_bounded_memory(tmp_path, monkeypatch):
    """A bad row at the very end, after 50 MB, is found; nothing is applied; memory stays far below the file's size."""
    path = tmp_path / "big.csv"
    rows = 110_000
    name, employer, city = "N" * 100, "E" * 200, "C" * 50
    with path.open("w", encoding="utf-8") as out:
        out.write("external_id,name,national_id,employer,province,city,district\n")
        for n in range(rows):
            out.write(f"B{n},{name},11010519491231002X,{employer},{city},{city},{city}\n")
        out.write("B0,Repeated,,,,,\n")
    assert path.stat().st_size > 50 * 1024 * 1024
    chunk_sizes = []
    original = pipeline._check_chunk

    def spy(handler, rows):
        chunk_sizes.append(len(rows))
        return original(handler, rows)

    monkeypatch.setattr(pipeline, "_check_chunk", spy)
    tracemalloc.start()
    try:
        batch = import_file(kind="borrowers", path=path)
        _current, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()

    assert batch.status == ImportBatch.Status.REJECTED
    assert errors_of(batch)[0][:2] == (rows + 2, "external_id")
    assert batch.total_rows == rows + 1
    assert max(chunk_sizes) <= pipeline.CHUNK_ROWS
    assert peak < 25 * 1024 * 1024  # the file is 50 MB; the external ids seen are most of this
    assert Borrower.objects.count() == 0


# --- The documentation -----------------------------------------------------------------------


def test_docs_intake_lists_every_column_of_every_kind_as_the_schema_defines_it():
    """docs/intake.md has one table per kind; it must say what the one schema says."""
    from pathlib import Path

    from django.conf import settings

    text = (Path(settings.BASE_DIR) / "docs" / "intake.md").read_text()
    for kind, kind_schema in schema.SCHEMAS.items():
        section = text.split(f"### {kind}\n", 1)[1].split("\n### ", 1)[0].split("\n## ", 1)[0]
        documented = [
            [cell.strip() for cell in line.strip("|").split("|")]
            for line in section.splitlines()
            if line.startswith("| ") and not line.startswith("| column")
        ]
        assert [(cells[0], cells[1] == "yes") for cells in documented] == [
            (column.name, column.required) for column in kind_schema.columns
        ], kind


def test_payments_refused_only_when_recorded_are_all_reported_and_nothing_is_applied(run, monkeypatch):
    """The payment service finds known payments with other data while applying; the rest is still checked."""
    monkeypatch.setattr(pipeline, "CHUNK_ROWS", 2)
    monkeypatch.setattr(upsert.PaymentHandler, "apply_chunk_factor", 1)
    account_with_schedule(external_id="A1", months=1)
    run(
        "payments",
        PAYMENTS_HEADER + "P1,A1,1.00,2026-02-10T10:00:00+08:00,app\nP4,A1,4.00,2026-02-10T10:00:00+08:00,app\n",
    )
    content = PAYMENTS_HEADER + (
        "P1,A1,9.00,2026-02-10T10:00:00+08:00,app\n"  # known with 1.00
        "P2,A1,2.00,2026-02-10T10:00:00+08:00,app\n"
        "P3,A1,3.00,2026-02-10T10:00:00+08:00,app\n"
        "P4,A1,4.00,2026-02-11T10:00:00+08:00,app\n"  # known on another day
        "P5,A1,5.00,2026-02-10T10:00:00+08:00,app\n"
    )

    batch = run("payments", content)

    assert batch.status == ImportBatch.Status.REJECTED
    assert [(row, column) for row, column, _v, _r in errors_of(batch)] == [(2, "amount"), (5, "received_at")]
    assert set(Payment.objects.values_list("external_id", flat=True)) == {"P1", "P4"}
    assert batch.error_count == 2
