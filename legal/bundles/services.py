"""
Court bundles: a legal officer asks for one (`bundle_request`), a Celery
worker builds it (`bundle_build`), the file's page polls its progress.

A build reads the file's data as it is when the worker starts; it is claimed
with a conditional update (QUEUED → RUNNING), so a task delivered twice
builds once. A known problem (a stored exhibit missing or altered, a file
that is no PDF) is recorded on the bundle as a code and shown to the reader
in their language; an unexpected one too, logged with its traceback — never
a 500 on the page that polls.
"""

import datetime
import hashlib
import logging

from django.conf import settings
from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.permissions import Capability, user_can
from accounts.services import audit_record
from legal.bundles.problems import BundleProblem, Problem
from legal.models import CourtBundle, FileStatus, LitigationFile

logger = logging.getLogger("legal.bundles")

BUNDLE_LANGUAGES = ("zh-hans", "en")
NOT_ALLOWED = _("Only a legal officer builds court bundles.")
FILE_NOT_ACCEPTED = _("A bundle is built for a file legal has accepted.")
ALREADY_BUILDING = _("A bundle of this file is already being built.")
UNKNOWN_LANGUAGE = _("A bundle is built in Chinese or English.")
# What the progress bar says for each step the build records.
STEP_LABELS = {
    "queued": _("Waiting for a worker"),
    "collect": _("Reading the file's data"),
    "layout": _("Laying out the sections"),
    "merge": _("Merging the letters and exhibits"),
    "stamp": _("Numbering the pages"),
    "store": _("Storing the bundle"),
    "done": _("Ready"),
}
# Files that are not (yet, or any more) legal's to take to court.
NOT_BUILDABLE = frozenset({FileStatus.REFERRED, FileStatus.AWAITING_APPROVAL, FileStatus.REJECTED})


class BundleError(Exception):
    """A rule refused the request; the message is for the user."""


def bundle_language_for(file: LitigationFile) -> str:
    """The borrower's language if a bundle can be written in it, else English."""
    language = file.case.borrower.language
    return language if language in BUNDLE_LANGUAGES else "en"


def bundle_request(*, file: LitigationFile, actor, language: str | None = None) -> CourtBundle:
    """A new build of the file's bundle, queued; a worker builds it once this transaction commits."""
    if not user_can(actor, Capability.WORK_LEGAL):
        raise BundleError(str(NOT_ALLOWED))
    if language is not None and language not in BUNDLE_LANGUAGES:
        raise BundleError(str(UNKNOWN_LANGUAGE))
    with transaction.atomic():
        # The file's row is the lock: two clicks at once queue one build.
        file = LitigationFile.objects.select_for_update().select_related("case__borrower").get(pk=file.pk)
        if file.status in NOT_BUILDABLE:
            raise BundleError(str(FILE_NOT_ACCEPTED))
        building = [CourtBundle.Status.QUEUED, CourtBundle.Status.RUNNING]
        # A build older than Celery's hard time limit will never finish (its worker died): it failed.
        stale_before = timezone.now() - datetime.timedelta(seconds=settings.CELERY_TASK_TIME_LIMIT)
        CourtBundle.objects.filter(file=file, status__in=building, requested_at__lt=stale_before).update(
            status=CourtBundle.Status.FAILED, error=str(Problem.INTERRUPTED), finished_at=timezone.now()
        )
        if CourtBundle.objects.filter(file=file, status__in=building).exists():
            raise BundleError(str(ALREADY_BUILDING))
        bundle = CourtBundle.objects.create(
            file=file,
            language=language or bundle_language_for(file),
            requested_by=actor,
            requested_at=timezone.now(),
            step="queued",
        )
        audit_record(
            action="legal.bundle.requested",
            target=bundle,
            actor=actor,
            data={"file": file.pk, "language": bundle.language},
        )
        bundle_id = bundle.pk
        transaction.on_commit(lambda: _enqueue(bundle_id))
    return bundle


def _enqueue(bundle_id: int) -> None:
    from legal.bundles.tasks import bundle_build_task

    result = bundle_build_task.delay(bundle_id)
    CourtBundle.objects.filter(pk=bundle_id, task_id="").update(task_id=result.id or "")


def _progress(bundle_id: int):
    def record(step: str, percent: int) -> None:
        # Its own write, outside any transaction, so the page polling sees it at once.
        CourtBundle.objects.filter(pk=bundle_id, status=CourtBundle.Status.RUNNING).update(
            step=step, progress=min(max(percent, 0), 100)
        )

    return record


def bundle_download_record(*, bundle: CourtBundle, actor) -> None:
    """A bundle carries the borrower's whole national id: who took a copy is audited."""
    audit_record(action="legal.bundle.downloaded", target=bundle, actor=actor, data={"file": bundle.file_id})


def bundle_mark_failed(*, bundle: CourtBundle, code: str) -> CourtBundle:
    CourtBundle.objects.filter(pk=bundle.pk).update(
        status=CourtBundle.Status.FAILED, error=code[:300], finished_at=timezone.now()
    )
    bundle.refresh_from_db()
    return bundle


def bundle_build(*, bundle: CourtBundle) -> CourtBundle:
    """
    Build a queued bundle: its PDF, SHA-256, page count and manifest stored on
    it. A bundle that is not QUEUED (another worker has it, or it is finished)
    is left as it is.
    """
    from legal.bundles.builder import bundle_pdf_make
    from legal.bundles.data import bundle_data_read

    claimed = CourtBundle.objects.filter(pk=bundle.pk, status=CourtBundle.Status.QUEUED).update(
        status=CourtBundle.Status.RUNNING, step="collect", progress=5
    )
    if not claimed:
        bundle.refresh_from_db()
        return bundle
    progress = _progress(bundle.pk)
    try:
        data = bundle_data_read(bundle.file, bundle.language)
        built = bundle_pdf_make(data, progress)
    except BundleProblem as problem:
        return bundle_mark_failed(bundle=bundle, code=problem.code)
    except Exception:
        logger.exception("court bundle %s failed", bundle.pk)
        return bundle_mark_failed(bundle=bundle, code=str(Problem.UNEXPECTED))
    progress("store", 95)
    with transaction.atomic():
        bundle = CourtBundle.objects.select_for_update().get(pk=bundle.pk)
        bundle.pdf.save(f"{bundle.file.number}-bundle-{bundle.pk}.pdf", ContentFile(built.content), save=False)
        bundle.sha256 = hashlib.sha256(built.content).hexdigest()
        bundle.pages = built.pages
        bundle.manifest = built.manifest
        bundle.status = CourtBundle.Status.DONE
        bundle.step = "done"
        bundle.progress = 100
        bundle.error = ""
        bundle.finished_at = timezone.now()
        bundle.save(
            update_fields=["pdf", "sha256", "pages", "manifest", "status", "step", "progress", "error", "finished_at"]
        )
        audit_record(
            action="legal.bundle.built",
            target=bundle,
            actor=None,
            data={"file": bundle.file_id, "pages": bundle.pages, "sha256": bundle.sha256},
        )
    return bundle
