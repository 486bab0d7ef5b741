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
"""

import logging
import mimetypes
import posixpath
from pathlib import Path
from urllib.parse import unquote, urlsplit

from django.conf import settings
from django.contrib.staticfiles import finders
from django.utils._os import safe_join
from weasyprint import HTML
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


def pdf_render(html: str, *, base_url: str | None = None) -> bytes:
    """The PDF of an HTML document, fetching only the project's static files."""
    return HTML(
        string=html,
        base_url=base_url or INTERNAL_BASE_URL,
        url_fetcher=StaticOnlyFetcher(),
    ).write_pdf()


def pdf_document(html: str, *, base_url: str | None = None):
    """
    The laid-out WeasyPrint Document of an HTML document (same fetcher as
    pdf_render): for callers that need the pages before the bytes — the court
    bundle counts each section's pages and finds its anchors, then writes.
    """
    return HTML(
        string=html,
        base_url=base_url or INTERNAL_BASE_URL,
        url_fetcher=StaticOnlyFetcher(),
    ).render()
