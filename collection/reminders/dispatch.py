"""
The dispatcher: the one way queued messages of any origin (reminders,
strategy steps, bulk messages) go out once their moment has come.

`messages_dispatch_due` claims due queued rows in capped batches — a
conditional update of `claimed_until` (a lease), the candidates read with
`select_for_update(skip_locked=True)` on PostgreSQL, so several worker
processes take disjoint batches — and hands each to the messaging part's
`message_send`, which claims the row once more for itself, asks the guard,
renders and sends, or suppresses or re-schedules it. A worker killed in the
middle leaves its batch claimed until the lease runs out; the next run takes
those rows again, and `message_send`'s own claim and the row's status make
each go out once.

Celery: the beat sends `messages_dispatch_fanout_task` every minute; it
starts `DISPATCHERS` copies of `messages_dispatch_task` on the "messages"
queue, each sending batches until nothing is due or its time is up.
"""

import datetime
import logging
import time

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Q
from django.utils import timezone

from collection.models import MessageStatus, OutboundMessage

logger = logging.getLogger("collection.reminders")

BATCH_SIZE = 200
# How long a claimed batch is reserved to its worker (the sender's own claim, MESSAGES_CLAIM_SECONDS):
# longer than a batch takes to send; a killed worker's batch is taken again after it.
CLAIM_LEASE = datetime.timedelta(seconds=getattr(settings, "MESSAGES_CLAIM_SECONDS", 5 * 60))
# How long one dispatch task keeps claiming batches (the beat starts the next a minute later).
TASK_SECONDS = 50
# Dispatch tasks the beat starts at once, one a worker process to share the minute's work.
DISPATCHERS = getattr(settings, "MESSAGE_DISPATCHERS", 2)


def _due(now: datetime.datetime):
    return OutboundMessage.objects.filter(status=MessageStatus.QUEUED, scheduled_for__lte=now).filter(
        Q(claimed_until__isnull=True) | Q(claimed_until__lt=now)
    )


def messages_due_claim(*, now: datetime.datetime, size: int = BATCH_SIZE) -> list[int]:
    """Claim up to `size` due queued messages for this worker (their ids, oldest moment first)."""
    lease = now + CLAIM_LEASE
    with transaction.atomic():
        due = _due(now).order_by("scheduled_for", "pk")
        if connection.features.has_select_for_update_skip_locked:
            ids = list(due.select_for_update(skip_locked=True).values_list("pk", flat=True)[:size])
        else:  # SQLite: one writer at a time, the transaction alone keeps claims apart
            ids = list(due.values_list("pk", flat=True)[:size])
        if not ids:
            return []
        # Conditional: only rows still due and unclaimed become ours.
        _due(now).filter(pk__in=ids).update(claimed_until=lease)
        return list(OutboundMessage.objects.filter(pk__in=ids, claimed_until=lease).values_list("pk", flat=True))


def messages_dispatch_due(
    *, now: datetime.datetime | None = None, limit: int | None = None, seconds: float | None = None
) -> int:
    """
    Send the queued messages whose moment has passed (at `now`, the current
    time by default), a claimed batch at a time, at most `limit` and for at
    most `seconds`; returns how many were handed to the sender.
    """
    from collection.messaging.services import message_send

    started = time.monotonic()
    handed = 0
    while limit is None or handed < limit:
        if seconds is not None and time.monotonic() - started > seconds:
            break
        at = now or timezone.now()
        size = BATCH_SIZE if limit is None else min(BATCH_SIZE, limit - handed)
        ids = messages_due_claim(now=at, size=size)
        if not ids:
            break
        for message_id in ids:
            # Hand the row over: the sender claims it for itself (conditionally, so only one sender can).
            OutboundMessage.objects.filter(pk=message_id, status=MessageStatus.QUEUED).update(claimed_until=None)
            try:
                left_queued = message_send(message_id=message_id, now=now).status == MessageStatus.QUEUED
            except Exception:
                # A poison message must not stop the queue behind it: logged, and left to the next run.
                logger.exception("message %s could not be sent", message_id)
                left_queued = True
            if left_queued:
                # Still queued and due (a transient failure): out of this run's way until the lease ends.
                _due(at).filter(pk=message_id).update(claimed_until=at + CLAIM_LEASE)
            handed += 1
    return handed
