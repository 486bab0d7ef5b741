"""
The preview of an uploaded file: its header and first rows as decoded in the
declared encoding, before anything is applied, so that the person who sent it
sees garbled names (a file saved as GBK but sent as UTF-8) before they are
stored. The cells the schema refuses are marked with the reason. It reads the
stored file only as far as the rows shown and writes nothing.
"""

from contextlib import closing
from dataclasses import dataclass, field

from lending.intake.pipeline import header_columns
from lending.intake.reader import FileRejected, codec_of, csv_records
from lending.intake.schema import SCHEMAS
from lending.intake.services import _unwrapped
from lending.intake.upsert import Row, row_parser
from lending.models import ImportBatch

PREVIEW_ROWS = 10


@dataclass
class PreviewCell:
    value: str
    problem: str = ""


@dataclass
class PreviewRow:
    number: int
    cells: list[PreviewCell]


@dataclass
class Preview:
    header: list[str] = field(default_factory=list)
    rows: list[PreviewRow] = field(default_factory=list)
    # The file as a whole cannot be imported (no header, an unknown column, …).
    problem: str = ""
    more_rows: bool = False


def import_batch_preview(batch: ImportBatch, *, rows: int = PREVIEW_ROWS) -> Preview:
    preview = Preview()
    if not batch.file:
        return preview
    with batch.file.open("rb") as stored:
        # The upload was checked whole (import_batch_create with confirm_first): only the first rows are read.
        records = csv_records(_unwrapped(stored), codec_of(batch.encoding))
        with closing(records):
            _read(preview, batch, records, rows)
    return preview


def _read(preview: Preview, batch: ImportBatch, records, rows: int) -> None:
    try:
        header = next(records, None)
        if header is None:
            return
        preview.header = header[1]
        try:
            columns = header_columns(batch.kind, header[1])
        except FileRejected as rejection:
            preview.problem = rejection.reason
            columns = None
        parse = row_parser(SCHEMAS[batch.kind], columns) if columns else None
        for number, fields in records:
            if len(preview.rows) == rows:
                preview.more_rows = True
                break
            preview.rows.append(_row(number, fields, columns, parse))
    except (FileRejected, UnicodeDecodeError) as error:
        preview.problem = getattr(error, "reason", str(error))


def _row(number: int, fields: list[str], columns: list[str] | None, parse) -> PreviewRow:
    cells = [PreviewCell(value) for value in fields]
    if columns is None or parse is None or len(fields) != len(columns):
        return PreviewRow(number, cells)
    result = parse(Row(number, fields, columns))
    if isinstance(result, list):
        where = {name: index for index, name in enumerate(columns)}
        for error in result:
            if error.column in where:
                cells[where[error.column]].problem = error.reason
    return PreviewRow(number, cells)
