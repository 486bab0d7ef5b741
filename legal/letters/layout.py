"""
The letter's layout: our Django template (templates/legal/letters/letter.html)
is the shell — letterhead, reference and date, addressee, the amounts table,
the designated payment channels, the deadline, the signature — and only the
subject and body come from the template staff edit, rendered in the sandbox
(documents.templating). Labels are in the letter's language, whatever the
language of the user who generates it.

One letter is an `<article>`; `letters_document_html` wraps one or many in a
document for documents.pdf.pdf_render, each letter on its own pages with its
own "Page x of y" (static/css/letter.css), so a batch lays out many letters in
one WeasyPrint run and splits the PDF afterwards.
"""

from django.template.loader import render_to_string
from django.utils.html import escape
from django.utils.safestring import mark_safe
from django.utils.translation import gettext, override

from documents.templating import render_sandboxed
from legal.models import LetterKind, LetterTemplateVersion

# A payoff certificate states that nothing is owed: no amounts overdue, no deadline, no channels.
NO_DEMAND_KINDS = frozenset({LetterKind.PAYOFF_CERTIFICATE})


def _page_number_html(case_id: int) -> str:
    # The translated sentence keeps its word order; the numbers are CSS counters (letter.css).
    text = escape(gettext("Page %(page)s of %(pages)s"))
    return text.replace("%(page)s", '<span class="page"></span>').replace(
        "%(pages)s", f'<span class="pages" data-end="#letter-end-{case_id}"></span>'
    )


def letter_body_html(*, template_version: LetterTemplateVersion, context: dict, language: str) -> tuple[str, str]:
    """The staff-edited subject and body rendered in the sandbox; TemplateProblem if either is broken."""
    with override(language):
        subject = render_sandboxed(template_version.subject, context)
        body = render_sandboxed(template_version.body, context)
    return subject, body


def letter_article_html(*, case, template_version: LetterTemplateVersion, context: dict) -> str:
    """
    One letter as `<article class="letter" id="letter-<case id>">`, in the
    template's language. Raises documents.templating.TemplateProblem when the
    staff-edited subject or body is broken.
    """
    template = template_version.template
    language = template.language
    subject, body = letter_body_html(template_version=template_version, context=context, language=language)
    shows_demand = template.kind not in NO_DEMAND_KINDS
    with override(language):
        return render_to_string(
            "legal/letters/letter.html",
            {
                **context,
                "case_id": case.pk,
                "language": language,
                # The sandbox autoescaped every value; what is left is the staff's own markup.
                "subject": mark_safe(subject),  # noqa: S308 - sandboxed output, values escaped
                "body": mark_safe(body),  # noqa: S308 - sandboxed output, values escaped
                "shows_amounts": shows_demand,
                "shows_payment": shows_demand,
                "page_number_html": mark_safe(_page_number_html(case.pk)),  # noqa: S308 - escaped above
            },
        ).strip()


def letters_document_html(articles: list[str], *, language: str, title: str = "") -> str:
    """The HTML document of one or many letters (each from letter_article_html), for pdf_render."""
    with override(language):
        return render_to_string(
            "legal/letters/letters_document.html",
            {
                "language": language,
                "title": title or gettext("Letters"),
                "articles": mark_safe("\n".join(articles)),  # noqa: S308 - our own rendered articles
            },
        )
