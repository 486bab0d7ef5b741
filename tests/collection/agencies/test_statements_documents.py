"""The statement's PDF (the shared renderer, the CJK font) and CSV (the formula-safe writer, amounts as numbers)."""

import csv
import datetime
import io
import subprocess
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.utils import translation

from collection.agencies.statements import statement_approve, statement_csv_rows, statement_generate, statement_pdf
from documents.exports import csv_lines
from lending.models import Payment
from tests.collection.agencies.commission_factories import paid, placed_at, reversed_at
from tests.collection.agencies.factories import AgencyContractFactory, AgencyFactory

pytestmark = pytest.mark.django_db

SHANGHAI = ZoneInfo("Asia/Shanghai")
FEBRUARY = datetime.date(2026, 2, 1)


def at(month, day, hour=10):
    return datetime.datetime(2026, month, day, hour, tzinfo=SHANGHAI)


@pytest.fixture(autouse=True)
def mid_march():
    with time_machine.travel(at(3, 16), tick=False):
        yield


@pytest.fixture
def statement(manager):
    agency = AgencyFactory(name="华信催收服务有限公司", code="HX")
    contract = AgencyContractFactory(agency=agency, flat_fee_per_case=Decimal("15.00"))
    placement = placed_at(at(2, 2), contract=contract, days_past_due=75, bucket="M2")
    paid(placement, "1000.00", at(2, 3), channel=Payment.Channel.BANK_TRANSFER)
    bounced = paid(placement, "200.00", at(2, 5))
    statement_generate(agency=agency, month=FEBRUARY, actor=manager)  # attributes the bounced one
    reversed_at(bounced, at(2, 6))
    return statement_generate(agency=agency, month=FEBRUARY, actor=manager)


def pdf_text(pdf: bytes, tmp_path) -> str:
    path = tmp_path / "statement.pdf"
    path.write_bytes(pdf)
    return subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True, check=True, text=True).stdout


def test_the_pdf_shows_the_agency_each_payment_and_the_totals(statement, manager, tmp_path):
    statement = statement_approve(statement=statement, actor=manager)

    with translation.override("en"):
        pdf = statement_pdf(statement)

    assert pdf.startswith(b"%PDF")
    text = pdf_text(pdf, tmp_path)
    assert "华信催收服务有限公司" in text  # the CJK font, embedded
    assert "Commission statement S-HX-2026-02" in text
    case = statement.lines.first().placement.case.number
    assert text.count(case) == 3  # the payment, the bounced one, its clawback
    assert "Bank" in text and "transfer" in text  # the channel, wrapped in its column
    assert "10%" in text
    assert "-200.00" in text and "-20.00" in text
    assert "Flat fees (1 case placed)" in text
    assert "1,000.00 CNY" in text  # collected: 1,000 + 200 - 200
    assert "115.00 CNY" in text  # total due: 100.00 commission + 15.00 flat fee
    assert f"Approved by {manager.get_full_name()}" in text


def test_the_pdf_of_a_draft_says_so_and_reads_in_the_readers_language(statement, tmp_path):
    with translation.override("zh-hans"):
        pdf = statement_pdf(statement)
    english = pdf_text(statement_pdf(statement, language="en"), tmp_path)

    assert "Draft: not approved yet." in english
    assert "华信催收服务有限公司" in pdf_text(pdf, tmp_path)
    assert "示范消费金融有限公司" in pdf_text(pdf, tmp_path)  # the lender's name in Chinese


def test_the_csv_lists_every_line_with_numbers_that_stay_numbers(statement):
    header, rows = statement_csv_rows(statement)
    rows = list(rows)

    assert header[:6] == ["Date", "Case", "Payment", "Channel", "Kind", "Amount"]
    lines = rows[:-4]
    assert [row[5] for row in lines] == [Decimal("1000.00"), Decimal("200.00"), Decimal("-200.00")]
    assert [row[9] for row in lines] == [Decimal("100.00"), Decimal("20.00"), Decimal("-20.00")]
    assert [row[0] for row in lines] == ["2026-02-03", "2026-02-05", "2026-02-06"]
    assert [row[4] for row in lines] == ["Payment", "Payment", "Clawback (payment reversed)"]
    assert rows[-1][:1] + rows[-1][5:] == ["Total due", Decimal("115.00"), "CNY"]
    written = list(csv.reader(io.StringIO("".join(csv_lines([lines[2]])))))
    assert written[0][5] == "-200.00"  # a number, not neutralised text


def test_the_csv_is_formula_safe(statement):
    line = statement.lines.first()
    Payment.objects.filter(pk=line.payment_id).update(external_id='=HYPERLINK("http://x","pay")')

    header, rows = statement_csv_rows(statement)
    text = "".join(csv_lines(rows, header=header))

    assert "'=HYPERLINK" in text
    assert "\n=HYPERLINK" not in text and ",=HYPERLINK" not in text
