"""Celery tasks of the letters: thin, by id, safe to run twice (legal/letters/batches.py says why)."""

from celery import shared_task


@shared_task(acks_late=True)
def letter_batch_run_task(batch_id: int) -> bool:
    """Make the batch's waiting letters, then its ZIP and merged PDF; a re-run takes up what is left."""
    from legal.letters.batches import letter_batch_run

    return letter_batch_run(batch_id=batch_id)


__all__ = ["letter_batch_run_task"]
