"""
The letter's layout: our Django template (templates/legal/letters/letter.html)
is the shell — letterhead, reference and date, addressee, the amounts table,
the designated payment channels, the deadline, the signature — and only the
subject and body come from the template staff edit, rendered in the sandbox
(documents.templating). Labels are in the letter's language, whatever the
language of the user who generates it.

One letter is an `<article>`; `letters_document_html` wraps one or many in a
document, each letter on its own pages with its own "Page x of y", so a batch
lays out many letters in one WeasyPrint run and splits the PDF afterwards
(legal.letters.batches).

"Page x of y" is the content of the page's bottom margin box, not an element
of the letter: x is the page counter, which restarts with every letter
(static/css/letter.css), and y is `counter(pages)` when the document holds one
letter, or the number the caller states (`pages_each`) when it holds many —
the batch states 1, checks every letter's real page count in the layout, and
lays out again the few that came out longer. (A running element with
`target-counter()` to a marker at the letter's end gave the right y in one
document, but WeasyPrint laid every page out twice for it: a third of a
batch's time.)
"""

import re

from django.template.loader import render_to_string
from django.utils.safestring import mark_safe
from django.utils.translation import gettext, override

from documents.templating import render_sandboxed
from legal.models import LetterKind, LetterTemplateVersion

# A payoff certificate states that nothing is owed: no amounts overdue, no deadline, no channels.
NO_DEMAND_KINDS = frozenset({LetterKind.PAYOFF_CERTIFICATE})

# Applied to every letter document by the renderer, parsed once a process (documents.pdf.static_stylesheet).
LETTER_STYLESHEETS = ("css/print.css", "css/letter.css")

_PLACEHOLDER = re.compile(r"(%\(page\)s|%\(pages\)s)")
_CSS_UNSAFE = re.compile(r'["\\<>&\n\r]')


def _css_string(text: str) -> str:
    # A CSS string literal; what could end the string or the <style> element is escaped as code points.
    return '"' + _CSS_UNSAFE.sub(lambda match: f"\\{ord(match.group()):x} ", text) + '"'


def page_number_style(pages_each: int | None = None) -> str:
    """
    The CSS that prints "Page x of y" (translated, in its own word order) at
    the foot of every letter page: y is `pages_each`, or the document's page
    count when None (right for a document of one letter only).
    """
    pages = "counter(pages)" if pages_each is None else _css_string(str(pages_each))
    parts = []
    for part in _PLACEHOLDER.split(gettext("Page %(page)s of %(pages)s")):
        if part == "%(page)s":
            parts.append("counter(page)")
        elif part == "%(pages)s":
            parts.append(pages)
        elif part:
            parts.append(_css_string(part))
    return f"@page letter {{ @bottom-center {{ content: {' '.join(parts) or 'none'}; }} }}"


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
            },
        ).strip()


def letters_document_html(articles: list[str], *, language: str, title: str = "", pages_each: int | None = None) -> str:
    """
    The HTML document of one or many letters (each from letter_article_html),
    to render with LETTER_STYLESHEETS (letters_laid_out). Each letter's "of y"
    is `pages_each`, or the document's page count when None: leave it None for
    one letter only.
    """
    with override(language):
        return render_to_string(
            "legal/letters/letters_document.html",
            {
                "language": language,
                "title": title or gettext("Letters"),
                "page_number_style": mark_safe(page_number_style(pages_each)),  # noqa: S308 - CSS-escaped
                "articles": mark_safe("\n".join(articles)),  # noqa: S308 - our own rendered articles
            },
        )


def letters_laid_out(html: str):
    """The laid-out WeasyPrint document of letters_document_html's `html` (documents.pdf.pdf_write writes it)."""
    from documents.pdf import pdf_document

    return pdf_document(html, stylesheets=LETTER_STYLESHEETS)


def letter_pdf(article: str, *, language: str) -> tuple[bytes, int]:
    """One letter alone: (its PDF, its number of pages)."""
    from documents.pdf import pdf_write

    document = letters_laid_out(letters_document_html([article], language=language))
    return pdf_write(document), len(document.pages)
