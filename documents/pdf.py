"""
The PDF renderer: WeasyPrint, with a URL fetcher that serves the project's own
static files (fonts, letterhead, print CSS) and nothing else.

A letter's HTML comes from a template staff edit, so an `<img src>` or a
`<link href>` in it must not read the server's files (`file:///etc/passwd`) or
reach the network (`http://169.254.169.254/` is the cloud metadata service,
`http://127.0.0.1/` the machine's own services). The fetcher serves:

- `/static/<path>` (resolved against the internal base URL
  `http://arrears.invalid/`, which is the default base_url), and
- `arrears-static:<path>`,

from the static finders (the source tree) or, after collectstatic, STATIC_ROOT.
Every other URL is refused with a WARNING on the "documents.pdf" logger naming
it, and an exception that WeasyPrint treats as a resource that failed to load
(the document renders without it). `data:` URLs are refused too.

System fonts (WenQuanYi Micro Hei for Chinese, see static/css/print.css) are
found by fontconfig, not fetched.

What a render costs beyond WeasyPrint's own layout is paid once a process, not
once a document (docs/letters.md has the figures):

- `stylesheets=("css/print.css", ...)` names static stylesheets that are
  parsed once (`static_stylesheet`, re-read when the file changes) and handed
  to WeasyPrint ready-made, instead of a `<link>` it would fetch and parse
  again for every document;
- one fontconfig configuration (`FontConfiguration`) serves every document,
  instead of fontconfig loading its configuration and font list anew; a
  document that declares its own `@font-face` gets a configuration of its own,
  so no document's fonts reach another;
- Python's cyclic garbage collector runs rarely while a document is laid out
  and written (`collection_paused`): a layout allocates hundreds of thousands of
  small objects, nearly all alive until the document is written, and the
  default thresholds made the collector walk them again and again (a fifth of
  a 100-letter batch's time).
"""

import contextlib
import gc
import logging
import mimetypes
import posixpath
import threading
from pathlib import Path
from urllib.parse import unquote, urlsplit

from django.conf import settings
from django.contrib.staticfiles import finders
from django.utils._os import safe_join
from weasyprint import CSS, HTML
from weasyprint.text.fonts import FontConfiguration
from weasyprint.urls import URLFetcher, URLFetcherResponse

logger = logging.getLogger("documents.pdf")

INTERNAL_BASE_URL = "http://arrears.invalid/"
INTERNAL_HOST = "arrears.invalid"
STATIC_SCHEME = "arrears-static"


class RefusedURL(ValueError):
    """A URL the PDF renderer does not fetch."""


def _static_prefix() -> str:
    url = settings.STATIC_URL or "static/"
    path = urlsplit(url).path if "://" in url else url
    return "/" + path.strip("/") + "/"


def _static_path(url: str) -> str | None:
    """The static path a URL names (e.g. "css/print.css"), or None."""
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    if scheme == STATIC_SCHEME:
        path = parts.path
    elif scheme in ("http", "https") and (parts.hostname or "").lower() == INTERNAL_HOST:
        prefix = _static_prefix()
        if not parts.path.startswith(prefix):
            return None
        path = parts.path[len(prefix) :]
    else:
        return None
    path = unquote(path).lstrip("/")
    if not path or "\\" in path or "\0" in path:
        return None
    if any(segment in ("", ".", "..") for segment in path.split("/")):
        return None
    return posixpath.normpath(path)


def _static_file(path: str) -> Path | None:
    found = finders.find(path)
    if found:
        return Path(found)
    try:
        candidate = Path(safe_join(str(settings.STATIC_ROOT), path))
    except Exception:  # SuspiciousFileOperation: outside STATIC_ROOT
        return None
    return candidate if candidate.is_file() else None


class StaticOnlyFetcher(URLFetcher):
    """A WeasyPrint URL fetcher for the project's own static files only."""

    def __init__(self):
        super().__init__(allowed_protocols=(), allow_redirects=False, fail_on_errors=False)

    def fetch(self, url, headers=None):
        path = _static_path(url)
        file = _static_file(path) if path else None
        if file is None:
            logger.warning("PDF renderer refused to fetch %s: only the project's static files are served", url)
            raise RefusedURL(f"refused URL (only the project's static files are served): {url}")
        content_type = mimetypes.guess_type(file.name)[0] or "application/octet-stream"
        headers = {"Content-Type": content_type}
        if content_type.startswith("text/"):
            headers["Content-Type"] = f"{content_type}; charset=utf-8"
        return URLFetcherResponse(url, file.read_bytes(), headers, 200)


# The collector's first threshold while a document is laid out (Python's default is 700 allocations).
RENDER_GC_THRESHOLD = 100_000

_gc_lock = threading.Lock()
_gc_pausers = 0
_gc_thresholds = gc.get_threshold()


@contextlib.contextmanager
def collection_paused():
    """Run the cyclic garbage collector rarely inside the block (nested and threaded uses share one pause)."""
    global _gc_pausers, _gc_thresholds
    with _gc_lock:
        if not _gc_pausers:
            _gc_thresholds = gc.get_threshold()
            gc.set_threshold(RENDER_GC_THRESHOLD, *_gc_thresholds[1:])
        _gc_pausers += 1
    try:
        yield
    finally:
        with _gc_lock:
            _gc_pausers -= 1
            if not _gc_pausers:
                gc.set_threshold(*_gc_thresholds)


_shared = threading.local()


def font_configuration(html: str) -> FontConfiguration:
    """The process's font configuration (one a thread), or a new one for a document with its own @font-face."""
    if "@font-face" in html.lower():
        return FontConfiguration()
    config = getattr(_shared, "font_config", None)
    if config is None:
        config = _shared.font_config = FontConfiguration()
    return config


_stylesheets: dict[str, tuple[Path, int, CSS]] = {}
_stylesheets_lock = threading.Lock()


def static_stylesheet(path: str) -> CSS:
    """The static stylesheet `path` (e.g. "css/print.css"), parsed once and again only when the file changes."""
    kept = _stylesheets.get(path)
    if kept:
        file = kept[0]
    else:
        clean = _static_path(f"{STATIC_SCHEME}:{path}")  # the fetcher's own checks: no "..", no other scheme
        file = _static_file(clean) if clean else None
    if file is None:
        raise RefusedURL(f"no such static stylesheet: {path}")
    changed = file.stat().st_mtime_ns
    if kept is None or kept[1] != changed:
        with _stylesheets_lock:
            # No font_config: a static stylesheet declares no @font-face (system fonts come from fontconfig).
            css = CSS(url=f"{STATIC_SCHEME}:{path}", url_fetcher=StaticOnlyFetcher())
            kept = _stylesheets[path] = (file, changed, css)
    return kept[2]


def _html(html: str, base_url: str | None) -> HTML:
    return HTML(string=html, base_url=base_url or INTERNAL_BASE_URL, url_fetcher=StaticOnlyFetcher())


def pdf_render(html: str, *, base_url: str | None = None, stylesheets: tuple[str, ...] = ()) -> bytes:
    """
    The PDF of an HTML document, fetching only the project's static files.
    `stylesheets` are static paths applied as if linked before the document's
    own styles (parsed once a process; WeasyPrint ranks them as user
    stylesheets, so a `<style>` in the document still wins over them).
    """
    return pdf_write(pdf_document(html, base_url=base_url, stylesheets=stylesheets))


def pdf_document(html: str, *, base_url: str | None = None, stylesheets: tuple[str, ...] = ()):
    """
    The laid-out WeasyPrint Document of an HTML document (same fetcher and
    stylesheets as pdf_render): for callers that need the pages before the
    bytes — the court bundle counts each section's pages and finds its
    anchors, a letter batch finds each letter's pages; pdf_write writes it.
    """
    with collection_paused():
        return _html(html, base_url).render(
            font_config=font_configuration(html), stylesheets=[static_stylesheet(path) for path in stylesheets]
        )


def pdf_write(document) -> bytes:
    """The PDF of a Document from pdf_document (or of part of it, `document.copy(pages)`)."""
    with collection_paused():
        return document.write_pdf()
