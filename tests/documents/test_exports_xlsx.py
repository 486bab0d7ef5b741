"""documents.exports: the XLSX writer puts every cell through the same formula-safe rule as CSV."""

import datetime
import io
import zipfile
from decimal import Decimal
from pathlib import Path

import pytest
from openpyxl import load_workbook

from documents.exports import XLSX_CONTENT_TYPE, xlsx_response, xlsx_write

ROOT = Path(__file__).resolve().parent.parent.parent
APPS = ["accounts", "config", "documents", "lending", "collection", "legal", "portfolio"]


def workbook_of(rows, **kwargs):
    buffer = io.BytesIO()
    xlsx_write(rows, buffer, **kwargs)
    buffer.seek(0)
    return load_workbook(buffer)


def cells(rows, **kwargs):
    sheet = workbook_of(rows, **kwargs).active
    return [[cell for cell in row] for row in sheet.iter_rows()]


@pytest.mark.parametrize(
    "text",
    ['=HYPERLINK("http://x", "Li Na")', "+1", "-2", "@SUM(A1:A2)", "\tx", "  =1+2"],
    ids=["equals", "plus", "minus", "at", "tab", "spaces-then-equals"],
)
def test_formula_looking_text_is_neutralised_and_stored_as_text(text):
    [[cell]] = cells([[text]])
    assert cell.data_type == "s"
    assert cell.value == "'" + text


def test_no_cell_of_the_file_is_a_formula():
    buffer = io.BytesIO()
    xlsx_write([['=HYPERLINK("http://x")', "=1+2"]], buffer, header=["=cmd|' /C calc'!A0", "note"])
    with zipfile.ZipFile(io.BytesIO(buffer.getvalue())) as archive:
        sheet_xml = archive.read("xl/worksheets/sheet1.xml").decode()
    assert "<f>" not in sheet_xml and "<f " not in sheet_xml


def test_text_that_looks_like_an_error_value_stays_text():
    [[cell]] = cells([["#N/A"]])
    assert cell.data_type == "s"
    assert cell.value == "#N/A"


@pytest.mark.parametrize("number", [Decimal("-12.50"), -3, 7, 0.25])
def test_numbers_stay_numeric_even_when_negative(number):
    [[cell]] = cells([[number]])
    assert cell.data_type == "n"
    assert cell.value == number


def test_a_decimal_is_a_number_with_two_decimals():
    [[amount, rounded]] = cells([[Decimal("1012.5"), Decimal("3.333")]])
    assert amount.data_type == "n"
    assert amount.value == Decimal("1012.50")
    assert amount.number_format == "0.00"
    assert rounded.value == pytest.approx(3.33)


def test_a_date_is_a_date_and_other_values_are_text():
    [[day, flag, empty, name]] = cells([[datetime.date(2026, 3, 2), True, None, "张伟"]])
    assert day.value == datetime.datetime(2026, 3, 2)
    assert day.number_format == "yyyy-mm-dd"
    assert flag.value == "True"
    assert empty.value is None
    assert name.value == "张伟"


def test_control_characters_xml_cannot_hold_are_dropped():
    [[cell]] = cells([["a\x00b\x07c"]])
    assert cell.value == "abc"


def test_the_header_is_made_safe_and_the_sheet_named():
    workbook = workbook_of([["x"]], header=["=1+2", "name"], sheet_title="P-2026-00001: cases?")
    sheet = workbook.active
    assert sheet.title == "P-2026-00001_ cases_"
    assert [cell.value for cell in next(sheet.iter_rows())] == ["'=1+2", "name"]


def test_rows_are_read_as_they_come_from_a_generator():
    def rows():
        for number in range(1000):
            yield [number, f"row {number}"]

    sheet = workbook_of(rows()).active
    assert sheet.max_row == 1000


def test_the_response_is_an_xlsx_attachment():
    response = xlsx_response([["张伟", Decimal("5.00")]], filename="placement.xlsx", header=["name", "amount"])
    assert response["Content-Type"] == XLSX_CONTENT_TYPE
    assert response["Content-Disposition"] == 'attachment; filename="placement.xlsx"'
    content = b"".join(response.streaming_content)
    response.file_to_stream.close()  # (response.close() would signal the request's end: database work)
    sheet = load_workbook(io.BytesIO(content)).active
    assert [[cell.value for cell in row] for row in sheet.iter_rows()] == [["name", "amount"], ["张伟", 5]]


def test_no_app_writes_xlsx_except_through_this_module():
    offenders = [
        str(path.relative_to(ROOT))
        for app in APPS
        if (ROOT / app).is_dir()
        for path in (ROOT / app).rglob("*.py")
        if path != ROOT / "documents" / "exports.py" and "openpyxl" in path.read_text(encoding="utf-8")
    ]
    assert offenders == []
