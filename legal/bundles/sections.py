"""
The bundle's sections and where each lands: the page plan.

Two WeasyPrint documents make the bundle's own pages:

- the "body": sections 3–6 (statement of claim, particulars, statement of
  account, contact history) and each exhibit's cover — the long part, which
  prints no page number of the bundle — laid out once;
- the "numbered" pages: the cover (the total), the index, the letters' and
  the evidence's lists and the manifest — a few pages, laid out again until
  the page numbers they print are those they produce.

The stored letters and exhibits are merged between their pages. The plan
says, from the page count of each part, on which bundle page each section,
letter and exhibit starts and ends.
"""

from dataclasses import dataclass

from django.utils.translation import gettext_lazy as _

# The sections in bundle order: (key, title). The key names the anchor of the
# section's first page in its document ("s-<key>").
SECTIONS = (
    ("cover", _("Cover sheet")),
    ("index", _("Index")),
    ("claim", _("Statement of claim")),
    ("particulars", _("Borrower and contract particulars")),
    ("account", _("Statement of account")),
    ("contacts", _("Contact history")),
    ("letters", _("Demand letters")),
    ("evidence", _("Evidence")),
    ("manifest", _("Manifest")),
)
SECTION_TITLES = dict(SECTIONS)
# The sections up to the merged letters, and which of them are the body's.
BEFORE_LETTERS = ("cover", "index", "claim", "particulars", "account", "contacts", "letters")
BODY_SECTIONS = ("claim", "particulars", "account", "contacts")
BODY, NUMBERED = "body", "numbered"


def section_anchor(key: str) -> str:
    return f"s-{key}"


def exhibit_anchor(number: int) -> str:
    return f"x-{number}"


@dataclass
class Entry:
    """One line of the index and the manifest: a section, a letter or an exhibit, with its bundle pages."""

    kind: str  # "section", "letter" or "exhibit"
    key: str  # the section's key, "letter-<n>" or "exhibit-<n>"
    first: int = 0
    last: int = 0
    number: int | None = None
    sha256: str = ""
    # An exhibit's label page, just before its own pages (first..last, what its SHA-256 covers).
    cover: int = 0

    @property
    def pages(self) -> int:
        return self.last - self.first + 1 if self.first else 0


@dataclass
class Piece:
    """A run of bundle pages: pages [start, end) of the body or the numbered document, or a whole stored PDF."""

    source: str  # "body", "numbered", "letter" or "exhibit"
    start: int = 0
    end: int = 0
    number: int | None = None


@dataclass
class Plan:
    entries: list[Entry]
    pieces: list[Piece]
    total: int

    def entry(self, key: str) -> Entry:
        return next(entry for entry in self.entries if entry.key == key)

    @property
    def sections(self) -> list[Entry]:
        return [entry for entry in self.entries if entry.kind == "section"]

    @property
    def letters(self) -> list[Entry]:
        return [entry for entry in self.entries if entry.kind == "letter"]

    @property
    def exhibits(self) -> list[Entry]:
        return [entry for entry in self.entries if entry.kind == "exhibit"]


def body_anchors(exhibit_count: int) -> list[str]:
    """The anchors of the body's parts, in the order they are laid out."""
    anchors = [section_anchor(key) for key in BODY_SECTIONS]
    return anchors + [exhibit_anchor(number) for number in range(1, exhibit_count + 1)]


def numbered_anchors() -> list[str]:
    return [section_anchor(key) for key in ("cover", "index", "letters", "evidence", "manifest")]


def document_ranges(document: str, page_anchors: list[set[str]], anchors: list[str]) -> dict[str, tuple]:
    """
    Each part's pages (document, start, end) in a laid-out document, from the
    anchors found on each page: a part runs from the page its anchor is on to
    the next part's.
    """
    starts = {}
    for index, names in enumerate(page_anchors):
        for name in names:
            starts.setdefault(name, index)
    missing = [anchor for anchor in anchors if anchor not in starts]
    if missing:
        raise ValueError(f"the {document} document lacks the parts {missing}")
    ordered = [starts[anchor] for anchor in anchors] + [len(page_anchors)]
    return {anchor: (document, ordered[i], ordered[i + 1]) for i, anchor in enumerate(anchors)}


def plan_make(ranges: dict[str, tuple], letters: list, exhibits: list) -> Plan:
    """
    Where everything lands, given both documents' parts (`ranges`: anchor →
    (document, start, end)) and the stored PDFs (`letters`, `exhibits`:
    Attachments with their page counts).
    """
    entries: list[Entry] = []
    pieces: list[Piece] = []
    page = 1

    def own(anchor: str) -> tuple[int, int]:
        nonlocal page
        document, start, end = ranges[anchor]
        pieces.append(Piece(document, start, end))
        first, page = page, page + (end - start)
        return first, page - 1

    def stored(attachment) -> tuple[int, int]:
        nonlocal page
        pieces.append(Piece(attachment.kind, number=attachment.number))
        first, page = page, page + attachment.pages
        return first, page - 1

    for key in BEFORE_LETTERS:
        first, last = own(section_anchor(key))
        entries.append(Entry("section", key, first, last))
    letters_section = entries[-1]
    for letter in letters:
        first, last = stored(letter)
        entries.append(Entry("letter", f"letter-{letter.number}", first, last, letter.number, letter.sha256))
        letters_section.last = last
    first, last = own(section_anchor("evidence"))
    evidence_section = Entry("section", "evidence", first, last)
    entries.append(evidence_section)
    for exhibit in exhibits:
        cover, _cover_last = own(exhibit_anchor(exhibit.number))
        first, last = stored(exhibit)
        entries.append(
            Entry("exhibit", f"exhibit-{exhibit.number}", first, last, exhibit.number, exhibit.sha256, cover=cover)
        )
        evidence_section.last = last
    first, last = own(section_anchor("manifest"))
    entries.append(Entry("section", "manifest", first, last))
    return Plan(entries=entries, pieces=pieces, total=page - 1)


def plan_guess(body: dict[str, tuple], letters: list, exhibits: list) -> Plan:
    """A first plan from the body's real pages and one page for each numbered part."""
    numbered = {anchor: (NUMBERED, i, i + 1) for i, anchor in enumerate(numbered_anchors())}
    return plan_make({**body, **numbered}, letters, exhibits)
