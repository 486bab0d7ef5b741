"""
Running one import file: two streaming passes over the stored file.

1. Checking: every row is parsed and checked (types, references, duplicates
   within the file), chunk by chunk, committing progress and the bad rows as
   it goes, so the progress bar moves and nothing is held in memory but a
   chunk and the numbers of the bad rows.
2. Applying, only if the file may be applied (no bad row, or quarantine
   asked for): the rows are read again and upserted in ONE transaction, so a
   file applies entirely or not at all.

lending.intake.services wraps this with the claim, the audit event and the
handling of the unexpected.
"""

import time
from dataclasses import dataclass, field

from django.utils.translation import gettext_lazy as _

from lending.intake.progress import ApplyProgress
from lending.intake.reader import FILE_EMPTY, FileRejected, csv_records, file_inspect
from lending.intake.schema import SCHEMAS
from lending.intake.upsert import HANDLERS, WRONG_FIELD_COUNT, Counts, Handler, Parsed, Row, RowError
from lending.models import ImportBatch, ImportRowError
from lending.services import collector_paused

CHUNK_ROWS = 2000
PROGRESS_EVERY_SECONDS = 0.5

HEADER_MISSING_COLUMNS = _("The header lacks the required columns: {columns}.")
HEADER_UNKNOWN_COLUMNS = _("The header has columns that {kind} imports do not have: {columns}. Known columns: {known}.")
HEADER_REPEATED_COLUMNS = _("The header names these columns more than once: {columns}.")

CHECKING = _("Checking the rows…")
APPLYING = _("Applying the rows…")


@dataclass
class Outcome:
    counts: Counts = field(default_factory=Counts)
    bad_rows: set[int] = field(default_factory=set)
    total_rows: int = 0
    rejected_file: bool = False


class RejectedWhileApplying(Exception):
    """Rows turned bad between the two passes (in strict mode): undo everything."""

    def __init__(self, errors):
        super().__init__(f"{len(errors)} rows")
        self.errors = errors


def row_errors_store(batch: ImportBatch, errors: list[RowError]) -> None:
    ImportRowError.objects.bulk_create(
        [
            ImportRowError(
                batch=batch,
                row_number=error.number,
                column=error.column[:64],
                value=str(error.value)[:300],
                reason=str(error.reason)[:300],
                raw=error.raw,
            )
            for error in errors
        ],
        batch_size=1000,
    )


def header_columns(kind: str, header: list[str]) -> list[str]:
    """The header's column names, or FileRejected naming what is missing, unknown or repeated."""
    schema = SCHEMAS[kind]
    names = [name.strip().lower() for name in header]
    repeated = sorted({name for name in names if names.count(name) > 1})
    missing = [name for name in schema.required if name not in names]
    unknown = [name for name in names if name not in schema.by_name]
    if missing:
        columns = ", ".join(missing)
        raise FileRejected(str(HEADER_MISSING_COLUMNS).format(columns=columns), column=columns)
    if unknown:
        columns = ", ".join(unknown)
        reason = str(HEADER_UNKNOWN_COLUMNS).format(
            kind=ImportBatch.Kind(kind).label, columns=columns, known=", ".join(schema.names)
        )
        raise FileRejected(reason, column=columns)
    if repeated:
        columns = ", ".join(repeated)
        raise FileRejected(str(HEADER_REPEATED_COLUMNS).format(columns=columns), column=columns)
    return names


def rows_in_chunks(records, columns: list[str], skip: set[int], size: int | None = None):
    """Chunks of (rows, errors) from the records after the header; rows with the wrong field count are errors."""
    size = size or CHUNK_ROWS
    rows, errors = [], []
    for number, fields in records:
        if number in skip:
            continue
        if len(fields) != len(columns):
            reason = str(WRONG_FIELD_COUNT).format(found=len(fields), expected=len(columns))
            errors.append(RowError(number, "", "", reason, {"fields": fields[:100]}))
        else:
            rows.append(Row(number, fields, columns))
        if len(rows) + len(errors) >= size:
            yield rows, errors
            rows, errors = [], []
    if rows or errors:
        yield rows, errors


def _check_chunk(handler: Handler, rows: list[Row]) -> tuple[list[Parsed], list[RowError]]:
    parsed, errors = [], []
    for row in rows:
        result = handler.parse(row)
        if isinstance(result, Parsed):
            parsed.append(result)
        else:
            errors.extend(result)
    good, more = handler.check(parsed)
    return good, errors + more


def _records(fileobj, encoding):
    records = csv_records(fileobj, encoding)
    header = next(records, None)
    return header, records


def check_pass(batch: ImportBatch, fileobj) -> tuple[str, list[str], Outcome]:
    """Pass 1: decode the file in its declared encoding, check the header and every row; store the bad rows."""
    facts = file_inspect(fileobj, batch.encoding)
    estimate = max(0, facts.line_count - 1)
    ImportBatch.objects.filter(pk=batch.pk).update(total_rows=estimate, message=str(CHECKING))
    header, records = _records(fileobj, facts.encoding)
    if header is None:
        raise FileRejected(str(FILE_EMPTY))
    columns = header_columns(batch.kind, header[1])
    handler = HANDLERS[batch.kind](batch=batch, columns=columns)
    outcome = Outcome()
    processed = 0
    reported_at = time.monotonic()
    with collector_paused():  # hundreds of thousands of short-lived objects
        for rows, errors in rows_in_chunks(records, columns, set()):
            processed += len(rows) + len(errors)  # the errors so far: rows with the wrong field count
            _good, more = _check_chunk(handler, rows)
            errors += more
            row_errors_store(batch, errors)
            outcome.bad_rows.update(error.number for error in errors)
            # Each update is a commit: a few a second are plenty for a progress bar.
            if time.monotonic() - reported_at >= PROGRESS_EVERY_SECONDS:
                reported_at = time.monotonic()
                ImportBatch.objects.filter(pk=batch.pk).update(
                    processed_rows=processed, total_rows=max(estimate, processed), error_count=len(outcome.bad_rows)
                )
    outcome.total_rows = processed
    return facts.encoding, columns, outcome


def apply_pass(batch: ImportBatch, fileobj, encoding: str, columns: list[str], outcome: Outcome) -> None:
    """
    Pass 2, inside the caller's transaction: read the rows again, skip the
    known bad ones, upsert the rest. Rows found bad only now (by the payment
    service, or because the database changed between the passes) are
    quarantined too; in strict mode the rest of the file is only checked, so
    the report is complete, and everything is undone.
    """
    handler = HANDLERS[batch.kind](batch=batch, columns=columns, applying=True)
    _header, records = _records(fileobj, encoding)
    rejected: list[RowError] | None = None
    with collector_paused(), ApplyProgress(batch) as progress:  # a payments chunk holds 100,000 rows
        for rows, errors in rows_in_chunks(records, columns, outcome.bad_rows, CHUNK_ROWS * handler.apply_chunk_factor):
            good, more = _check_chunk(handler, rows)
            errors += more
            if rejected is not None:
                rejected += errors + (handler.check_only(good) if good else [])
                continue
            counts, apply_errors = handler.apply(good) if good else (Counts(), [])
            errors += apply_errors
            if errors and not batch.quarantine_bad_rows:
                rejected = errors
                continue
            row_errors_store(batch, errors)
            outcome.bad_rows.update(error.number for error in errors)
            outcome.counts.add(counts)
            last_row = max([row.number for row in rows] + [error.number for error in errors])
            progress.report(min(outcome.total_rows, last_row - 1))
    if rejected:
        raise RejectedWhileApplying(rejected)
