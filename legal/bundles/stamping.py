"""
Continuous page numbers over every page of the bundle, merged letters and
exhibits included: one small WeasyPrint page per bundle page ("Page 12 of
148"), laid over the bottom of that page with pikepdf (`Page.add_overlay`,
which keeps the page's own drawing in its own graphics state).
"""

from io import BytesIO

import pikepdf
from django.template.loader import render_to_string
from django.utils.translation import gettext

from documents.pdf import pdf_render

MM = 72 / 25.4
# The stamp page's size (templates/legal/bundles/stamp.html) and where it goes on the page.
STAMP_WIDTH, STAMP_HEIGHT = 120 * MM, 9 * MM
STAMP_BOTTOM = 7 * MM


def stamp_texts(file_number: str, total: int) -> list[str]:
    """What each page carries, in the active language."""
    return [
        gettext("%(file)s · Page %(page)s of %(pages)s") % {"file": file_number, "page": page, "pages": total}
        for page in range(1, total + 1)
    ]


def stamp_pdf(texts: list[str], language: str) -> pikepdf.Pdf:
    html = render_to_string("legal/bundles/stamp.html", {"stamps": texts, "language": language})
    return pikepdf.open(BytesIO(pdf_render(html)))


def _stamp_rect(page: pikepdf.Page) -> pikepdf.Rectangle:
    """A strip centred at the bottom of the page's visible area, narrower on a small page."""
    box = pikepdf.Rectangle(page.cropbox)
    width = min(STAMP_WIDTH, box.width * 0.8)
    height = width * STAMP_HEIGHT / STAMP_WIDTH
    left = box.llx + (box.width - width) / 2
    bottom = box.lly + min(STAMP_BOTTOM, box.height * 0.03)
    return pikepdf.Rectangle(left, bottom, left + width, bottom + height)


def _overlay(page: pikepdf.Page, stamp: pikepdf.Page, number: int) -> None:
    """
    What `Page.add_overlay` does, under a resource name of our own: pikepdf
    names the form a random one, and a rebuild of the same data must be the
    same file. The page's own drawing is wrapped in q/Q, so nothing it leaves
    in the graphics state moves the stamp.
    """
    name = pikepdf.Name(f"/ArrearsPage{number}")
    formx = stamp.as_form_xobject()
    page.add_resource(formx, pikepdf.Name.XObject, name=name)
    placement = page.calc_form_xobject_placement(formx, name, _stamp_rect(page))
    page.contents_add(b"q\n", prepend=True)
    page.contents_add(b"Q\n", prepend=False)
    page.contents_add(placement, prepend=False)
    page.contents_coalesce()


def pages_stamp(pdf: pikepdf.Pdf, stamps: pikepdf.Pdf) -> None:
    if len(stamps.pages) != len(pdf.pages):
        raise ValueError(f"{len(stamps.pages)} stamps for {len(pdf.pages)} pages")
    for number, (page, stamp) in enumerate(zip(pdf.pages, stamps.pages, strict=True), start=1):
        _overlay(page, stamp, number)
