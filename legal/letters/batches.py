"""
Letter batches: one kind of letter for many cases, made on Celery.

`letter_batch_start` writes the batch and one item a case, and enqueues the
task on commit. The task (`letter_batch_run`) claims the waiting items a chunk
at a time and makes each chunk in ONE transaction:

- the claim is `select_for_update(skip_locked=True)`, so two workers take
  disjoint chunks; a worker killed mid-chunk rolls its chunk back, the items
  wait again, and the next run takes them (its files written before the kill
  have no Document row and are no letter);
- each letter passes the guard and is laid out (services.letter_draft); one
  that cannot be made is marked failed with a code and its facts, and the
  rest go on;
- the chunk's letters are laid out together as ONE WeasyPrint document per
  language (a PDF's fixed costs — fonts, subsetting — paid once a chunk, not
  once a letter), each letter's first page found from its anchor
  (`page.anchors`), the PDF written once and split into one PDF a letter with
  pikepdf; each letter's footer says "of 1" until its layout shows it longer,
  and the few longer ones are laid out again with their own count
  (letters_split);
- each is stored through services.letter_store, whose unique key (case, kind,
  day) makes a re-run or a second worker find the letter already made.

When no item waits, the last worker writes the ZIP and the merged PDF for
printing on the batch (once: the batch row is locked and its status checked).
"""

import contextlib
import io
import logging
import re
import tempfile
import zipfile

import pikepdf
from django.core.files import File
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.services import audit_record
from collection import compliance
from collection.models import Case
from legal.letters import services
from legal.letters.context import letter_context_prefetches
from legal.letters.services import GUARD_REFUSED, RENDER_FAILED, LetterDraft, LetterError
from legal.limitation import cases_limitation_refresh
from legal.models import DEMAND_KINDS, Document, LetterBatch, LetterBatchItem, LetterKind

logger = logging.getLogger("legal.letters")

CHUNK_SIZE = 100
# More than this in one batch is a job for the nightly strategy run, not a click.
BATCH_MOST_CASES = 20_000

BATCH_EMPTY = _("No case matches this filter: there is no letter to generate.")
BATCH_TOO_LARGE = _("A batch makes at most %(most)d letters; narrow the filter.")

_ARTICLE_TAG = re.compile(r"<article\b([^>]*)>", re.IGNORECASE)
_ID_ATTRIBUTE = re.compile(r"""\s+id\s*=\s*("[^"]*"|'[^']*'|[^\s>]+)""", re.IGNORECASE)


@transaction.atomic
def letter_batch_start(*, cases, kind: str, actor, issued_on=None) -> LetterBatch:
    """
    A batch of `kind` letters for `cases` (a queryset already scoped to the
    actor), one item a case, and its task enqueued once this commits.
    """
    if kind not in LetterKind.values:
        raise LetterError(services.LETTER_KIND_UNKNOWN, code="kind")
    case_ids = list(cases.order_by().values_list("pk", flat=True).distinct()[: BATCH_MOST_CASES + 1])
    if not case_ids:
        raise LetterError(BATCH_EMPTY, code="empty")
    if len(case_ids) > BATCH_MOST_CASES:
        raise LetterError(BATCH_TOO_LARGE, code="too_large", data={"most": BATCH_MOST_CASES})
    case_ids.sort()
    batch = LetterBatch.objects.create(
        kind=kind,
        issued_on=issued_on or timezone.localdate(),
        total=len(case_ids),
        created_by=actor,
        created_at=timezone.now(),
    )
    LetterBatchItem.objects.bulk_create(
        [LetterBatchItem(batch=batch, case_id=case_id) for case_id in case_ids], batch_size=1000
    )
    audit_record(
        action="legal.letter_batch.started", target=batch, actor=actor, data={"kind": kind, "letters": len(case_ids)}
    )
    transaction.on_commit(lambda: letter_batch_enqueue(batch_id=batch.pk))
    return batch


def letter_batch_enqueue(*, batch_id: int) -> None:
    """Send the batch's task (again: a batch whose worker died is taken up where it stopped)."""
    from legal.letters.tasks import letter_batch_run_task

    result = letter_batch_run_task.delay(batch_id)
    LetterBatch.objects.filter(pk=batch_id).update(task_id=str(result.id or "")[:64])


def letter_batch_run(*, batch_id: int, size: int = CHUNK_SIZE) -> bool:
    """Make every waiting letter of the batch, a chunk at a time; then its ZIP and merged PDF. True when done."""
    LetterBatch.objects.filter(pk=batch_id, status=LetterBatch.Status.QUEUED).update(status=LetterBatch.Status.RUNNING)
    while letter_batch_chunk_run(batch_id=batch_id, size=size):
        pass
    return letter_batch_finish(batch_id=batch_id)


@transaction.atomic
def letter_batch_chunk_run(*, batch_id: int, size: int = CHUNK_SIZE) -> int:
    """Claim up to `size` waiting items and make their letters, in one transaction; how many were claimed."""
    batch = LetterBatch.objects.select_related("created_by").get(pk=batch_id)
    items = list(
        LetterBatchItem.objects.select_for_update(skip_locked=True)
        .filter(batch_id=batch_id, status=LetterBatchItem.Status.PENDING)
        .order_by("id")[:size]
    )
    if not items:
        return 0
    actor = batch.created_by
    # What the guard and the letter read of each case, for the whole chunk in a few queries.
    cases = Case.objects.select_related("borrower", "portfolio").prefetch_related(
        "borrower__contact_points", *letter_context_prefetches()
    )
    cases = cases.in_bulk([item.case_id for item in items])
    made = dict(
        Document.objects.filter(case_id__in=cases, kind=batch.kind, issued_on=batch.issued_on).values_list(
            "case_id", "pk"
        )
    )
    versions = services.letter_versions_current(kind=batch.kind)
    drafts: dict[int, LetterDraft] = {}
    for item in items:
        if item.case_id in made:  # made today already, from the case page or another batch
            item.status, item.document_id = LetterBatchItem.Status.SKIPPED, made[item.case_id]
            continue
        try:
            drafts[item.pk] = services.letter_draft(
                case=cases[item.case_id], kind=batch.kind, issued_on=batch.issued_on, actor=actor, versions=versions
            )
        except compliance.ContactRefused as refused:
            # Recorded here, in the chunk's transaction: the chunk commits (this letter only is refused).
            compliance.refusal_record(refused)
            _fail(item, GUARD_REFUSED, {"rule": refused.verdict.rule})
        except LetterError as error:
            _fail(item, error.code, error.data)
    rendered = letters_render_together(list(drafts.items()))
    for item in items:
        if item.pk not in drafts:
            continue
        if item.pk not in rendered:
            _fail(item, RENDER_FAILED, {})
            continue
        content, pages = rendered[item.pk]
        document, created = services.letter_store(
            draft=drafts[item.pk],
            content=content,
            pages=pages,
            actor=actor,
            batch=batch,
            limitation_refresh=False,
        )
        item.document = document
        item.status = LetterBatchItem.Status.DONE if created else LetterBatchItem.Status.SKIPPED
    if batch.kind in DEMAND_KINDS:
        # The demand restarts each case's limitation period: one refresh for the chunk, not one a letter.
        cases_limitation_refresh(
            case_ids=[item.case_id for item in items if item.status == LetterBatchItem.Status.DONE]
        )
    LetterBatchItem.objects.bulk_update(items, ["status", "document", "error_code", "error_data"])
    return len(items)


def _fail(item: LetterBatchItem, code: str, data: dict) -> None:
    item.status, item.error_code, item.error_data = LetterBatchItem.Status.FAILED, code, data


def letters_render_together(drafts: list[tuple[int, LetterDraft]]) -> dict[int, tuple[bytes, int]]:
    """
    {key: (the letter's own PDF, its pages)} for `drafts` ([(key, draft)]),
    laid out together, one document per language. A document that fails is
    retried letter by letter, so one broken letter costs only itself.
    """
    by_language: dict[str, list[tuple[int, LetterDraft]]] = {}
    for key, draft in drafts:
        by_language.setdefault(draft.language, []).append((key, draft))
    rendered: dict[int, tuple[bytes, int]] = {}
    for language, group in by_language.items():
        try:
            parts = letters_split(
                [draft.article for _key, draft in group],
                language=language,
                anchors=[letter_anchor(draft) for _key, draft in group],
            )
        except Exception:  # WeasyPrint raises many kinds; fall back to one letter at a time
            logger.exception("a chunk of %d letters could not be laid out together", len(group))
            for key, draft in group:
                with contextlib.suppress(LetterError):
                    rendered[key] = services.letter_render(draft)
            continue
        rendered.update({key: part for (key, _draft), part in zip(group, parts, strict=True)})
    return rendered


def letter_anchor(draft: LetterDraft) -> str:
    # The layout's own id for the letter (legal.letters.layout); a case has one letter in a batch.
    return f"letter-{draft.case.pk}"


def article_anchored(article: str, anchor: str) -> str:
    """The letter's <article> with the id `anchor` (the layout gives it that id already; this makes sure)."""

    def tag(match):
        attributes = _ID_ATTRIBUTE.sub("", match.group(1))
        return f'<article id="{anchor}"{attributes}>'

    anchored, count = _ARTICLE_TAG.subn(tag, article, count=1)
    if not count:
        raise ValueError("a letter's layout is one <article>")
    return anchored


# The pages a letter is numbered "of" before its layout shows its real count: the default templates' one page.
PAGES_EXPECTED = 1
# Layouts of a chunk before a letter whose count keeps changing is laid out alone (numbered by its own document).
LAYOUT_ROUNDS = 3


def letters_split(articles: list[str], *, language: str, anchors: list[str]) -> list[tuple[bytes, int]]:
    """
    Lay `articles` out as one document, write its PDF once, and cut it into
    one PDF an article: [(pdf, pages)] in their order. Each letter is
    numbered "Page x of PAGES_EXPECTED" at first; the few whose layout came
    out of another length are laid out again together, numbered with the
    count they showed, until every letter's footer states its own length.
    """
    anchored = [article_anchored(article, anchor) for article, anchor in zip(articles, anchors, strict=True)]
    parts: list[tuple[bytes, int] | None] = [None] * len(articles)
    expected = dict.fromkeys(range(len(articles)), PAGES_EXPECTED)
    for _round in range(LAYOUT_ROUNDS):
        by_count: dict[int, list[int]] = {}
        for index, count in expected.items():
            by_count.setdefault(count, []).append(index)
        expected = {}
        for count, indices in by_count.items():
            laid_out = _letters_laid_out_split(
                [anchored[index] for index in indices], [anchors[index] for index in indices], language, count
            )
            for index, (content, pages) in zip(indices, laid_out, strict=True):
                if content is None:
                    expected[index] = pages
                else:
                    parts[index] = (content, pages)
        if not expected:
            return parts
    from legal.letters.layout import letter_pdf

    for index in expected:
        parts[index] = letter_pdf(anchored[index], language=language)
    return parts


def _letters_laid_out_split(
    articles: list[str], anchors: list[str], language: str, pages_each: int
) -> list[tuple[bytes | None, int]]:
    """
    [(pdf, pages)] of `articles` laid out as one document numbered "of
    `pages_each`"; (None, real pages) for a letter of another length (not written).
    """
    from documents.pdf import pdf_write
    from legal.letters.layout import letters_document_html, letters_laid_out

    document = letters_laid_out(letters_document_html(articles, language=language, pages_each=pages_each))
    wanted, starts = set(anchors), {}
    for number, page in enumerate(document.pages):
        for anchor in page.anchors:
            if anchor in wanted:
                starts.setdefault(anchor, number)
    if len(starts) != len(anchors):
        raise ValueError("a letter's first page was not found")
    firsts = [starts[anchor] for anchor in anchors]
    ranges = list(zip(firsts, [*firsts[1:], len(document.pages)], strict=True))
    right = [(first, end) for first, end in ranges if end - first == pages_each]
    written = []
    if right:
        # Only the pages of letters that state their length are written (usually all of them).
        kept = [page for first, end in right for page in document.pages[first:end]]
        with pikepdf.open(io.BytesIO(pdf_write(document.copy(kept)))) as whole:
            at = 0
            for first, end in right:
                part = pikepdf.new()
                part.pages.extend(whole.pages[at : at + end - first])
                at += end - first
                out = io.BytesIO()
                part.save(out)
                written.append(out.getvalue())
    written.reverse()
    return [(written.pop(), end - first) if end - first == pages_each else (None, end - first) for first, end in ranges]


def letter_batch_finish(*, batch_id: int) -> bool:
    """Once no item waits: the ZIP of the batch's letters and one merged PDF, stored on the batch. True when done."""
    with transaction.atomic():
        batch = LetterBatch.objects.select_for_update().get(pk=batch_id)
        if batch.status == LetterBatch.Status.DONE:
            return True
        if batch.items.filter(status=LetterBatchItem.Status.PENDING).exists():
            return False  # another worker still holds a chunk; it finishes the batch
        documents = [
            item.document
            for item in batch.items.filter(status=LetterBatchItem.Status.DONE)
            .select_related("document__case")
            .order_by("id")
        ]
        if documents:
            _bundle_store(batch, documents)
        batch.status = LetterBatch.Status.DONE
        batch.finished_at = timezone.now()
        batch.save(update_fields=["status", "finished_at", "zip_file", "merged_file"])
    return True


def _bundle_store(batch: LetterBatch, documents: list[Document]) -> None:
    # Spooled to temporary files, not memory: a batch may hold thousands of letters.
    with tempfile.TemporaryFile() as zip_out, tempfile.TemporaryFile() as merged_out:
        merged = pikepdf.new()
        sources = []
        with zipfile.ZipFile(zip_out, "w", compression=zipfile.ZIP_STORED) as archive:
            for document in documents:
                with document.file.open("rb") as stored:
                    content = stored.read()
                archive.writestr(document.filename, content)
                source = pikepdf.open(io.BytesIO(content))
                merged.pages.extend(source.pages)
                sources.append(source)  # open until the merged file is saved: its pages are read then
        merged.save(merged_out)
        for source in sources:
            source.close()
        batch.zip_file.save(f"{batch}-{batch.kind}.zip", File(zip_out), save=False)
        batch.merged_file.save(f"{batch}-{batch.kind}-print.pdf", File(merged_out), save=False)
