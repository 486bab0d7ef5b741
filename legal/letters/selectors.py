"""
Reads of the letters: a case's letters for its page, a letter for download
and a batch with its progress — each scoped through collection's case scope
(cases_visible_to), so a letter is seen by exactly those who see its case.
"""

from django.db.models import Count, Q, QuerySet
from django.shortcuts import get_object_or_404

from accounts.permissions import Capability, user_can
from collection.filters import CaseQueueFilter
from collection.models import Stage
from collection.selectors.cases import case_visible_get, cases_visible_to
from collection.selectors.queues import QUEUES, queue_cases, queue_teams
from legal.models import Document, LetterBatch, LetterBatchItem

# Where a batch's cases come from: a collectors' queue (by its key) or the legal officer's cases.
LEGAL_SOURCE = "legal"


def letters_readable(user) -> bool:
    """
    Who reads a case's letters (beside seeing the case): those who send them,
    legal officers and whoever sees every case. A field agent sees the case
    for a visit, not its correspondence.
    """
    return any(
        user_can(user, capability)
        for capability in (Capability.SEND_LETTERS, Capability.WORK_LEGAL, Capability.VIEW_ALL_CASES)
    )


def case_letters(case) -> QuerySet[Document]:
    """The case's letters, newest first, with what the section shows (one query)."""
    return (
        Document.objects.filter(case=case)
        .select_related("template_version", "created_by")
        .only(
            "id",
            "case_id",
            "kind",
            "issued_on",
            "language",
            "pages",
            "created_at",
            "batch_id",
            "template_version__number",
            "created_by__username",
            "created_by__first_name",
            "created_by__last_name",
        )
        .order_by("-issued_on", "-id")
    )


def letter_visible_get(user, pk: int) -> Document:
    """A letter whose case the user may see, else 404."""
    document = get_object_or_404(Document.objects.select_related("case"), pk=pk)
    case_visible_get(user, document.case_id)
    return document


def batch_source_cases(user, params) -> QuerySet | None:
    """
    The cases a batch would write to: the queue named by params["queue"] (or
    the legal officer's cases, "legal") narrowed by the queue's own filter
    from the same parameters, scoped to the user. None when the user may not
    open that source.
    """
    key = params.get("queue", "")
    if key == LEGAL_SOURCE:
        if not user_can(user, Capability.WORK_LEGAL):
            return None
        cases, teams = cases_visible_to(user).filter(stage=Stage.LEGAL), None
    else:
        queue = next((queue for queue in QUEUES if queue.key == key), None)
        if queue is None or not user_can(user, queue.capability):
            return None
        cases, teams = queue_cases(user=user, queue=queue), queue_teams(user=user, queue=queue)
    # The queue's own filter, so the batch writes to exactly the cases the queue listed (closed ones left out).
    return CaseQueueFilter(params, queryset=cases, teams=teams).qs


def batches_visible_to(user) -> QuerySet[LetterBatch]:
    """Batches a user may follow: their own; every batch for those who see every case."""
    batches = LetterBatch.objects.select_related("created_by")
    if user_can(user, Capability.VIEW_ALL_CASES):
        return batches
    return batches.filter(created_by=user)


def batch_visible_get(user, pk: int) -> LetterBatch:
    return get_object_or_404(batches_visible_to(user), pk=pk)


def batch_progress(batch: LetterBatch) -> dict:
    """How many of the batch's letters are made, skipped, failed and waiting (one query)."""
    Status = LetterBatchItem.Status
    counts = batch.items.aggregate(
        done=Count("id", filter=Q(status=Status.DONE)),
        skipped=Count("id", filter=Q(status=Status.SKIPPED)),
        failed=Count("id", filter=Q(status=Status.FAILED)),
        pending=Count("id", filter=Q(status=Status.PENDING)),
    )
    total = batch.total or sum(counts.values())
    finished = counts["done"] + counts["skipped"] + counts["failed"]
    return {**counts, "total": total, "finished": finished, "percent": round(100 * finished / total) if total else 100}


def batch_failed_items(batch: LetterBatch) -> QuerySet[LetterBatchItem]:
    return (
        batch.items.filter(status=LetterBatchItem.Status.FAILED)
        .select_related("case")
        .only("id", "case__id", "case__opened_on", "error_code", "error_data", "batch_id")
        .order_by("id")
    )
