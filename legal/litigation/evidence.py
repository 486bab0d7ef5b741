"""
A litigation file's exhibits: uploaded, checked, numbered, reordered and
removed.

An upload is trusted for nothing it says about itself: its type is read from
its content (the `filetype` library's magic numbers), never from its name or
the browser's Content-Type, so a `.pdf` that is really an executable, a ZIP or
an HTML page is refused. Only PDF, PNG and JPEG are exhibits a court accepts
in a bundle; a PDF must open (pikepdf, which also counts its pages) and an
image must decode. The file is stored on the "evidence" storage, outside the
web root, under its SHA-256, and served only by a view that checks the user
may see the case (legal/views/files.py).

Once the file is filed with the court its exhibits are what the court has:
they can still be added to, but no longer reordered or removed.
"""

import hashlib
from io import BytesIO

import filetype
import pikepdf
from django.conf import settings
from django.core.files.base import ContentFile
from django.db import transaction
from django.db.models import Max
from django.template.defaultfilters import filesizeformat
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.services import audit_record
from collection.services.timeline import event_record
from legal.litigation import events
from legal.litigation.files import FILE_CLOSED, FILED_OR_LATER, LitigationError, _locked
from legal.models import Evidence, LitigationFile

# What a court bundle can carry, by the type its content shows → the extension it is stored with.
ALLOWED_TYPES = {"application/pdf": ".pdf", "image/png": ".png", "image/jpeg": ".jpg"}

NOT_ALLOWED = _("Only PDF, PNG and JPEG files can be exhibits; this file's content is %(kind)s.")
UNKNOWN_CONTENT = _("an unknown type (not a PDF or an image)")
DAMAGED_PDF = _("The PDF cannot be read: it is damaged or encrypted.")
DAMAGED_IMAGE = _("The image cannot be read: it is damaged.")
TOO_LARGE = _("The file is too large: exhibits may be at most %(limit)s.")
EMPTY = _("The file is empty.")
FIXED_AFTER_FILING = _("The claim is filed: its exhibits can no longer be reordered or removed.")
NAME_REQUIRED = _("Give the exhibit a name.")


def evidence_max_bytes() -> int:
    return int(settings.EVIDENCE_MAX_BYTES)


def evidence_content_check(content: bytes) -> tuple[str, str, int]:
    """(content type, extension, pages) of an upload read from its bytes, or LitigationError saying why not."""
    if not content:
        raise LitigationError(EMPTY, field="upload")
    guessed = filetype.guess(content)
    if guessed is None or guessed.mime not in ALLOWED_TYPES:
        kind = f"{guessed.mime} (.{guessed.extension})" if guessed is not None else UNKNOWN_CONTENT
        raise LitigationError(NOT_ALLOWED % {"kind": kind}, field="upload")
    if guessed.mime == "application/pdf":
        try:
            with pikepdf.open(BytesIO(content)) as pdf:
                pages = len(pdf.pages)
        except (pikepdf.PdfError, pikepdf.PasswordError, ValueError) as error:
            raise LitigationError(DAMAGED_PDF, field="upload") from error
        if pages < 1:
            raise LitigationError(DAMAGED_PDF, field="upload")
    else:
        from PIL import Image, UnidentifiedImageError

        try:
            with Image.open(BytesIO(content)) as image:
                image.verify()
        except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as error:
            raise LitigationError(DAMAGED_IMAGE, field="upload") from error
        pages = 1
    return guessed.mime, ALLOWED_TYPES[guessed.mime], pages


def _read_upload(upload) -> bytes:
    limit = evidence_max_bytes()
    size = getattr(upload, "size", None)
    if size is not None and size > limit:
        raise LitigationError(TOO_LARGE % {"limit": filesizeformat(limit)}, field="upload")
    upload.seek(0)
    content = upload.read(limit + 1)
    if len(content) > limit:
        raise LitigationError(TOO_LARGE % {"limit": filesizeformat(limit)}, field="upload")
    return content


def evidence_add(
    *, file: LitigationFile, kind: str, name: str, upload, actor, source: str = "", proves: str = ""
) -> Evidence:
    """
    Check an uploaded exhibit by its content, store it on the evidence
    storage and put it last in the file's exhibit list.
    """
    name = name.strip()
    if not name:
        raise LitigationError(NAME_REQUIRED, field="name")
    content = _read_upload(upload)
    content_type, extension, pages = evidence_content_check(content)
    sha256 = hashlib.sha256(content).hexdigest()
    with transaction.atomic():
        file = _locked(file)
        if not file.is_open:
            raise LitigationError(FILE_CLOSED)
        last = Evidence.objects.filter(file=file).aggregate(last=Max("position"))["last"]
        evidence = Evidence(
            file=file,
            kind=Evidence.Kind(kind),
            name=name,
            source=source.strip(),
            proves=proves.strip(),
            position=(last or 0) + 1,
            original_name=(getattr(upload, "name", "") or "")[:255],
            content_type=content_type,
            extension=extension,
            size=len(content),
            sha256=sha256,
            pages=pages,
            uploaded_by=actor,
            uploaded_at=timezone.now(),
        )
        evidence.stored.save(f"{sha256}{extension}", ContentFile(content), save=False)
        # If the rows below fail after the write, the stored bytes would be orphaned: remove them then.
        stored_name, storage = evidence.stored.name, evidence.stored.storage
        try:
            evidence.save()
            facts = events.evidence_changed(evidence, events.EVIDENCE_ADDED)
            event_record(case=file.case, facts=facts, actor=actor)
            audit_record(action="legal.evidence.added", target=file, actor=actor, data=facts.data)
        except Exception:
            storage.delete(stored_name)
            raise
    return evidence


def _reorderable(file: LitigationFile) -> None:
    if file.status in FILED_OR_LATER:
        raise LitigationError(FIXED_AFTER_FILING)
    if not file.is_open:
        raise LitigationError(FILE_CLOSED)


def _renumber(file: LitigationFile, ordered_ids: list[int]) -> None:
    for position, evidence_id in enumerate(ordered_ids, start=1):
        Evidence.objects.filter(pk=evidence_id, file=file).exclude(position=position).update(position=position)


def evidence_move(*, evidence: Evidence, actor, direction: str = "", position: int | None = None) -> None:
    """
    Move an exhibit one place up or down, or to a numbered place (1 is the
    first); the others close up behind it and are numbered 1..n again.
    """
    with transaction.atomic():
        file = _locked(evidence.file)
        _reorderable(file)
        ids = list(Evidence.objects.filter(file=file).order_by("position", "id").values_list("id", flat=True))
        if evidence.pk not in ids:
            return
        current = ids.index(evidence.pk)
        if position is not None:
            target = min(max(int(position), 1), len(ids)) - 1
        elif direction == "up":
            target = max(current - 1, 0)
        elif direction == "down":
            target = min(current + 1, len(ids) - 1)
        else:
            target = current
        ids.insert(target, ids.pop(current))
        _renumber(file, ids)
        if target != current:
            audit_record(
                action="legal.evidence.moved",
                target=file,
                actor=actor,
                data={"evidence": evidence.pk, "from": current + 1, "to": target + 1},
            )


def evidence_remove(*, evidence: Evidence, actor) -> None:
    """Remove an exhibit before the claim is filed; its stored file goes once the removal is committed."""
    with transaction.atomic():
        file = _locked(evidence.file)
        _reorderable(file)
        evidence = Evidence.objects.select_for_update().get(pk=evidence.pk, file=file)
        evidence.file = file
        facts = events.evidence_changed(evidence, events.EVIDENCE_REMOVED)
        stored_name, storage = evidence.stored.name, evidence.stored.storage
        evidence.delete()
        _renumber(
            file, list(Evidence.objects.filter(file=file).order_by("position", "id").values_list("id", flat=True))
        )
        event_record(case=file.case, facts=facts, actor=actor)
        audit_record(action="legal.evidence.removed", target=file, actor=actor, data=facts.data)
        # The same bytes may be another exhibit of this file (a second upload): keep them then.
        if not Evidence.objects.filter(file=file, sha256=evidence.sha256).exists():
            transaction.on_commit(lambda: storage.delete(stored_name))
