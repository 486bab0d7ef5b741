"""
Letter templates are versioned: saving makes the next version and makes it
current; an old version is never edited, because every generated letter
records the exact version it came from (Document.template_version).
"""

import jinja2
from django.db import transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.services import audit_record
from documents.templating import TemplateProblem, render_sandboxed, template_check
from legal.letters.context import letter_sample_context
from legal.letters.variables import variable_names
from legal.models import LetterTemplate, LetterTemplateVersion

TEMPLATE_UNKNOWN_VARIABLES = _("Unknown variables: {names}. Use only the variables listed beside the editor.")
TEMPLATE_UNCHANGED = _("Nothing changed since version {number}: no new version saved.")
TEMPLATE_SUBJECT_EMPTY = _("A letter needs a subject.")
TEMPLATE_BODY_EMPTY = _("A letter needs a body.")


class LetterTemplateError(Exception):
    """A template was refused; the message is for the user, `field` and `lineno` say where."""

    def __init__(self, message, *, field: str = "", lineno: int | None = None):
        super().__init__(str(message))
        self.message = str(message)
        self.field = field
        self.lineno = lineno


def template_source_check(*, source: str, field: str, language: str) -> None:
    """Refuse a subject or body that does not parse, names an unknown variable or fails on sample data."""
    try:
        unknown = template_check(source, variable_names())
    except TemplateProblem as problem:
        raise LetterTemplateError(problem.message, field=field, lineno=problem.lineno) from problem
    except jinja2.TemplateSyntaxError as problem:
        # An unknown filter or test is found when the variables are looked up, not when parsing.
        raise LetterTemplateError(problem.message or str(problem), field=field, lineno=problem.lineno) from problem
    if unknown:
        raise LetterTemplateError(TEMPLATE_UNKNOWN_VARIABLES.format(names=", ".join(unknown)), field=field)
    try:
        render_sandboxed(source, letter_sample_context(language=language))
    except TemplateProblem as problem:
        raise LetterTemplateError(problem.message, field=field, lineno=problem.lineno) from problem


def template_version_save(
    *, template: LetterTemplate, subject: str, body: str, change_note: str = "", actor
) -> LetterTemplateVersion:
    """Save a new version of `template` (the next number) and make it current; the old ones stay as they were."""
    subject = subject.strip()
    body = body.replace("\r\n", "\n").strip()
    if not subject:
        raise LetterTemplateError(TEMPLATE_SUBJECT_EMPTY, field="subject")
    if not body:
        raise LetterTemplateError(TEMPLATE_BODY_EMPTY, field="body")
    template_source_check(source=subject, field="subject", language=template.language)
    template_source_check(source=body, field="body", language=template.language)
    with transaction.atomic():
        # Two editors saving at once: the second waits here, then takes the next number.
        locked = (
            LetterTemplate.objects.select_for_update(of=("self",)).select_related("current_version").get(pk=template.pk)
        )
        current = locked.current_version
        if current is not None and current.subject == subject and current.body == body:
            raise LetterTemplateError(TEMPLATE_UNCHANGED.format(number=current.number))
        last = locked.versions.aggregate(last=Max("number"))["last"] or 0
        version = LetterTemplateVersion.objects.create(
            template=locked,
            number=last + 1,
            subject=subject,
            body=body,
            change_note=change_note.strip()[:300],
            created_by=actor,
            created_at=timezone.now(),
        )
        locked.current_version = version
        locked.save(update_fields=["current_version"])
        template.current_version = version
        audit_record(
            action="legal.letter_template.saved",
            target=locked,
            actor=actor,
            data={"kind": locked.kind, "language": locked.language, "version": version.number},
        )
    return version
