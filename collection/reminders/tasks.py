"""Celery tasks of the reminders and the dispatcher: thin, by date or none, safe to run twice."""

import datetime

from celery import shared_task


@shared_task(acks_late=True)
def reminders_queue_task(on: str | None = None) -> dict:
    """Queue the reminders due on `on` (YYYY-MM-DD, default the lender's today); a re-run queues nothing new."""
    from collection.reminders.queueing import reminders_queue
    from lending.services import lender_today

    return reminders_queue(on=datetime.date.fromisoformat(on) if on else lender_today())


@shared_task(acks_late=True)
def messages_dispatch_task(limit: int | None = None) -> int:
    """Send the due queued messages, a claimed batch at a time, for up to TASK_SECONDS."""
    from collection.reminders.dispatch import TASK_SECONDS, messages_dispatch_due

    return messages_dispatch_due(limit=limit, seconds=TASK_SECONDS)


@shared_task(acks_late=True)
def messages_dispatch_fanout_task() -> int:
    """The beat's minute: start DISPATCHERS dispatch tasks on the messages queue, which claim disjoint batches."""
    from collection.reminders.dispatch import DISPATCHERS

    for _ in range(DISPATCHERS):
        messages_dispatch_task.apply_async(queue="messages")
    return DISPATCHERS


@shared_task(acks_late=True)
def bulk_message_run_task(batch_id: int) -> bool:
    """Queue the bulk message's remaining messages; a re-run takes up where the last stopped."""
    from collection.reminders.bulk import bulk_message_run

    return bulk_message_run(batch_id=batch_id)


__all__ = ["bulk_message_run_task", "messages_dispatch_fanout_task", "messages_dispatch_task", "reminders_queue_task"]
