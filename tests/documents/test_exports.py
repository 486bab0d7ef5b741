"""documents.exports: the one formula-safe CSV writer."""

import csv
import io
from decimal import Decimal
from pathlib import Path

import pytest

from documents.exports import csv_lines, csv_response, safe_cell

ROOT = Path(__file__).resolve().parent.parent.parent
# The project's own code; bench/ and tests/ write input files, not exports.
APPS = ["accounts", "config", "documents", "lending", "collection", "legal", "portfolio"]


def read(lines) -> list[list[str]]:
    return list(csv.reader(io.StringIO("".join(lines).removeprefix("\ufeff"))))


@pytest.mark.parametrize(
    "text",
    ['=HYPERLINK("http://x")', "+1", "-2", "@SUM(A1:A2)", "\tx", "\rx", "\0x", '  =HYPERLINK("http://x")'],
    ids=["equals", "plus", "minus", "at", "tab", "carriage-return", "null", "spaces-then-equals"],
)
def test_a_text_cell_that_could_start_a_formula_gets_a_leading_quote(text):
    assert safe_cell(text) == "'" + text
    assert read(csv_lines([[text]])) == [["'" + text]]


@pytest.mark.parametrize("text", ["Li Na", "张伟", "", "a=b", "x-1", "'quoted", "2026-03-02", "1.5"])
def test_other_text_is_written_as_it_is(text):
    assert safe_cell(text) == text


@pytest.mark.parametrize("number", [Decimal("-12.50"), -3, 7, 0.25, Decimal("1012.50")])
def test_a_real_number_stays_a_number_even_when_negative(number):
    assert safe_cell(number) == number
    assert read(csv_lines([[number]])) == [[str(number)]]


def test_negative_amounts_as_text_are_neutralised_like_any_text():
    assert safe_cell("-12.50") == "'-12.50"


@pytest.mark.parametrize("number", [float("-inf"), float("nan"), Decimal("-Infinity")])
def test_a_number_that_is_not_finite_is_text(number):
    assert safe_cell(number) in {"'-inf", "nan", "'-Infinity"}


def test_none_is_an_empty_cell_and_booleans_are_words():
    assert read(csv_lines([[None, True, False]])) == [["", "True", "False"]]


def test_lazy_translations_and_other_objects_are_text():
    from django.utils.translation import gettext_lazy

    assert safe_cell(gettext_lazy("Log in")) == "Log in"
    assert safe_cell(Path("-rf")) == "'-rf"


def test_the_header_is_made_safe_too():
    assert read(csv_lines([["B1"]], header=["=cmd|' /C calc'!A0"])) == [["'=cmd|' /C calc'!A0"], ["B1"]]


def test_quotes_commas_and_newlines_stay_inside_their_cell():
    rows = read(csv_lines([['say "hi", then\nleave', "next"]]))
    assert rows == [['say "hi", then\nleave', "next"]]


def test_lines_are_streamed_one_row_at_a_time():
    def rows():
        yield ["first"]
        raise AssertionError("read too far")

    lines = csv_lines(rows(), header=["h"])
    assert next(lines) == "h\r\n"
    assert next(lines) == "first\r\n"


def test_the_bom_comes_first_only_when_asked():
    assert next(csv_lines([["x"]], bom=True)) == "\ufeff"
    assert next(csv_lines([["x"]])) == "x\r\n"


def test_the_response_is_a_streamed_utf8_download_with_a_bom():
    response = csv_response([["张伟", "=1+2"]], filename="report.csv", header=["name", "note"])
    assert response.streaming
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"] == 'attachment; filename="report.csv"'
    content = b"".join(response.streaming_content)
    assert content.startswith("\ufeff".encode())
    assert read([content.decode("utf-8")]) == [["name", "note"], ["张伟", "'=1+2"]]


def test_a_filename_with_quotes_cannot_break_the_header():
    response = csv_response([], filename='a"; b.csv')
    assert response["Content-Disposition"] == 'attachment; filename="a\\"; b.csv"'


def test_no_app_writes_csv_except_through_this_module():
    offenders = [
        str(path.relative_to(ROOT))
        for app in APPS
        if (ROOT / app).is_dir()
        for path in (ROOT / app).rglob("*.py")
        if path != ROOT / "documents" / "exports.py"
        and any(call in path.read_text(encoding="utf-8") for call in ("csv.writer(", "csv.DictWriter("))
    ]
    assert offenders == []
