"""
The one writer every CSV export goes through, now and later.

A spreadsheet opening a CSV file runs any cell that begins with `=`, `+`,
`-` or `@` (and some read a leading tab or carriage return the same way) as a
formula: a borrower's name `=HYPERLINK("http://x", "Li Na")` in an import
error report becomes a link in a manager's Excel. So every text cell that
begins with one of those characters, or with spaces before one, gets a
leading `'` (OWASP's CSV injection rule; `\\0` too, as ASVS 1.2.10 adds),
which spreadsheets read as "this is text" and hide.

Numbers are not text: an `int`, `Decimal` or finite `float` is written as it
is, so an amount of `-12.50` stays a number a spreadsheet can add up (OWASP
allows it: a number cannot carry a formula). The same characters as *text*
(`"-12.50"`) are neutralised like any other text; pass amounts as `Decimal`.

XLSX is not written here yet: openpyxl is not among the requirements. A
spreadsheet writer added later belongs in this module and puts every cell
through `safe_cell` too.

Rows are streamed: `csv_lines` yields one line at a time (write them to a
file with `file.writelines(...)`), `csv_response` wraps them in a download.
"""

import csv
import math
from collections.abc import Iterable, Iterator, Sequence
from decimal import Decimal

from django.http import StreamingHttpResponse
from django.utils.http import content_disposition_header

# What a spreadsheet may read as the start of a formula.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "\0")
TEXT_MARK = "'"
# The byte order mark that makes Excel read a CSV file as UTF-8 (Chinese names).
BOM = "\ufeff"

Cell = str | int | float | Decimal


def safe_cell(value) -> Cell:
    """One cell as a spreadsheet may open it without running it; None is an empty cell."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, int | Decimal | float) and _finite(value):
        return value
    text = str(value)
    if text.lstrip(" ").startswith(FORMULA_STARTS):
        return TEXT_MARK + text
    return text


def safe_row(row: Iterable) -> list[Cell]:
    return [safe_cell(value) for value in row]


class _Line:
    """A file-like object whose write() hands back the line: csv.writer then yields strings."""

    def write(self, line: str) -> str:
        return line


def csv_lines(rows: Iterable[Iterable], *, header: Sequence | None = None, bom: bool = False) -> Iterator[str]:
    """The rows (and the header first) as CSV lines, every cell made safe, one line at a time."""
    writer = csv.writer(_Line())
    if bom:
        yield BOM
    if header is not None:
        yield writer.writerow(safe_row(header))
    for row in rows:
        yield writer.writerow(safe_row(row))


def csv_response(
    rows: Iterable[Iterable], *, filename: str, header: Sequence | None = None, bom: bool = True
) -> StreamingHttpResponse:
    """
    A CSV download that streams the rows as they are read (iterate a queryset
    with `.iterator()`). The BOM is on by default: these files are opened in Excel.
    """
    response = StreamingHttpResponse(csv_lines(rows, header=header, bom=bom), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = content_disposition_header(as_attachment=True, filename=filename)
    return response


def _finite(number: int | float | Decimal) -> bool:
    if isinstance(number, Decimal):
        return number.is_finite()
    if isinstance(number, float):
        return math.isfinite(number)
    return True
