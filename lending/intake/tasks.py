"""The intake's Celery task: run one import batch, once."""

from celery import shared_task


@shared_task(name="lending.intake.tasks.import_run_task")
def import_run_task(batch_id: int) -> str | None:
    """Idempotent: a batch that is not PENDING (running or finished) is left alone."""
    from lending.intake.services import import_batch_run

    batch = import_batch_run(batch_id=batch_id)
    return batch.status if batch is not None else None
