"""
What the intake refuses (issue 10): files that do not decode in their
declared encoding, NUL bytes, names in scripts the portfolio does not hold,
amounts and integers other than plain ASCII decimals, dates and times other
than the documented forms, and resident identity numbers of China that are
not valid (GB 11643).
"""

import datetime

import pytest

from lending.intake import reader, schema
from lending.intake.services import import_file
from lending.models import Borrower, ContactPoint, ImportBatch, ImportRowError, Installment, Payment
from tests.lending.factories import BorrowerFactory, CreditAccountFactory, account_with_schedule

pytestmark = pytest.mark.django_db

VALID_RIC = "11010519491231002X"


@pytest.fixture
def run(tmp_path):
    """run(kind, text or bytes, encoding="utf-8") -> the finished batch (text is written as UTF-8)."""

    def go(kind, content, *, encoding="utf-8", quarantine=False):
        path = tmp_path / f"{kind}.csv"
        path.write_bytes(content.encode() if isinstance(content, str) else content)
        return import_file(kind=kind, path=path, encoding=encoding, quarantine_bad_rows=quarantine)

    return go


def errors_of(batch):
    return list(ImportRowError.objects.filter(batch=batch).values_list("row_number", "column", "value", "reason"))


# --- Encodings: declared, never guessed --------------------------------------------------------


def test_a_gbk_file_whose_bytes_are_also_utf8_is_read_as_declared(run):
    """专业 in GBK is d7a8 d2b5, which is valid UTF-8 (Hebrew and Cyrillic): guessing stored that."""
    raw = "external_id,name\nB1,专业\n".encode("gbk")
    assert raw.decode("utf-8")  # the trap

    batch = run("borrowers", raw, encoding="gb18030")

    assert batch.status == ImportBatch.Status.APPLIED
    assert Borrower.objects.get().name == "专业"


def test_the_same_gbk_file_declared_utf8_is_a_bad_name_not_stored_mojibake(run):
    raw = "external_id,name\nB1,专业\n".encode("gbk")

    batch = run("borrowers", raw)

    assert batch.status == ImportBatch.Status.REJECTED
    [(row, column, value, reason)] = errors_of(batch)
    assert (row, column, value) == (2, "name", raw.decode("utf-8").split(",")[-1].strip())
    assert reason.startswith(str(schema.NAME_UNEXPECTED_CHARACTERS).split("(")[0])
    assert Borrower.objects.count() == 0


def test_a_utf8_row_then_a_gbk_row_declared_utf8_is_refused_at_the_gbk_row(run):
    head = "external_id,name\nB1,张伟\n".encode()
    raw = head + "B2,王芳\n".encode("gbk")

    batch = run("borrowers", raw)

    assert batch.status == ImportBatch.Status.REJECTED
    reason = str(reader.FILE_NOT_DECODABLE).format(encoding="UTF-8", offset=len(head) + 3, row=3)
    assert errors_of(batch) == [(3, "", "", reason)]
    assert Borrower.objects.count() == 0


def test_the_row_of_a_bad_byte_counts_quoted_line_breaks_as_one_row(run):
    head = b'external_id,name,employer\nB1,Li Na,"two\nlines"\n'
    batch = run("borrowers", head + b"B2,\xff,x\n")

    [(row, _column, _value, reason)] = errors_of(batch)
    assert row == 3
    assert reason == str(reader.FILE_NOT_DECODABLE).format(encoding="UTF-8", offset=len(head) + 3, row=3)


def test_a_utf8_bom_on_a_file_declared_gb18030_is_refused(run):
    batch = run("borrowers", "\ufeffexternal_id,name\nB1,张伟\n".encode(), encoding="gb18030")

    assert batch.status == ImportBatch.Status.REJECTED
    assert errors_of(batch)[0][3] == str(reader.FILE_BOM_BUT_GB18030)


def test_utf8_with_and_without_bom_are_one_choice(run):
    run("borrowers", "\ufeffexternal_id,name\nB1,张伟\n")
    run("borrowers", "external_id,name\nB2,李娜\n")

    assert sorted(Borrower.objects.values_list("name", flat=True)) == ["张伟", "李娜"]


# --- NUL bytes -----------------------------------------------------------------------------------


def test_a_nul_byte_rejects_the_file_naming_the_row_and_nothing_is_stored(run):
    head = b"external_id,name\nB1,Li Na\n"
    batch = run("borrowers", head + b"B2,Wang\x00Fang\n", quarantine=True)

    assert batch.status == ImportBatch.Status.REJECTED
    assert errors_of(batch) == [(3, "", "", str(reader.FILE_HAS_NUL).format(offset=len(head) + 7, row=3))]
    assert Borrower.objects.count() == 0


# --- Names ------------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["José Ã©", "JosÃ©", "李╬娜", "李\ue000娜", "Li Na 2", "李娜!"])
def test_a_name_with_characters_a_name_does_not_hold_is_a_bad_row(run, name):
    batch = run("borrowers", f"external_id,name\nB1,{name}\n")

    [(row, column, value, _reason)] = errors_of(batch)
    assert (row, column, value) == (2, "name", name)
    assert Borrower.objects.count() == 0


def test_mojibake_in_latin_letters_only_is_caught_too(run):
    """Ü as UTF-8 read as Windows-1252 is Ãœ, two Latin letters: encoded back, it is UTF-8."""
    batch = run("borrowers", "external_id,name\nB1,Ãœlker\n")

    assert errors_of(batch) == [(2, "name", "Ãœlker", str(schema.NAME_LOOKS_MISDECODED).format(fixed="Ülker"))]


@pytest.mark.parametrize("name", ["张伟", "阿卜杜·热合曼", "Li Na", "O'Brien", "Jean-Luc Picard", "José Núñez", "王〇"])
def test_the_names_of_the_portfolio_are_accepted(run, name):
    batch = run("borrowers", f"external_id,name\nB1,{name}\n")

    assert batch.status == ImportBatch.Status.APPLIED, errors_of(batch)
    assert Borrower.objects.get().name == name


def test_a_third_party_name_is_held_to_the_same_rule(run):
    BorrowerFactory(external_id="B1")
    batch = run(
        "contact_points",
        "external_id,borrower_external_id,kind,value,owner,relation,third_party_name\n"
        "C1,B1,mobile,13800000000,third_party,friend,ç\u00a7\u2018\n",
    )

    assert [(row, column) for row, column, _v, _r in errors_of(batch)] == [(2, "third_party_name")]
    assert ContactPoint.objects.count() == 0


# --- Numbers -------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("amount", "reason"),
    [
        ("１２３４", schema.NOT_DECIMAL),
        ("1e3", schema.NOT_DECIMAL),
        ("1_000", schema.NOT_DECIMAL),
        ("-0.00", schema.NOT_POSITIVE),
        ("+5", schema.NOT_DECIMAL),
        ("1,000.00", schema.NOT_DECIMAL),
        ("5.", schema.NOT_DECIMAL),
        (".5", schema.NOT_DECIMAL),
        ("1.2.3", schema.NOT_DECIMAL),
        ("5.000", schema.TOO_MANY_DECIMALS),
        ("NaN", schema.NOT_DECIMAL),
        ("Infinity", schema.NOT_DECIMAL),
        ("٥", schema.NOT_DECIMAL),
    ],
)
def test_amounts_are_ascii_digits_with_at_most_one_dot_and_two_decimals(run, amount, reason):
    account_with_schedule(external_id="A1", months=1)
    batch = run(
        "payments",
        f'external_id,account_external_id,amount,received_at,channel\nP1,A1,"{amount}",2026-02-10T10:00+08:00,app\n',
    )

    assert errors_of(batch) == [(2, "amount", amount, str(reason))]
    assert Payment.objects.count() == 0


def test_a_negative_zero_income_is_negative_not_zero(run):
    batch = run("borrowers", "external_id,name,monthly_income\nB1,Li Na,-0.00\n")

    assert errors_of(batch) == [(2, "monthly_income", "-0.00", str(schema.NEGATIVE))]


@pytest.mark.parametrize("score", ["６５０", "6_50", "+650", "6e2"])
def test_integers_are_ascii_digits(run, score):
    batch = run("borrowers", f"external_id,name,credit_score\nB1,Li Na,{score}\n")

    assert errors_of(batch) == [(2, "credit_score", score, str(schema.NOT_INTEGER))]


# --- Dates ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "received_at", ["20261130", "2026-W48-1", "2026-02-10", "2026-02-10 10:00+08:00", "2026-02-10T10:00"]
)
def test_received_at_takes_only_the_documented_form(run, received_at):
    account_with_schedule(external_id="A1", months=1)
    batch = run(
        "payments", f"external_id,account_external_id,amount,received_at,channel\nP1,A1,1.00,{received_at},app\n"
    )

    assert errors_of(batch) == [(2, "received_at", received_at, str(schema.NOT_DATETIME))]


def test_received_at_in_2099_is_in_the_future(run):
    account_with_schedule(external_id="A1", months=1)
    batch = run(
        "payments", "external_id,account_external_id,amount,received_at,channel\nP1,A1,1.00,2099-01-01T10:00Z,app\n"
    )

    assert errors_of(batch) == [(2, "received_at", "2099-01-01T10:00Z", str(schema.DATETIME_IN_FUTURE))]


@pytest.mark.parametrize("born", ["19900101", "1990-1-1", "1990-01/01", "１９９０-01-01", "1990-W01-1", "1899-12-31"])
def test_a_birth_date_takes_only_the_documented_forms(run, born):
    batch = run("borrowers", f"external_id,name,date_of_birth\nB1,Li Na,{born}\n")

    [(row, column, value, _reason)] = errors_of(batch)
    assert (row, column, value) == (2, "date_of_birth", born)


def test_a_birth_date_in_the_future_is_refused(run):
    batch = run("borrowers", "external_id,name,date_of_birth\nB1,Li Na,2099-01-01\n")

    assert errors_of(batch) == [(2, "date_of_birth", "2099-01-01", str(schema.DATE_IN_FUTURE))]


def test_both_documented_date_forms_are_read(run):
    run("borrowers", "external_id,name,date_of_birth\nB1,Li Na,1990-01-31\nB2,Wang,1990/02/28\n")

    assert sorted(Borrower.objects.values_list("date_of_birth", flat=True)) == [
        datetime.date(1990, 1, 31),
        datetime.date(1990, 2, 28),
    ]


def test_a_due_date_may_be_ahead_but_only_in_the_documented_forms(run):
    CreditAccountFactory(external_id="A1")
    header = "account_external_id,number,lent_on,due_on,principal_due\n"
    good = run("installments", header + "A1,1,2026-01-15,2027-01-15,100.00\n")
    assert good.status == ImportBatch.Status.APPLIED, errors_of(good)
    assert Installment.objects.get(number=1).due_on == datetime.date(2027, 1, 15)

    bad = run("installments", header + "A1,2,2026-01-15,20270215,100.00\nA1,3,2099-01-15,2099-02-15,100.00\n")

    assert errors_of(bad) == [
        (2, "due_on", "20270215", str(schema.NOT_DATE)),
        (3, "lent_on", "2099-01-15", str(schema.DATE_IN_FUTURE)),
    ]


# --- Resident identity numbers of China ----------------------------------------------------------------------


def test_a_valid_resident_identity_number_is_kept_with_an_upper_case_x(run):
    batch = run("borrowers", f"external_id,name,national_id\nB1,张伟,{VALID_RIC.lower()}\n")

    assert batch.status == ImportBatch.Status.APPLIED, errors_of(batch)
    assert Borrower.objects.get().national_id == VALID_RIC


@pytest.mark.parametrize(
    ("number", "reason"),
    [
        ("110105194912310021", schema.RIC_CHECK_DIGIT),  # the check digit is X
        ("11010519491231002Y", schema.RIC_FORMAT),
        ("110105194913310029", schema.RIC_BIRTH_DATE),  # month 13
        ("110105209912310022", schema.RIC_BIRTH_DATE),  # born in 2099
        ("000000194912310025", schema.RIC_REGION),
    ],
)
def test_an_invalid_resident_identity_number_is_a_bad_row(run, number, reason):
    from stdnum.cn import ric

    if reason is not schema.RIC_CHECK_DIGIT and number[-1].isdigit():
        number = number[:-1] + ric.calc_check_digit(number)  # only the part under test is wrong
    batch = run("borrowers", f"external_id,name,national_id\nB1,张伟,{number}\n")

    assert errors_of(batch) == [(2, "national_id", number, str(reason))]
    assert Borrower.objects.count() == 0


def test_a_borrower_in_china_needs_a_resident_identity_number_whatever_its_shape(run):
    batch = run(
        "borrowers",
        "external_id,name,national_id,time_zone\nB1,张伟,12345,Asia/Shanghai\nB2,李娜,1101051949123100,\n",
    )

    assert errors_of(batch) == [
        (2, "national_id", "12345", str(schema.RIC_NOT_18)),
        (3, "national_id", "1101051949123100", str(schema.RIC_NOT_18)),  # blank time zone: Asia/Shanghai
    ]


def test_a_us_borrower_keeps_an_ssn_or_no_national_id(run):
    batch = run(
        "borrowers",
        "external_id,name,national_id,time_zone,language\n"
        "U1,John Smith,123-45-6789,America/New_York,en\n"
        "U2,Mary O'Neil,,America/Chicago,en\n",
    )

    assert batch.status == ImportBatch.Status.APPLIED, errors_of(batch)
    assert Borrower.objects.get(external_id="U1").national_id == "123-45-6789"


def test_a_known_us_borrower_keeps_their_time_zone_for_the_check(run):
    BorrowerFactory(external_id="U1", time_zone="America/New_York")

    batch = run("borrowers", "external_id,name,national_id\nU1,John Smith,123456789\n")

    assert batch.status == ImportBatch.Status.APPLIED, errors_of(batch)


def test_an_ric_shaped_number_is_checked_for_everyone(run):
    batch = run(
        "borrowers", "external_id,name,national_id,time_zone\nU1,John Smith,110105194912310021,America/New_York\n"
    )

    assert errors_of(batch) == [(2, "national_id", "110105194912310021", str(schema.RIC_CHECK_DIGIT))]
