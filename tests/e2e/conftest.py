"""
Browser tests: Playwright drives Debian's Chromium (never a downloaded one)
against the live test server. Without Chromium they are skipped with the
reason shown, except in CI (CI=true), where that is a failure.
"""

import datetime
import os
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import time_machine

CHROMIUM = Path(os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium"))
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


@pytest.fixture(scope="session")
def browser():
    if not CHROMIUM.exists():
        reason = f"no Chromium at {CHROMIUM}: browser tests need Debian's chromium (make test installs it as root)"
        if os.environ.get("CI") == "true":
            pytest.fail(reason + "; in CI that is a failure")
        pytest.skip(reason)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def page(browser, live_server):
    context = browser.new_context(base_url=live_server.url, locale="en-GB", viewport={"width": 1400, "height": 900})
    context.set_default_timeout(10_000)
    page = context.new_page()
    yield page
    context.close()


def log_in(page, username, password):
    page.goto("/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(password)
    with page.expect_navigation():
        page.get_by_role("button", name="Log in").click()
    # The landing page's scripts (keyboard shortcuts, editors) are deferred: wait for them before pressing keys.
    page.wait_for_load_state("load")


# A weekday morning in Shanghai, where the borrower's address and mobile place them: the call is
# inside contact hours whenever the test runs (the clock ticks on from there).
SHANGHAI_MORNING = datetime.datetime(2026, 3, 16, 10, 0, tzinfo=ZoneInfo("Asia/Shanghai"))


@pytest.fixture
def shanghai_morning():
    with time_machine.travel(SHANGHAI_MORNING, tick=True):
        yield
