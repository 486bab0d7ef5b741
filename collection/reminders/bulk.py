"""
Bulk messages: one message kind on one channel to the cases a filtered queue
lists, started by a manager or a team lead, made on Celery with a progress bar.

`bulk_message_start` writes the batch with the cases' ids and enqueues the
task on commit. The task (`bulk_message_run`) takes the cases a chunk at a
time, each chunk in one transaction with the batch row locked (so two
workers never take the same chunk, and a worker killed mid-chunk leaves it
to the next run): one message a case through `message_queue`, with the key
`bulk:<batch>:<case>`, so a re-run queues none twice. The dispatcher sends
them in the borrower's allowed hours, and the guard judges each at send
time (a case on hold, a borrower who asked to stop: suppressed, recorded).
"""

from django.db import transaction
from django.db.models import Count
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.services import audit_record
from collection.errors import CollectionError
from collection.models import (
    MESSAGE_CHANNELS,
    BulkMessageBatch,
    Case,
    Channel,
    MessageKind,
    MessageOrigin,
    MessageStatus,
    OutboundMessage,
)
from lending.models import ContactPoint

CHUNK_SIZE = 200
# More than this is a job for a strategy, not a click.
BATCH_MOST_CASES = 20_000

BULK_EMPTY = _("No case matches this filter: there is nobody to send a message to.")
BULK_TOO_LARGE = _("A bulk message goes to at most %(most)d cases; narrow the filter.")
BULK_KIND_UNKNOWN = _("Choose a message.")
BULK_CHANNEL_UNKNOWN = _("Messages go by SMS, e-mail or in-app message.")


def bulk_key(*, batch_id: int, case_id: int) -> str:
    return f"bulk:{batch_id}:{case_id}"


@transaction.atomic
def bulk_message_start(*, cases, kind: str, channel: str, actor, source: str = "", source_query: str = ""):
    """A bulk message of `kind` on `channel` to `cases` (a queryset already scoped to the actor)."""
    if kind not in MessageKind.values:
        raise CollectionError(BULK_KIND_UNKNOWN, field="kind")
    if channel not in MESSAGE_CHANNELS:
        raise CollectionError(BULK_CHANNEL_UNKNOWN, field="channel")
    case_ids = sorted(set(cases.order_by().values_list("pk", flat=True)[: BATCH_MOST_CASES + 1]))
    if not case_ids:
        raise CollectionError(BULK_EMPTY)
    if len(case_ids) > BATCH_MOST_CASES:
        raise CollectionError(BULK_TOO_LARGE % {"most": BATCH_MOST_CASES})
    batch = BulkMessageBatch.objects.create(
        kind=kind,
        channel=channel,
        case_ids=case_ids,
        total=len(case_ids),
        source=source[:40],
        source_query=source_query[:1000],
        created_by=actor,
        created_at=timezone.now(),
    )
    audit_record(
        action="collection.bulk_message.started",
        target=batch,
        actor=actor,
        data={"kind": kind, "channel": channel, "cases": len(case_ids), "queue": source},
    )
    transaction.on_commit(lambda: bulk_message_enqueue(batch_id=batch.pk))
    return batch


def bulk_message_enqueue(*, batch_id: int) -> None:
    """Send the batch's task (again, for a batch whose worker died: it takes up where it stopped)."""
    from collection.reminders.tasks import bulk_message_run_task

    result = bulk_message_run_task.apply_async((batch_id,), queue="messages")
    BulkMessageBatch.objects.filter(pk=batch_id).update(task_id=str(result.id or "")[:64])


def bulk_message_run(*, batch_id: int, size: int = CHUNK_SIZE) -> bool:
    """Queue every message of the batch still to queue, a chunk at a time; True when all are."""
    BulkMessageBatch.objects.filter(pk=batch_id, status=BulkMessageBatch.Status.QUEUED).update(
        status=BulkMessageBatch.Status.RUNNING
    )
    while bulk_message_chunk_run(batch_id=batch_id, size=size):
        pass
    return BulkMessageBatch.objects.filter(pk=batch_id, status=BulkMessageBatch.Status.DONE).exists()


def _point_for(case: Case, channel: str):
    """The borrower's own contact point for `channel`, as the reminders choose it; None when there is none."""
    wanted = ContactPoint.Kind.EMAIL if channel == Channel.EMAIL else ContactPoint.Kind.MOBILE
    points = [
        point
        for point in case.borrower.contact_points.all()
        if point.owner == ContactPoint.Owner.BORROWER and point.kind == wanted and not point.do_not_contact
    ]
    points.sort(key=lambda point: (not point.is_primary, not point.is_verified, point.pk))
    return points[0] if points else None


@transaction.atomic
def bulk_message_chunk_run(*, batch_id: int, size: int = CHUNK_SIZE) -> int:
    """Queue the next chunk's messages, in one transaction with the batch locked; how many cases it took."""
    from collection.messaging.services import messages_queue_many

    batch = BulkMessageBatch.objects.select_for_update().select_related("created_by").get(pk=batch_id)
    chunk = batch.case_ids[batch.processed : batch.processed + size]
    if not chunk:
        if batch.status != BulkMessageBatch.Status.DONE:
            batch.status, batch.finished_at = BulkMessageBatch.Status.DONE, timezone.now()
            batch.save(update_fields=["status", "finished_at"])
            audit_record(
                action="collection.bulk_message.finished",
                target=batch,
                actor=None,
                data={"queued": batch.queued, "skipped": batch.skipped},
            )
        return 0
    cases = Case.objects.select_related("borrower").prefetch_related("borrower__contact_points").in_bulk(chunk)
    now = timezone.now()
    rows, skipped = [], 0
    for case_id in chunk:
        case = cases.get(case_id)
        point = _point_for(case, batch.channel) if case is not None else None
        if point is None:
            skipped += 1
            continue
        # Queued now, judged when it leaves: the sender asks the guard then and waits for the
        # borrower's contact hours (a bulk message started at night goes in the morning).
        rows.append(
            OutboundMessage(
                idempotency_key=bulk_key(batch_id=batch.pk, case_id=case.pk),
                origin=MessageOrigin.MANUAL,
                kind=batch.kind,
                channel=batch.channel,
                language=case.borrower.language,
                borrower=case.borrower,
                case=case,
                contact_point=point,
                actor=batch.created_by,
                created_at=now,
                scheduled_for=now,
            )
        )
    queued = messages_queue_many(rows)  # a re-run's rows are there already: none is queued twice
    batch.processed += len(chunk)
    batch.queued += queued
    batch.skipped += skipped
    batch.save(update_fields=["processed", "queued", "skipped"])
    return len(chunk)


def bulk_progress(batch: BulkMessageBatch) -> dict:
    """The bar's figures: cases done of the total, and what became of the messages queued so far."""
    statuses = dict(
        OutboundMessage.objects.filter(idempotency_key__startswith=f"bulk:{batch.pk}:")
        .values_list("status")
        .annotate(count=Count("pk"))
        .order_by()
    )
    return {
        "total": batch.total,
        "processed": batch.processed,
        "percent": round(100 * batch.processed / batch.total) if batch.total else 100,
        "statuses": [(status.label, statuses.get(status.value, 0), status.value) for status in MessageStatus],
        "waiting": statuses.get(MessageStatus.QUEUED, 0),
    }


def bulk_batches_visible_to(user):
    """Bulk messages a user may follow: their own; every one for those who see every case."""
    from accounts.permissions import Capability, user_can

    batches = BulkMessageBatch.objects.select_related("created_by")
    if user_can(user, Capability.VIEW_ALL_CASES):
        return batches
    return batches.filter(created_by=user)
