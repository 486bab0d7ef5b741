"""`manage.py import_csv <kind> <path> [--encoding …] [--quarantine]` and `manage.py intake_token_create <name>`."""

import hashlib
from decimal import Decimal
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from lending.models import CreditAccount, ImportBatch, IntakeToken, Payment
from tests.lending.factories import BorrowerFactory, CreditProductFactory, account_with_schedule

pytestmark = pytest.mark.django_db

ACCOUNTS = (
    "external_id,borrower_external_id,product_code,opened_on,credit_limit\n"
    "A1,B1,inst-6m,2026-01-15,5000.00\n"
    "A2,B1,cash-12m,2026-01-15,3000.00\n"
)


@pytest.fixture
def references(db):
    BorrowerFactory(external_id="B1")
    CreditProductFactory(code="inst-6m")


def run(*args):
    out = StringIO()
    call_command("import_csv", *args, stdout=out)
    return out.getvalue()


def test_it_imports_a_file_and_prints_the_summary(tmp_path, references):
    CreditProductFactory(code="cash-12m")
    path = tmp_path / "accounts.csv"
    path.write_text(ACCOUNTS)

    output = run("accounts", str(path))

    batch = ImportBatch.objects.get()
    assert f"Batch {batch.pk}: Applied — 2 rows: 2 created, 0 updated, 0 unchanged, 0 bad." in output
    assert (batch.source, batch.original_name) == ("command", "accounts.csv")
    assert CreditAccount.objects.get(external_id="A2").credit_limit == Decimal("3000.00")

    again = run("accounts", str(path))
    assert "0 created, 0 updated, 2 unchanged, 0 bad." in again
    assert CreditAccount.objects.count() == 2


def test_a_bad_file_fails_with_the_reasons_and_applies_nothing(tmp_path, references):
    path = tmp_path / "accounts.csv"
    path.write_text(ACCOUNTS)

    with pytest.raises(CommandError, match="was rejected"):
        out = StringIO()
        try:
            call_command("import_csv", "accounts", str(path), stdout=out)
        finally:
            output = out.getvalue()

    assert "row 3 product_code 'cash-12m': No credit product has this code." in output
    assert CreditAccount.objects.count() == 0
    assert ImportBatch.objects.get().status == ImportBatch.Status.REJECTED


def test_quarantine_applies_the_good_rows(tmp_path, references):
    path = tmp_path / "accounts.csv"
    path.write_text(ACCOUNTS)

    output = run("accounts", str(path), "--quarantine")

    assert "Applied, bad rows quarantined — 2 rows: 1 created, 0 updated, 0 unchanged, 1 bad." in output
    assert list(CreditAccount.objects.values_list("external_id", flat=True)) == ["A1"]


def test_payments_of_a_gb18030_file(tmp_path):
    account_with_schedule(external_id="账户1", months=1)
    path = tmp_path / "payments.csv"
    path.write_bytes(
        "external_id,account_external_id,amount,received_at,channel\nP1,账户1,10.00,2026-02-01T10:00+08:00,agency\n".encode(
            "gb18030"
        )
    )

    run("payments", str(path), "--encoding", "gb18030")

    assert Payment.objects.get().account.external_id == "账户1"
    assert ImportBatch.objects.get().encoding == "gb18030"


def test_a_gbk_file_sent_without_its_encoding_is_rejected_naming_byte_and_row(tmp_path, references):
    """UTF-8 is the default, and nothing is guessed: a GBK file must say so."""
    path = tmp_path / "borrowers.csv"
    head = b"external_id,name\nB2,Li Na\n"
    path.write_bytes(head + "B3,张伟\n".encode("gbk"))

    with pytest.raises(CommandError, match="was rejected"):
        run("borrowers", str(path))

    batch = ImportBatch.objects.get()
    assert batch.encoding == "utf-8"
    assert f"byte {len(head) + 3} (row 3)" in batch.message
    assert not ImportBatch.objects.filter(created_count__gt=0).exists()


def test_an_unknown_encoding_is_refused_by_the_command(tmp_path):
    path = tmp_path / "borrowers.csv"
    path.write_text("external_id,name\nB1,Li Na\n")

    with pytest.raises(CommandError, match="invalid choice"):
        run("borrowers", str(path), "--encoding", "latin-1")
    assert not ImportBatch.objects.exists()


def test_a_malformed_file_fails(tmp_path):
    path = tmp_path / "borrowers.csv"
    path.write_text('external_id,name\nB1,"unterminated\n')
    with pytest.raises(CommandError):
        run("borrowers", str(path))
    assert ImportBatch.objects.get().message.startswith("The file was rejected: The CSV file is malformed at row 2")


def test_a_missing_file_or_unknown_kind_is_an_error(tmp_path):
    with pytest.raises(CommandError, match="No such file"):
        run("borrowers", str(tmp_path / "nope.csv"))
    with pytest.raises(CommandError):
        run("loans", str(tmp_path / "nope.csv"))
    assert ImportBatch.objects.count() == 0


def test_a_file_over_the_limit_is_refused_up_front(tmp_path, settings):
    settings.INTAKE_MAX_FILE_BYTES = 50
    path = tmp_path / "borrowers.csv"
    path.write_text("external_id,name\n" + "B1,A name that is long enough\n" * 3)
    with pytest.raises(CommandError, match="an import may be at most 50 bytes"):
        run("borrowers", str(path))
    assert ImportBatch.objects.count() == 0


def test_intake_token_create_prints_a_token_once_and_keeps_its_hash():
    out, err = StringIO(), StringIO()
    call_command("intake_token_create", "core-prod", stdout=out, stderr=err)

    key = out.getvalue().strip()
    assert len(key) >= 40
    token = IntakeToken.objects.get(name="core-prod")
    assert token.key_sha256 == hashlib.sha256(key.encode()).hexdigest()
    assert token.is_active
    assert "cannot be shown again" in err.getvalue()
    with pytest.raises(CommandError, match="exists already"):
        call_command("intake_token_create", "core-prod", stdout=StringIO(), stderr=StringIO())
