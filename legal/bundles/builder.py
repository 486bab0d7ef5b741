"""
The bundle's PDF from its data (legal/bundles/data.py), in its language:

1. open every stored letter and exhibit (images become one-page PDFs) and
   count their pages;
2. lay out the body (sections 3–6, the exhibits' covers) once, and the
   numbered pages (cover, index, the letters' and the evidence's lists, the
   manifest) with the page numbers of a plan; count each part's pages from
   the anchors WeasyPrint found on each page and plan again — until the plan
   the numbered pages were laid out with is the plan their page counts give
   (the index's own length, a longer evidence list, a page number one digit
   wider: all accounted for);
3. merge the pages of both with the stored PDFs in bundle order, stamp every
   page "page x of N", add a bookmark for every section, letter and exhibit;
4. save without anything that changes between builds of the same data (no
   clock in the metadata, a document id derived from the content).
"""

from collections.abc import Callable
from dataclasses import dataclass
from io import BytesIO

import filetype
import pikepdf
from django.template.loader import render_to_string
from django.utils import formats, translation
from django.utils.translation import gettext

from documents.pdf import pdf_document
from legal.bundles.data import Attachment, BundleData
from legal.bundles.problems import BundleProblem, Problem
from legal.bundles.sections import (
    BODY,
    NUMBERED,
    SECTION_TITLES,
    SECTIONS,
    Plan,
    body_anchors,
    document_ranges,
    numbered_anchors,
    plan_guess,
    plan_make,
)
from legal.bundles.stamping import pages_stamp, stamp_pdf, stamp_texts

# Laying out again changes a page count only when a number grows a digit or a
# line wraps anew; a plan that has not settled after this many layouts is a bug.
MAX_LAYOUTS = 4
IMAGE_TYPES = ("image/jpeg", "image/png")
# An image exhibit is printed to fit an A4 page inside the margins (inches).
IMAGE_FIT = (7.5, 10.5)


@dataclass
class BuiltBundle:
    content: bytes
    pages: int
    manifest: list[dict]
    layouts: int


Progress = Callable[[str, int], None]


def _image_pdf(content: bytes) -> bytes:
    from PIL import Image

    with Image.open(BytesIO(content)) as image:
        image.load()
        rgb = image.convert("RGB")
    dpi = max(rgb.width / IMAGE_FIT[0], rgb.height / IMAGE_FIT[1], 72)
    out = BytesIO()
    rgb.save(out, "PDF", resolution=dpi)
    return out.getvalue()


def attachment_open(attachment: Attachment) -> pikepdf.Pdf:
    """The stored file as a PDF (an image as a page of its own); unreadable ones stop the build with a code."""
    content = attachment.content
    kind = filetype.guess(content)
    try:
        if kind is not None and kind.mime in IMAGE_TYPES:
            content = _image_pdf(content)
        elif not content.startswith(b"%PDF-"):
            raise BundleProblem(Problem.UNREADABLE, kind=attachment.kind, number=attachment.number)
        pdf = pikepdf.open(BytesIO(content))
    except (pikepdf.PdfError, pikepdf.PasswordError, OSError, ValueError):
        raise BundleProblem(Problem.UNREADABLE, kind=attachment.kind, number=attachment.number) from None
    if not len(pdf.pages):
        raise BundleProblem(Problem.UNREADABLE, kind=attachment.kind, number=attachment.number)
    attachment.pages = len(pdf.pages)
    return pdf


def _titles() -> dict:
    return {key: str(title) for key, title in SECTIONS}


def _index_lines(plan: Plan, data: BundleData) -> list[dict]:
    section_numbers = {key: number for number, (key, _title) in enumerate(SECTIONS, start=1)}
    lines = []
    for entry in plan.entries:
        if entry.kind == "section":
            lines.append(
                {
                    "kind": "section",
                    "number": section_numbers[entry.key],
                    "title": SECTION_TITLES[entry.key],
                    "first": entry.first,
                }
            )
        elif entry.kind == "letter":
            document = data.letters[entry.number - 1].source
            title = gettext("Letter %(number)s: %(kind)s, %(date)s") % {
                "number": entry.number,
                "kind": document.get_kind_display(),
                "date": formats.date_format(document.issued_on, "SHORT_DATE_FORMAT"),
            }
            lines.append({"kind": "letter", "number": "", "title": title, "first": entry.first})
        else:
            evidence = data.exhibits[entry.number - 1].source
            title = gettext("Exhibit %(number)s: %(name)s") % {"number": entry.number, "name": evidence.name}
            lines.append({"kind": "exhibit", "number": "", "title": title, "first": entry.cover})
    return lines


def _context(data: BundleData, plan: Plan | None) -> dict:
    context = {
        "data": data,
        "titles": _titles(),
        "cap_rate": data.statements[0].panel.cap_rate if data.statements else "",
    }
    context["letter_dates"] = ", ".join(
        formats.date_format(letter.source.issued_on, "DATE_FORMAT") for letter in data.letters
    )
    if plan is not None:
        context.update(
            plan=plan,
            index_lines=_index_lines(plan, data),
            letters=[{"entry": entry, "attachment": data.letters[entry.number - 1]} for entry in plan.letters],
            exhibits=[{"entry": entry, "attachment": data.exhibits[entry.number - 1]} for entry in plan.exhibits],
        )
    return context


def contact_summary(contacts: list) -> list[dict]:
    """How often each channel met each outcome, with the first and last time: the contact history at a glance."""
    lines: dict[tuple, dict] = {}
    for contact in contacts:
        key = (contact.channel, contact.outcome)
        line = lines.get(key)
        if line is None:
            lines[key] = {
                "channel": contact.get_channel_display(),
                "outcome": contact.get_outcome_display(),
                "count": 1,
                "first": contact.occurred_at,
                "last": contact.occurred_at,
            }
        else:
            line["count"] += 1
            line["last"] = contact.occurred_at
    return sorted(lines.values(), key=lambda line: (-line["count"], line["channel"], line["outcome"]))


def body_html(data: BundleData) -> str:
    context = {
        **_context(data, None),
        "contact_summary": contact_summary(data.contacts),
        "exhibit_covers": data.exhibits,
    }
    return render_to_string("legal/bundles/body.html", context)


def numbered_html(data: BundleData, plan: Plan) -> str:
    return render_to_string("legal/bundles/numbered.html", _context(data, plan))


def _pages_anchors(document) -> list[set[str]]:
    return [set(page.anchors) for page in document.pages]


def _laid_out(data: BundleData, progress: Progress):
    """Both documents laid out, the numbered one with the plan its own page counts give, and that plan."""
    body = pdf_document(body_html(data))
    body_ranges = document_ranges(BODY, _pages_anchors(body), body_anchors(len(data.exhibits)))
    progress("layout", 50)
    anchors = numbered_anchors()
    plan = plan_guess(body_ranges, data.letters, data.exhibits)
    for layout in range(1, MAX_LAYOUTS + 1):
        numbered = pdf_document(numbered_html(data, plan))
        ranges = document_ranges(NUMBERED, _pages_anchors(numbered), anchors)
        settled = plan_make({**body_ranges, **ranges}, data.letters, data.exhibits)
        progress("layout", 50 + 10 * layout)
        if settled == plan:
            return body, numbered, plan, layout
        plan = settled
    raise BundleProblem(Problem.UNEXPECTED)


def _bookmarks(pdf: pikepdf.Pdf, plan: Plan, data: BundleData) -> None:
    titles = _titles()
    with pdf.open_outline() as outline:
        outline.root.clear()
        for number, entry in enumerate(plan.sections, start=1):
            item = pikepdf.OutlineItem(f"{number}. {titles[entry.key]}", entry.first - 1)
            if entry.key == "letters":
                for letter in plan.letters:
                    document = data.letters[letter.number - 1].source
                    title = gettext("Letter %(number)s: %(kind)s") % {
                        "number": letter.number,
                        "kind": document.get_kind_display(),
                    }
                    item.children.append(pikepdf.OutlineItem(title, letter.first - 1))
            if entry.key == "evidence":
                for exhibit in plan.exhibits:
                    title = gettext("Exhibit %(number)s: %(name)s") % {
                        "number": exhibit.number,
                        "name": data.exhibits[exhibit.number - 1].source.name,
                    }
                    item.children.append(pikepdf.OutlineItem(title, exhibit.cover - 1))
            outline.root.append(item)


def manifest_of(plan: Plan, data: BundleData) -> list[dict]:
    """What the bundle stores: codes and facts (section keys, letter kinds, evidence names), never sentences."""
    rows = []
    for entry in plan.entries:
        row = {"kind": entry.kind, "key": entry.key, "first": entry.first, "last": entry.last, "sha256": entry.sha256}
        if entry.kind == "letter":
            document = data.letters[entry.number - 1].source
            row.update(number=entry.number, title=document.kind, issued_on=document.issued_on.isoformat())
        elif entry.kind == "exhibit":
            row.update(number=entry.number, title=data.exhibits[entry.number - 1].source.name, cover=entry.cover)
        else:
            row["title"] = entry.key
        rows.append(row)
    return rows


def bundle_pdf_make(data: BundleData, progress: Progress | None = None) -> BuiltBundle:
    progress = progress or (lambda step, percent: None)
    with translation.override(data.language):
        sources = {}
        for attachment in (*data.letters, *data.exhibits):
            sources[(attachment.kind, attachment.number)] = attachment_open(attachment)
        progress("layout", 20)
        body, numbered, plan, layouts = _laid_out(data, progress)
        own = {
            BODY: pikepdf.open(BytesIO(body.write_pdf())),
            NUMBERED: pikepdf.open(BytesIO(numbered.write_pdf())),
        }
        progress("merge", 80)
        pdf = pikepdf.new()
        for piece in plan.pieces:
            if piece.source in own:
                pdf.pages.extend(own[piece.source].pages[piece.start : piece.end])
            else:
                pdf.pages.extend(sources[(piece.source, piece.number)].pages)
        if len(pdf.pages) != plan.total:
            raise BundleProblem(Problem.UNEXPECTED)
        progress("stamp", 88)
        pages_stamp(pdf, stamp_pdf(stamp_texts(data.file.number, plan.total), data.language))
        _bookmarks(pdf, plan, data)
        pdf.docinfo = pdf.make_indirect(
            pikepdf.Dictionary(
                Title=pikepdf.String(f"{data.file.number} {gettext('Court bundle')}"),
                Subject=pikepdf.String(data.case.number),
                Producer=pikepdf.String("Arrears"),
                # The data's date, not the build's: a rebuild from the same data is the same file.
                CreationDate=pikepdf.String(f"D:{data.bundle_date:%Y%m%d}000000Z"),
            )
        )
        pdf.Root.Lang = pikepdf.String(data.language)
        pdf.Root.PageMode = pikepdf.Name.UseOutlines
        out = BytesIO()
        pdf.save(out, deterministic_id=True, object_stream_mode=pikepdf.ObjectStreamMode.generate)
    return BuiltBundle(content=out.getvalue(), pages=plan.total, manifest=manifest_of(plan, data), layouts=layouts)
