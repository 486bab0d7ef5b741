"""
Generating letters: one from the case page (`letter_generate`), or many in a
batch (legal/letters/batches.py), which shares the steps below.

A letter is a contact: the compliance guard is asked first (a cease-contact
request or a dispute lets only a legally required notice through; a threat of
legal action on a time-barred US debt is refused), and a refusal is written
to the refusal log. The letter is then laid out from the template version in
the borrower's language (legal.letters.layout), rendered with WeasyPrint,
stored through Django's storage API (so production may keep it in object
storage) with its SHA-256 and page count, written on the case timeline, and,
for a demand, restarts the limitation period.

The unique key (case, kind, issued_on) is the idempotency key: a second
request on the same day gets the letter already made, never a second file.
"""

import hashlib
import logging
from dataclasses import dataclass, field

from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.db.models import F, prefetch_related_objects
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.services import audit_record
from collection import compliance
from collection.errors import CollectionError
from collection.models import Case, Channel
from collection.services.timeline import event_record
from documents.templating import TemplateProblem
from legal.letters import events
from legal.models import (
    DEMAND_KINDS,
    LEGALLY_REQUIRED_KINDS,
    THREATENING_KINDS,
    Document,
    LetterKind,
    LetterTemplateVersion,
)
from lending.models import ContactPoint

logger = logging.getLogger("legal.letters")

LANGUAGES = ("zh-hans", "en")
ADDRESS_KINDS = (ContactPoint.Kind.HOME_ADDRESS, ContactPoint.Kind.WORK_ADDRESS)

# Problem codes, stored on a failed batch item (error_code) and read back for the reader (batch page).
NO_TEMPLATE = "no_template"
TEMPLATE_PROBLEM = "template_problem"
RENDER_FAILED = "render_failed"
GUARD_REFUSED = "guard"

LETTER_KIND_UNKNOWN = _("Choose a kind of letter.")
LETTER_NO_TEMPLATE = _("There is no template for this kind of letter yet: a manager or legal officer adds one.")
LETTER_TEMPLATE_PROBLEM = _("The letter's template has a mistake (line %(line)s): ask its editor to correct it.")
LETTER_RENDER_FAILED = _("The letter could not be laid out as a PDF.")


class LetterError(CollectionError):
    """A letter cannot be made; `code` and `data` are what a batch item stores, the message is for the user."""

    def __init__(self, message, *, code: str, data: dict | None = None):
        self.code = code
        self.data = data or {}
        super().__init__(message % self.data if self.data else message)


@dataclass
class LetterDraft:
    """A letter that passed the guard, laid out as one <article>, waiting to be rendered and stored."""

    case: Case
    kind: str
    issued_on: object
    language: str
    version: LetterTemplateVersion
    context: dict
    article: str
    facts: dict = field(default_factory=dict)


def letter_languages(preferred: str | None) -> list[str]:
    """The preferred language first, then the other one (a template may exist in one only)."""
    first = preferred if preferred in LANGUAGES else LANGUAGES[0]
    return [first, *(language for language in LANGUAGES if language != first)]


def letter_version_pick(*, kind: str, language: str | None, versions: dict | None = None) -> LetterTemplateVersion:
    """
    The current template version of `kind` in `language`, else in the other
    language; LetterError when neither exists. `versions` ({(kind, language):
    version}) lets a batch read them once.
    """
    if versions is None:
        versions = letter_versions_current(kind=kind)
    for candidate in letter_languages(language):
        version = versions.get((kind, candidate))
        if version is not None:
            return version
    raise LetterError(LETTER_NO_TEMPLATE, code=NO_TEMPLATE)


def letter_versions_current(*, kind: str) -> dict:
    """{(kind, language): current version} of one kind, in one query."""
    versions = LetterTemplateVersion.objects.filter(
        template__kind=kind, template__current_version_id=F("pk")
    ).select_related("template")
    return {(version.template.kind, version.template.language): version for version in versions}


def letter_address_point(case: Case) -> ContactPoint | None:
    """The borrower's own postal address the letter goes to: the primary one, a home address before a work one."""
    points = [
        point
        for point in case.borrower.contact_points.all()
        if point.kind in ADDRESS_KINDS and not point.is_third_party
    ]
    points.sort(key=lambda point: (not point.is_primary, point.kind != ContactPoint.Kind.HOME_ADDRESS, point.pk))
    return points[0] if points else None


def letter_guard(*, case: Case, kind: str, actor) -> None:
    """Ask the compliance guard; ContactRefused (with the rule and its reason) when the letter may not go."""
    compliance.contact_require(
        case=case,
        channel=Channel.LETTER,
        contact_point=letter_address_point(case),
        legally_required_notice=kind in LEGALLY_REQUIRED_KINDS,
        threatens_legal_action=kind in THREATENING_KINDS,
        actor=actor,
        action=f"letter.{kind}",
    )


def letter_draft(*, case: Case, kind: str, issued_on, actor, language=None, versions=None) -> LetterDraft:
    """The guard, the template version and the letter's one <article>; ContactRefused or LetterError otherwise."""
    from legal.letters.context import letter_context
    from legal.letters.layout import letter_article_html

    letter_guard(case=case, kind=kind, actor=actor)
    version = letter_version_pick(kind=kind, language=language or case.borrower.language, versions=versions)
    language = version.template.language
    context = letter_context(case=case, issued_on=issued_on, language=language, kind=kind)
    try:
        article = letter_article_html(case=case, template_version=version, context=context)
    except TemplateProblem as problem:
        raise LetterError(
            LETTER_TEMPLATE_PROBLEM, code=TEMPLATE_PROBLEM, data={"line": problem.lineno or "?", "version": version.pk}
        ) from problem
    return LetterDraft(case, kind, issued_on, language, version, context, article, letter_facts(context))


def letter_facts(context: dict) -> dict:
    """The amounts and deadline the letter states, as strings, for the court bundle and the timeline."""
    facts = {}
    amounts = context.get("amounts")
    if isinstance(amounts, dict):
        facts["amounts"] = {str(key): str(value) for key, value in amounts.items()}
    for key in ("currency", "deadline", "reference"):
        if context.get(key) is not None:
            facts[key] = str(context[key])
    return facts


def letter_filename(*, case: Case, kind: str, issued_on) -> str:
    return f"{case.number}-{kind}-{issued_on:%Y%m%d}.pdf"


def letter_store(
    *, draft: LetterDraft, content: bytes, pages: int, actor, batch=None, limitation_refresh: bool = True
) -> tuple[Document, bool]:
    """
    Store the rendered letter as a Document, with its timeline line, audit
    row and limitation refresh (a batch passes limitation_refresh=False and
    refreshes its whole chunk at once): (document, True). When the case already has
    its letter of this kind today — the unique key, met inside a savepoint —
    (that letter, False), and the file just written is removed again.
    Call it inside a transaction.
    """
    case = draft.case
    document = Document(
        case=case,
        kind=draft.kind,
        issued_on=draft.issued_on,
        template_version=draft.version,
        language=draft.language,
        sha256=hashlib.sha256(content).hexdigest(),
        size=len(content),
        pages=pages,
        facts=draft.facts,
        batch=batch,
        created_by=actor if getattr(actor, "pk", None) else None,
        created_at=timezone.now(),
    )
    document.file = ContentFile(content, name=letter_filename(case=case, kind=draft.kind, issued_on=draft.issued_on))
    try:
        with transaction.atomic():
            document.save()
    except IntegrityError:
        # Someone made it first (another worker, a second click): theirs stands; ours never existed.
        if document.file.name:
            document.file.storage.delete(document.file.name)
        return Document.objects.get(case=case, kind=draft.kind, issued_on=draft.issued_on), False
    event_record(case=case, facts=events.letter_generated(document=document), actor=actor)
    audit_record(
        action="legal.letter.generated",
        target=case,
        actor=actor if getattr(actor, "pk", None) else None,
        data={"document": document.pk, "kind": draft.kind, "language": draft.language, "batch": document.batch_id},
    )
    if limitation_refresh and draft.kind in DEMAND_KINDS:
        from legal.limitation import case_limitation_refresh

        case_limitation_refresh(case=case)
    return document, True


def letter_render(draft: LetterDraft) -> tuple[bytes, int]:
    """One letter alone as a PDF, and its number of pages (the case page's path; a batch lays out many at once)."""
    from legal.letters.layout import letter_pdf

    try:
        return letter_pdf(draft.article, language=draft.language)
    except Exception as error:  # WeasyPrint raises many kinds; the letter is simply not made
        logger.exception("letter of case %s could not be rendered", draft.case.pk)
        raise LetterError(LETTER_RENDER_FAILED, code=RENDER_FAILED) from error


def letter_case_get(case_id: int) -> Case:
    """The case with what the guard and the letter read, in one query (and its contact points in a second)."""
    return (
        Case.objects.select_related("borrower", "portfolio")
        .prefetch_related("borrower__contact_points")
        .get(pk=case_id)
    )


@compliance.refusals_recorded
@transaction.atomic
def letter_generate(*, case: Case, kind: str, actor, issued_on=None, language=None) -> Document:
    """
    Generate and store the case's letter of `kind` dated `issued_on` (today).
    The same request again on the same day returns the letter already made
    (its `existing` is True) and stores nothing. ContactRefused when the guard
    refuses (recorded in the refusal log), LetterError when no template fits
    or the template is broken; nothing is written then.
    """
    if kind not in LetterKind.values:
        raise LetterError(LETTER_KIND_UNKNOWN, code="kind")
    issued_on = issued_on or timezone.localdate()
    existing = Document.objects.filter(case=case, kind=kind, issued_on=issued_on).first()
    if existing is not None:
        existing.existing = True
        return existing
    # The guard and the context both read the borrower's addresses: one query for both.
    prefetch_related_objects([case], "borrower__contact_points")
    draft = letter_draft(case=case, kind=kind, issued_on=issued_on, actor=actor, language=language)
    content, pages = letter_render(draft)
    document, created = letter_store(draft=draft, content=content, pages=pages, actor=actor)
    document.existing = not created
    return document
