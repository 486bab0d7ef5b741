"""
The editor's live preview: the text being edited, rendered as the PDF a real
case would receive, inside a transaction that is rolled back (nothing the
rendering might touch is kept) and never stored as a Document. The PDF waits
in the cache for a few minutes under a random token bound to the user, for
the preview frame to fetch.
"""

import secrets

from django.core.cache import cache
from django.db import transaction

from legal.letters.context import letter_context
from legal.letters.layout import letter_article_html, letter_pdf
from legal.models import LetterTemplate, LetterTemplateVersion
from lending.services.calendar import lender_today

PREVIEW_SECONDS = 10 * 60
CACHE_PREFIX = "legal:letter-preview:"


def letter_preview_pdf(*, template: LetterTemplate, subject: str, body: str, case) -> bytes:
    """The PDF of `template` with this (unsaved) subject and body for `case`; TemplateProblem if it is broken."""
    draft = LetterTemplateVersion(template=template, number=0, subject=subject, body=body)
    with transaction.atomic():
        try:
            context = letter_context(
                case=case, issued_on=lender_today(), language=template.language, kind=template.kind
            )
            article = letter_article_html(case=case, template_version=draft, context=context)
        finally:
            # Marked at the end: once marked, the connection refuses every query until the block exits.
            transaction.set_rollback(True)
    return letter_pdf(article, language=template.language)[0]


def letter_preview_keep(*, user, pdf: bytes) -> str:
    """Keep a preview for `user` for a few minutes; the token the frame fetches it by."""
    token = secrets.token_urlsafe(16)
    cache.set(CACHE_PREFIX + token, (user.pk, pdf), PREVIEW_SECONDS)
    return token


def letter_preview_fetch(*, user, token: str) -> bytes | None:
    """The preview kept under `token` if it is `user`'s, else None."""
    kept = cache.get(CACHE_PREFIX + token)
    if not kept or kept[0] != user.pk:
        return None
    return kept[1]
