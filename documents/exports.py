"""
The one writer every CSV and XLSX export goes through, now and later.

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

XLSX goes through the same rule: every text cell is `safe_cell`'s text and
is written as a string cell, never as a formula or an error value (openpyxl
would read a text beginning with `=` as a formula, and `#N/A` as an error);
the control characters XML cannot hold are dropped. Numbers stay numbers; a
`Decimal` is written as a number rounded to two decimals and shown with
them (`0.00`), a date as a date. Booleans and everything else are text, as
in CSV.

Rows are streamed: `csv_lines` yields one line at a time (write them to a
file with `file.writelines(...)`), `csv_response` wraps them in a download.
`xlsx_write` writes a write-only workbook (openpyxl keeps one row in memory,
not the sheet) to a file, and `xlsx_response` serves it from a temporary
file on disk, read back in blocks.
"""

import csv
import datetime
import math
import tempfile
from collections.abc import Iterable, Iterator, Sequence
from decimal import ROUND_HALF_UP, Decimal

from django.http import FileResponse, StreamingHttpResponse
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


# --- XLSX ------------------------------------------------------------------------------

XLSX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
MONEY_FORMAT = "0.00"
DATE_FORMAT = "yyyy-mm-dd"
CENT = Decimal("0.01")
# What XML 1.0 cannot hold (openpyxl refuses a cell with one): C0 controls but tab, newline and return.
_XML_ILLEGAL = dict.fromkeys([*range(0x00, 0x09), 0x0B, 0x0C, *range(0x0E, 0x20)])
# A sheet's name: at most 31 characters, none of []:*?/\
_SHEET_TITLE_BAD = str.maketrans(dict.fromkeys("[]:*?/\\", "_"))


def _xlsx_cell(sheet, value, *, bold: bool = False):
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Font

    if isinstance(value, datetime.date) and not isinstance(value, datetime.datetime):
        cell = WriteOnlyCell(sheet, value=value)
        cell.number_format = DATE_FORMAT
        return cell
    safe = safe_cell(value)
    if isinstance(safe, Decimal):
        cell = WriteOnlyCell(sheet, value=safe.quantize(CENT, rounding=ROUND_HALF_UP))
        cell.number_format = MONEY_FORMAT
        return cell
    if isinstance(safe, int | float):
        return WriteOnlyCell(sheet, value=safe)
    cell = WriteOnlyCell(sheet, value=safe.translate(_XML_ILLEGAL))
    cell.data_type = "s"  # text, whatever it looks like: never a formula ("=...") nor an error ("#N/A")
    if bold:
        cell.font = Font(bold=True)
    return cell


def xlsx_write(
    rows: Iterable[Iterable], fileobj, *, header: Sequence | None = None, sheet_title: str = "Sheet1"
) -> None:
    """The rows (and the header first, in bold) as one sheet of a write-only workbook, saved to `fileobj`."""
    from openpyxl import Workbook

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(title=(str(sheet_title).translate(_SHEET_TITLE_BAD)[:31] or "Sheet1"))
    if header is not None:
        sheet.append([_xlsx_cell(sheet, value, bold=True) for value in header])
    for row in rows:
        sheet.append([_xlsx_cell(sheet, value) for value in row])
    workbook.save(fileobj)


def xlsx_response(
    rows: Iterable[Iterable], *, filename: str, header: Sequence | None = None, sheet_title: str = "Sheet1"
) -> FileResponse:
    """
    An XLSX download. A workbook is a zip file, written whole before its
    first byte can be sent: it is written to a temporary file (removed when
    the response is closed) and streamed from there, so a large sheet never
    sits in memory.
    """
    spool = tempfile.TemporaryFile()  # noqa: SIM115 (FileResponse closes it when the response is sent)
    xlsx_write(rows, spool, header=header, sheet_title=sheet_title)
    spool.seek(0)
    return FileResponse(spool, as_attachment=True, filename=filename, content_type=XLSX_CONTENT_TYPE)


def _finite(number: int | float | Decimal) -> bool:
    if isinstance(number, Decimal):
        return number.is_finite()
    if isinstance(number, float):
        return math.isfinite(number)
    return True
