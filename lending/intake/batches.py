"""
Import batches from files: storing an upload or a command's file as a batch
(size, kind and encoding checked before anything is stored), the preview's
confirm and cancel, and `import_file`, the management command's store-and-run.

Running a stored batch (the passes, the outcome, the audit event) is
lending.intake.batch_run's.
"""

import hashlib
from pathlib import Path

from django.conf import settings
from django.core.files import File
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.services import audit_record
from lending.intake.batch_run import import_batch_run
from lending.intake.errors import IntakeError
from lending.intake.reader import ENCODING_UNKNOWN, FileRejected, file_inspect
from lending.intake.schema import SCHEMAS
from lending.models import ImportBatch

DEFAULT_MAX_FILE_BYTES = 200 * 1024 * 1024

KIND_UNKNOWN = _("Unknown kind of import: {kind}.")
FILE_TOO_LARGE = _("The file is {size} bytes; an import may be at most {limit} bytes.")
FILE_EMPTY_UPLOAD = _("The file is empty.")
BATCH_NOT_WAITING = _("This import is no longer waiting for confirmation: it was applied or cancelled already.")
MESSAGE_CANCELLED = _("Cancelled after the preview; nothing was applied and the file was deleted.")


def max_file_bytes() -> int:
    return getattr(settings, "INTAKE_MAX_FILE_BYTES", DEFAULT_MAX_FILE_BYTES)


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
