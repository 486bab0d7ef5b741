"""documents.pdf: the renderer fetches the project's static files and nothing else."""

import gc
import logging
import os
import re
import shutil
import subprocess

import pytest

from documents.pdf import (
    RENDER_GC_THRESHOLD,
    RefusedURL,
    StaticOnlyFetcher,
    collection_paused,
    font_configuration,
    pdf_render,
    static_stylesheet,
)

pytestmark = pytest.mark.skipif(shutil.which("pdftotext") is None, reason="needs pdftotext (poppler-utils)")

PRINT_CSS = '<link rel="stylesheet" href="/static/css/print.css">'


def pdf_text(pdf: bytes) -> str:
    return subprocess.run(
        ["pdftotext", "-layout", "-", "-"], input=pdf, capture_output=True, check=True
    ).stdout.decode()


def page(body: str, head: str = PRINT_CSS) -> str:
    return f'<!doctype html><html lang="zh-Hans"><head><meta charset="utf-8">{head}</head><body>{body}</body></html>'


def test_a_chinese_sentence_comes_back_as_chinese_text(tmp_path):
    sentence = "您好，李娜：您的账户已逾期三十天，请于三月四日前还款。"
    pdf = pdf_render(page(f"<p>{sentence}</p>"))
    assert pdf.startswith(b"%PDF")
    text = pdf_text(pdf)
    assert sentence in text
    assert "\ufffd" not in text
    if shutil.which("pdffonts"):
        (tmp_path / "letter.pdf").write_bytes(pdf)
        fonts = subprocess.run(["pdffonts", tmp_path / "letter.pdf"], capture_output=True, check=True).stdout.decode()
        assert "WenQuanYi" in fonts or "Noto" in fonts


def test_the_print_css_is_served_and_numbers_the_pages(caplog):
    caplog.set_level(logging.WARNING, logger="documents.pdf")
    pdf = pdf_render(page("<p>one</p><p style='break-before: page'>two</p>"))
    text = pdf_text(pdf)
    assert re.search(r"1\s*/\s*2", text) and re.search(r"2\s*/\s*2", text)
    assert not [r for r in caplog.records if r.name == "documents.pdf"]


def test_the_fetcher_serves_static_files_by_both_spellings():
    fetcher = StaticOnlyFetcher()
    for url in ("http://arrears.invalid/static/css/print.css", "arrears-static:css/print.css"):
        response = fetcher(url)
        assert response.content_type == "text/css"
        assert b"@page" in response.read()
        response.close()


@pytest.mark.parametrize(
    "url",
    [
        "file:///etc/passwd",
        "http://169.254.169.254/latest/meta-data",
        "http://127.0.0.1:8000/static/css/print.css",
        "https://example.com/static/css/print.css",
        "data:text/css,body{color:red}",
        "http://arrears.invalid/static/../config/settings.py",
        "http://arrears.invalid/static/%2e%2e/config/settings.py",
        "arrears-static:../manage.py",
        "arrears-static:css/nope.css",
        "http://arrears.invalid/media/x.png",
    ],
)
def test_the_fetcher_refuses_everything_else_and_logs_it(url, caplog):
    caplog.set_level(logging.WARNING, logger="documents.pdf")
    with pytest.raises(RefusedURL):
        StaticOnlyFetcher()(url)
    assert [r.getMessage() for r in caplog.records if r.name == "documents.pdf" and r.levelno == logging.WARNING]
    assert url in caplog.records[-1].getMessage()


@pytest.mark.parametrize(
    "markup",
    [
        '<img src="{url}">',
        '<link rel="stylesheet" href="{url}">',
    ],
    ids=["img", "link"],
)
@pytest.mark.parametrize("url", ["file:///etc/passwd", "http://169.254.169.254/latest/meta-data"])
def test_a_document_referring_to_a_forbidden_url_renders_without_it(markup, url, caplog):
    caplog.set_level(logging.WARNING, logger="documents.pdf")
    pdf = pdf_render(page("<p>催收函</p>" + markup.format(url=url), head=PRINT_CSS + markup.format(url=url)))
    assert "催收函" in pdf_text(pdf)
    refusals = [r.getMessage() for r in caplog.records if r.name == "documents.pdf" and r.levelno == logging.WARNING]
    assert refusals and all(url in message for message in refusals)
    assert b"root:" not in pdf


# --- What a render reuses ---------------------------------------------------------------


def test_named_stylesheets_apply_as_if_linked_and_are_parsed_once(caplog):
    caplog.set_level(logging.WARNING, logger="documents.pdf")
    two_pages = page("<p>one</p><p style='break-before: page'>two</p>", head="")

    linked = pdf_text(pdf_render(page("<p>one</p><p style='break-before: page'>two</p>")))
    named = pdf_text(pdf_render(two_pages, stylesheets=("css/print.css",)))

    assert re.search(r"1\s*/\s*2", named) and re.search(r"2\s*/\s*2", named)
    assert named == linked
    assert static_stylesheet("css/print.css") is static_stylesheet("css/print.css")
    assert not [r for r in caplog.records if r.name == "documents.pdf"]


def test_a_stylesheet_is_parsed_again_when_its_file_changes(tmp_path, settings):
    settings.STATICFILES_DIRS = [tmp_path]
    (tmp_path / "css").mkdir()
    sheet = tmp_path / "css" / "changing.css"
    sheet.write_text("@page { @top-center { content: 'first' } }")
    assert "first" in pdf_text(pdf_render(page("<p>x</p>", head=""), stylesheets=("css/changing.css",)))

    sheet.write_text("@page { @top-center { content: 'second' } }")
    os.utime(sheet, ns=(sheet.stat().st_atime_ns, sheet.stat().st_mtime_ns + 1_000_000))

    assert "second" in pdf_text(pdf_render(page("<p>x</p>", head=""), stylesheets=("css/changing.css",)))


def test_a_stylesheet_outside_the_static_files_is_refused():
    with pytest.raises(RefusedURL):
        pdf_render(page("<p>x</p>"), stylesheets=("../config/settings.py",))


def test_documents_share_one_font_configuration_unless_they_declare_fonts():
    shared = font_configuration("<p>x</p>")
    assert font_configuration("<p>y</p>") is shared
    assert font_configuration("<style>@FONT-FACE { font-family: x; src: local(x) }</style>") is not shared


def test_the_collector_is_held_back_while_rendering_and_restored_after():
    before = gc.get_threshold()
    with collection_paused():
        with collection_paused():
            assert gc.get_threshold()[0] == RENDER_GC_THRESHOLD
        assert gc.get_threshold()[0] == RENDER_GC_THRESHOLD
    assert gc.get_threshold() == before
    pdf_render(page("<p>x</p>"))
    assert gc.get_threshold() == before
