"""
Every write of the intake: import batches from files (browser upload and
management command), the JSON payments endpoint, and its tokens.

All three paths share the schema (lending.intake.schema), the row checks and
the upserts (lending.intake.upsert). A batch's outcome is one audit event:
lending.import.applied, .partly_applied, .rejected or .failed.
"""

import hashlib
import io
import logging
import secrets
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

from django.conf import settings
from django.core.files import File
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.services import audit_record
from lending.intake.pipeline import APPLYING, RejectedWhileApplying, apply_pass, check_pass, row_errors_store
from lending.intake.reader import ENCODING_UNKNOWN, FileRejected, file_inspect
from lending.intake.schema import SCHEMAS
from lending.intake.upsert import HANDLERS, Counts, Parsed, Row, RowError, parse_row
from lending.models import ImportBatch, IntakeToken

logger = logging.getLogger(__name__)

DEFAULT_MAX_FILE_BYTES = 200 * 1024 * 1024
API_MAX_ITEMS = 1000

KIND_UNKNOWN = _("Unknown kind of import: {kind}.")
FILE_TOO_LARGE = _("The file is {size} bytes; an import may be at most {limit} bytes.")
FILE_EMPTY_UPLOAD = _("The file is empty.")
MESSAGE_APPLIED = _("{rows} rows applied: {created} created, {updated} updated, {unchanged} unchanged.")
MESSAGE_PARTLY_APPLIED = _(
    "{bad} bad rows quarantined (see the error report); the other {rows} rows applied: "
    "{created} created, {updated} updated, {unchanged} unchanged."
)
MESSAGE_REJECTED = _("{bad} bad rows: nothing was applied. Fix the rows in the error report and send the file again.")
MESSAGE_FILE_REJECTED = _("The file was rejected: {reason} Nothing was applied.")
MESSAGE_FAILED = _("The import failed unexpectedly ({error}); nothing was applied.")
API_BODY_INVALID = _('The body must be a JSON payment object or {"payments": [...]}.')
API_TOO_MANY = _("At most {limit} payments per call.")
API_ITEM_NOT_OBJECT = _("Each payment must be a JSON object.")
API_UNKNOWN_FIELD = _("Unknown field.")
API_MISSING_FIELD = _("This field is required.")
API_NOT_TEXT = _("Must be a string or a number.")
API_CONFLICT = _("A concurrent call recorded one of these payments; send the call again.")
BATCH_NOT_WAITING = _("This import is no longer waiting for confirmation: it was applied or cancelled already.")
MESSAGE_CANCELLED = _("Cancelled after the preview; nothing was applied and the file was deleted.")
TOKEN_NAME_TAKEN = _("A token with this name exists already.")
TOKEN_NAME_REQUIRED = _("A token needs a name.")


class IntakeError(Exception):
    """An intake rule refused the request; the message is for the user."""


def max_file_bytes() -> int:
    return getattr(settings, "INTAKE_MAX_FILE_BYTES", DEFAULT_MAX_FILE_BYTES)


# --- Files -----------------------------------------------------------------------


def _sha256_of(fileobj) -> str:
    digest = hashlib.sha256()
    fileobj.seek(0)
    while chunk := fileobj.read(1 << 20):
        digest.update(chunk)
    fileobj.seek(0)
    return digest.hexdigest()


def _file_size(fileobj) -> int:
    size = getattr(fileobj, "size", None)
    if size is None:
        fileobj.seek(0, 2)
        size = fileobj.tell()
        fileobj.seek(0)
    return size


@transaction.atomic
def import_batch_create(
    *,
    kind: str,
    file,
    original_name: str = "",
    source: str = ImportBatch.Source.UPLOAD,
    encoding: str = ImportBatch.Encoding.UTF8,
    quarantine_bad_rows: bool = False,
    actor=None,
    enqueue: bool = True,
    confirm_first: bool = False,
) -> ImportBatch:
    """
    Store an uploaded file as a new PENDING batch and (unless `enqueue` is
    False, for the command that runs it at once) have a worker run it once
    this transaction commits. Files over the configured size are refused here,
    before anything is stored.

    With `confirm_first` (the browser upload) the file must decode in its
    declared encoding (IntakeError naming the byte and row otherwise) and the
    batch waits, as PREVIEW, for its sender to look at the first rows and
    apply it (import_batch_confirm) or cancel it (import_batch_cancel).
    """
    if kind not in SCHEMAS:
        raise IntakeError(str(KIND_UNKNOWN).format(kind=kind))
    if encoding not in ImportBatch.Encoding.values:
        raise IntakeError(str(ENCODING_UNKNOWN).format(encoding=encoding))
    size = _file_size(file)
    if size > max_file_bytes():
        raise IntakeError(str(FILE_TOO_LARGE).format(size=size, limit=max_file_bytes()))
    if size == 0:
        raise IntakeError(str(FILE_EMPTY_UPLOAD))
    if confirm_first:
        try:
            file_inspect(file, encoding)
        except FileRejected as rejection:
            raise IntakeError(rejection.reason) from None
        file.seek(0)
    name = Path(original_name or getattr(file, "name", "") or f"{kind}.csv").name
    batch = ImportBatch(
        kind=kind,
        source=source,
        status=ImportBatch.Status.PREVIEW if confirm_first else ImportBatch.Status.PENDING,
        encoding=encoding,
        original_name=name[:255],
        sha256=_sha256_of(file),
        quarantine_bad_rows=quarantine_bad_rows,
        created_by=actor,
    )
    batch.file.save(name, File(file, name=name), save=False)
    batch.save()
    if enqueue and not confirm_first:
        from lending.intake.tasks import import_run_task

        batch_id = batch.pk
        transaction.on_commit(lambda: import_run_task.delay(batch_id))
    return batch


def import_batch_confirm(*, batch: ImportBatch, actor=None) -> ImportBatch:
    """
    The sender saw the preview and applies the file: PREVIEW → PENDING (a
    conditional update, so a double click applies it once), and a worker runs
    it when this transaction commits.
    """
    with transaction.atomic():
        claimed = ImportBatch.objects.filter(pk=batch.pk, status=ImportBatch.Status.PREVIEW).update(
            status=ImportBatch.Status.PENDING
        )
        if not claimed:
            raise IntakeError(str(BATCH_NOT_WAITING))
        from lending.intake.tasks import import_run_task

        batch_id = batch.pk
        transaction.on_commit(lambda: import_run_task.delay(batch_id))
    batch.refresh_from_db()
    return batch


def import_batch_cancel(*, batch: ImportBatch, actor=None) -> ImportBatch:
    """The sender saw garbled rows in the preview: PREVIEW → CANCELLED, the stored file deleted, audited."""
    with transaction.atomic():
        claimed = ImportBatch.objects.filter(pk=batch.pk, status=ImportBatch.Status.PREVIEW).update(
            status=ImportBatch.Status.CANCELLED, message=str(MESSAGE_CANCELLED), finished_at=timezone.now()
        )
        if not claimed:
            raise IntakeError(str(BATCH_NOT_WAITING))
        batch.refresh_from_db()
        audit_record(
            action="lending.import.cancelled",
            target=batch,
            actor=actor,
            data={
                "kind": batch.kind,
                "source": batch.source,
                "file": batch.original_name,
                "sha256": batch.sha256,
                "encoding": batch.encoding,
                "rows": 0,
                "created": 0,
                "updated": 0,
                "unchanged": 0,
                "bad_rows": 0,
            },
        )
        stored = batch.file.name
        if stored:
            storage = batch.file.storage
            transaction.on_commit(lambda: storage.delete(stored))
            ImportBatch.objects.filter(pk=batch.pk).update(file="")
    batch.refresh_from_db()
    return batch


def import_file(
    *,
    kind: str,
    path: str | Path,
    encoding: str = ImportBatch.Encoding.UTF8,
    quarantine_bad_rows: bool = False,
    actor=None,
) -> ImportBatch:
    """The management command's way: store the file as a batch and run it here and now."""
    path = Path(path)
    with path.open("rb") as fileobj:
        batch = import_batch_create(
            kind=kind,
            file=fileobj,
            original_name=path.name,
            source=ImportBatch.Source.COMMAND,
            encoding=encoding,
            quarantine_bad_rows=quarantine_bad_rows,
            actor=actor,
            enqueue=False,
        )
    import_batch_run(batch_id=batch.pk)
    batch.refresh_from_db()
    return batch


def import_batch_run(*, batch_id: int) -> ImportBatch | None:
    """
    Run a PENDING batch. The conditional update claims it, so a batch that
    another worker runs or ran already is left alone (returns None).
    """
    claimed = ImportBatch.objects.filter(pk=batch_id, status=ImportBatch.Status.PENDING).update(
        status=ImportBatch.Status.RUNNING
    )
    if not claimed:
        return None
    batch = ImportBatch.objects.select_related("created_by").get(pk=batch_id)
    try:
        with batch.file.open("rb") as fileobj:
            _run(batch, _unwrapped(fileobj))
    except Exception as error:
        logger.exception("Import batch %s failed", batch_id)
        _finish_failed(batch, error)
    batch.refresh_from_db()
    return batch


def _unwrapped(fileobj):
    """The plain file under Django's File wrappers, which cost a property call on every read."""
    while not isinstance(fileobj, io.IOBase) and hasattr(fileobj, "file"):
        fileobj = fileobj.file
    return fileobj


def _run(batch: ImportBatch, fileobj) -> None:
    try:
        encoding, columns, outcome = check_pass(batch, fileobj)
    except FileRejected as rejection:
        _finish_file_rejected(batch, rejection)
        return
    batch.refresh_from_db(fields=["processed_rows", "total_rows", "error_count"])
    if outcome.bad_rows and not batch.quarantine_bad_rows:
        _finish(batch, outcome, status=ImportBatch.Status.REJECTED)
        return
    ImportBatch.objects.filter(pk=batch.pk).update(message=str(APPLYING), processed_rows=0)
    try:
        with transaction.atomic():
            apply_pass(batch, fileobj, encoding, columns, outcome)
            status = ImportBatch.Status.PARTLY_APPLIED if outcome.bad_rows else ImportBatch.Status.APPLIED
            _finish(batch, outcome, status=status)
    except RejectedWhileApplying as rejection:
        with transaction.atomic():
            row_errors_store(batch, rejection.errors)
            outcome.bad_rows.update(error.number for error in rejection.errors)
            outcome.counts = Counts()
            _finish(batch, outcome, status=ImportBatch.Status.REJECTED)


def _message(status: str, outcome, bad: int) -> str:
    counts = outcome.counts
    good_rows = counts.created + counts.updated + counts.unchanged
    values = {
        "rows": good_rows,
        "created": counts.created,
        "updated": counts.updated,
        "unchanged": counts.unchanged,
        "bad": bad,
    }
    template = {
        ImportBatch.Status.APPLIED: MESSAGE_APPLIED,
        ImportBatch.Status.PARTLY_APPLIED: MESSAGE_PARTLY_APPLIED,
        ImportBatch.Status.REJECTED: MESSAGE_REJECTED,
    }[status]
    return str(template).format(**values)


@transaction.atomic
def _finish(batch: ImportBatch, outcome, *, status: str, message: str = "") -> None:
    bad = len(outcome.bad_rows)
    applied = status != ImportBatch.Status.REJECTED
    batch.status = status
    batch.total_rows = outcome.total_rows
    batch.processed_rows = outcome.total_rows
    batch.created_count = outcome.counts.created if applied else 0
    batch.updated_count = outcome.counts.updated if applied else 0
    batch.unchanged_count = outcome.counts.unchanged if applied else 0
    batch.error_count = bad
    batch.message = (message or _message(status, outcome, bad))[:500]
    batch.finished_at = timezone.now()
    batch.save(
        update_fields=[
            "status",
            "total_rows",
            "processed_rows",
            "created_count",
            "updated_count",
            "unchanged_count",
            "error_count",
            "message",
            "finished_at",
        ]
    )
    audit_record(
        action=f"lending.import.{status}",
        target=batch,
        actor=batch.created_by,
        data={
            "kind": batch.kind,
            "source": batch.source,
            "file": batch.original_name,
            "sha256": batch.sha256,
            "rows": batch.total_rows,
            "created": batch.created_count,
            "updated": batch.updated_count,
            "unchanged": batch.unchanged_count,
            "bad_rows": bad,
        },
    )


def _finish_file_rejected(batch: ImportBatch, rejection: FileRejected) -> None:
    from lending.intake.pipeline import Outcome

    with transaction.atomic():
        row_errors_store(batch, [RowError(rejection.row, rejection.column, rejection.value, rejection.reason, {})])
        outcome = Outcome(bad_rows={rejection.row})
        outcome.total_rows = ImportBatch.objects.values_list("processed_rows", flat=True).get(pk=batch.pk)
        message = str(MESSAGE_FILE_REJECTED).format(reason=rejection.reason)
        _finish(batch, outcome, status=ImportBatch.Status.REJECTED, message=message)


@transaction.atomic
def _finish_failed(batch: ImportBatch, error: Exception) -> None:
    ImportBatch.objects.filter(pk=batch.pk).update(
        status=ImportBatch.Status.FAILED,
        message=str(MESSAGE_FAILED).format(error=type(error).__name__)[:500],
        finished_at=timezone.now(),
        created_count=0,
        updated_count=0,
        unchanged_count=0,
    )
    batch.refresh_from_db()
    audit_record(
        action="lending.import.failed",
        target=batch,
        actor=batch.created_by,
        data={"kind": batch.kind, "source": batch.source, "file": batch.original_name, "error": repr(error)[:300]},
    )


# --- The payments API ---------------------------------------------------------------


@dataclass
class ApiItemError:
    index: int
    field: str
    value: str
    reason: str


@dataclass
class ApiOutcome:
    batch: ImportBatch | None
    results: list[dict] = field(default_factory=list)
    errors: list[ApiItemError] = field(default_factory=list)
    counts: Counts = field(default_factory=Counts)


def _as_text(value) -> str | None:
    """A JSON value as the text a CSV cell would hold (numbers arrive as Decimal, never float)."""
    if value is None:
        return ""
    if isinstance(value, bool) or not isinstance(value, str | int | Decimal | float):
        return None
    return str(value)


def _api_rows(items: list) -> tuple[list[Row], list[RowError]]:
    schema = SCHEMAS[ImportBatch.Kind.PAYMENTS]
    rows, errors = [], []
    for index, item in enumerate(items):
        number = index + 1
        if not isinstance(item, dict):
            errors.append(RowError(number, "", "", str(API_ITEM_NOT_OBJECT), {}))
            continue
        raw = {str(key): str(value)[:300] for key, value in item.items()}
        cells, bad = {}, False
        for key, value in item.items():
            if key not in schema.by_name:
                errors.append(RowError(number, str(key)[:64], raw[str(key)], str(API_UNKNOWN_FIELD), raw))
                bad = True
                continue
            text = _as_text(value)
            if text is None:
                errors.append(RowError(number, key, raw[key], str(API_NOT_TEXT), raw))
                bad = True
                continue
            cells[key] = text
        for name in schema.required:
            if name not in item:
                errors.append(RowError(number, name, "", str(API_MISSING_FIELD), raw))
                bad = True
        if not bad:
            rows.append(Row(number, list(cells.values()), list(cells)))
    return rows, errors


def intake_payments_receive(
    *, items: list, token: IntakeToken, encoding: str = ImportBatch.Encoding.UTF8
) -> ApiOutcome:
    """
    Record the payments the core system sends, all or none: every call is a
    batch (source API) with its audit event. A payment whose external id is
    known already is "unchanged"; a call repeated changes nothing.
    """
    if len(items) > API_MAX_ITEMS:
        raise IntakeError(str(API_TOO_MANY).format(limit=API_MAX_ITEMS))
    from lending.intake.pipeline import Outcome

    with transaction.atomic():
        batch = ImportBatch.objects.create(
            kind=ImportBatch.Kind.PAYMENTS,
            source=ImportBatch.Source.API,
            status=ImportBatch.Status.RUNNING,
            encoding=encoding,
            original_name=f"API: {token.name}"[:255],
            total_rows=len(items),
        )
    outcome = Outcome(total_rows=len(items))
    rows, errors = _api_rows(items)
    schema = SCHEMAS[ImportBatch.Kind.PAYMENTS]
    handler = HANDLERS[ImportBatch.Kind.PAYMENTS](batch=batch, columns=schema.names)
    parsed = []
    for row in rows:
        result = parse_row(schema, row)
        if isinstance(result, Parsed):
            parsed.append(result)
        else:
            errors.extend(result)
    api = ApiOutcome(batch=batch)
    try:
        with transaction.atomic():
            good, more = handler.check(parsed)
            errors += more
            if not errors:
                from lending.models import Payment

                known = set(
                    Payment.objects.filter(external_id__in=[item.values["external_id"] for item in good]).values_list(
                        "external_id", flat=True
                    )
                )
                counts, apply_errors = handler.apply(good)
                errors += apply_errors
                if errors:
                    raise RejectedWhileApplying(errors)
                outcome.counts = counts
                api.counts = counts
                api.results = [
                    {
                        "index": item.number - 1,
                        "external_id": item.values["external_id"],
                        "status": "unchanged" if item.values["external_id"] in known else "created",
                    }
                    for item in sorted(good, key=lambda item: item.number)
                ]
                _finish(batch, outcome, status=ImportBatch.Status.APPLIED)
    except RejectedWhileApplying:
        pass
    except IntegrityError:
        # Two calls raced to record the same payment: the loser is told to retry
        # (the retry finds the payment and counts it unchanged).
        errors = [RowError(0, "", "", str(API_CONFLICT), {})]
    except Exception as error:
        _finish_failed(batch, error)
        raise
    if errors:
        with transaction.atomic():
            row_errors_store(batch, errors)
            outcome.bad_rows = {error.number for error in errors}
            outcome.counts = Counts()
            _finish(batch, outcome, status=ImportBatch.Status.REJECTED)
        api.results = []
        api.errors = [
            ApiItemError(index=error.number - 1, field=error.column, value=error.value, reason=error.reason)
            for error in sorted(errors, key=lambda error: error.number)
        ]
    batch.refresh_from_db()
    return api


# --- Tokens ------------------------------------------------------------------------


def _token_hash(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


@transaction.atomic
def intake_token_create(*, name: str, actor=None) -> tuple[IntakeToken, str]:
    """A new token for the core system: returns it with its key, which is shown once and never stored."""
    name = name.strip()
    if not name:
        raise IntakeError(str(TOKEN_NAME_REQUIRED))
    if IntakeToken.objects.filter(name=name).exists():
        raise IntakeError(str(TOKEN_NAME_TAKEN))
    key = secrets.token_urlsafe(32)
    token = IntakeToken.objects.create(name=name, key_sha256=_token_hash(key))
    audit_record(action="lending.intake_token.created", target=token, actor=actor, data={"name": name})
    return token, key


def intake_token_authenticate(*, key: str) -> IntakeToken | None:
    """The active token with this key, or None."""
    if not key:
        return None
    token = IntakeToken.objects.filter(key_sha256=_token_hash(key), is_active=True).first()
    if token is not None:
        IntakeToken.objects.filter(pk=token.pk).update(last_used_at=timezone.now())
    return token
