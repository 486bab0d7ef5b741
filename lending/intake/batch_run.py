"""
Running a stored batch: the claim (PENDING → RUNNING, once), the check pass,
then all-or-nothing apply or, with quarantine, the good rows applied and the
bad ones kept in the error report; and the finish: the batch's counts and
message, and its one audit event (lending.import.applied, .partly_applied,
.rejected or .failed).

The passes themselves are lending.intake.pipeline's; the payments API
(lending.intake.payments_api) finishes its batches with the same `_finish`.
"""

import io
import logging

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.services import audit_record
from lending.intake.pipeline import APPLYING, RejectedWhileApplying, apply_pass, check_pass, row_errors_store
from lending.intake.reader import FileRejected
from lending.intake.upsert import Counts, RowError
from lending.models import ImportBatch

logger = logging.getLogger(__name__)

MESSAGE_APPLIED = _("{rows} rows applied: {created} created, {updated} updated, {unchanged} unchanged.")
MESSAGE_PARTLY_APPLIED = _(
    "{bad} bad rows quarantined (see the error report); the other {rows} rows applied: "
    "{created} created, {updated} updated, {unchanged} unchanged."
)
MESSAGE_REJECTED = _("{bad} bad rows: nothing was applied. Fix the rows in the error report and send the file again.")
MESSAGE_FILE_REJECTED = _("The file was rejected: {reason} Nothing was applied.")
MESSAGE_FAILED = _("The import failed unexpectedly ({error}); nothing was applied.")


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
