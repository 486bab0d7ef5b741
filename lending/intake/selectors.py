"""Reads of the intake: import batches and their bad rows, for those who may import."""

from accounts.permissions import Capability, user_can
from lending.models import ImportBatch, ImportRowError


def import_batches_visible_to(user):
    if not user_can(user, Capability.IMPORT_DATA):
        return ImportBatch.objects.none()
    return ImportBatch.objects.select_related("created_by")


def import_row_errors(batch: ImportBatch):
    return ImportRowError.objects.filter(batch=batch).order_by("row_number", "id")


def import_batch_same_file_before(batch: ImportBatch) -> ImportBatch | None:
    """The latest earlier batch of the same kind with the very same file (SHA-256), if any."""
    if not batch.sha256:
        return None
    return (
        ImportBatch.objects.filter(kind=batch.kind, sha256=batch.sha256, pk__lt=batch.pk)
        .order_by("-pk")
        .only("pk", "created_at")
        .first()
    )
