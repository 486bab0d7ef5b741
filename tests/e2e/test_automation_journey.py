"""
The automation journey in the browser: a manager builds two strategies and a
segment from the Automation page, tries the second strategy as a challenger
on half of the segment, runs segments and strategies now and sees the arms
side by side; tonight's chain runs from the Nightly runs page and its run
lists its steps; a collector sees the strategy's step on a case's timeline.
"""

import re

import pytest
from playwright.sync_api import expect

from collection.models import CaseStrategy, NightlyRun, Segment, StepExecution
from tests.collection.factories import case_in_arrears
from tests.e2e.conftest import log_in
from tests.factories import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def eager_celery_with_results(eager_celery):
    """Eager tasks store their results too, so the progress page can read the finished run."""
    from config.celery import app as celery_app

    previous = celery_app.conf.task_store_eager_result
    celery_app.conf.task_store_eager_result = True
    yield
    celery_app.conf.task_store_eager_result = previous


def _open_automation(page, link_name):
    page.get_by_role("link", name="Automation", exact=True).first.click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Automation")
    page.get_by_role("link", name=link_name, exact=True).click()


def _create_strategy(page, name, steps):
    """`steps`: (day, action label, {setting label: value}) in order, filled row by row."""
    _open_automation(page, "Strategies")
    page.get_by_role("link", name=re.compile("New strategy")).click()
    page.get_by_label("Name").fill(name)
    for index, (day, action, settings) in enumerate(steps, start=1):
        if index > 1:
            with page.expect_navigation():  # the form comes back with one more row
                page.get_by_role("button", name="Add a step").click()
            page.wait_for_load_state("load")
        page.get_by_label(f"Step {index}: at day").fill(str(day))
        page.get_by_label(f"Step {index}: action").select_option(label=action)
        row = page.locator(f"tr[data-step='{index}']")
        for label, value in settings.items():
            field = row.locator("[data-action-settings]:visible").get_by_label(label)
            if field.evaluate("element => element.tagName") == "SELECT":
                field.select_option(label=value)
            else:
                field.fill(value)
    page.get_by_role("button", name="Create the strategy").click()
    expect(page.get_by_role("status").or_(page.locator(".messages"))).to_contain_text(f"Strategy {name} saved")


@pytest.fixture
def default_buckets(transactional_db):
    """The bucket table lending's nightly step checks: a data migration makes it, a transactional test flushes it."""
    import importlib

    from lending.models import Bucket

    for code, label, min_days, max_days in importlib.import_module(
        "lending.migrations.0002_default_buckets"
    ).DEFAULT_BUCKETS:
        Bucket.objects.get_or_create(code=code, defaults={"label": label, "min_days": min_days, "max_days": max_days})


def test_a_manager_runs_a_champion_and_a_challenger_and_a_collector_sees_the_step(
    page, manager, collector, default_buckets, eager_celery_with_results, shanghai_morning
):
    cases = [case_in_arrears(collector=collector, days_past_due=days) for days in (1, 1, 1, 1, 2, 2, 3, 3, 3, 3, 5, 8)]

    log_in(page, "manager", PASSWORD)
    _create_strategy(
        page,
        "Early reminder",
        [(1, "Send a message", {"Channel": "SMS"}), (3, "Queue for a call", {"Priority boost": "50"})],
    )
    _create_strategy(page, "Early call", [(1, "Queue for a call", {"Priority boost": "200"})])

    # The segment, with the first strategy as its champion.
    _open_automation(page, "Segments")
    page.get_by_role("link", name=re.compile("New segment")).click()
    page.get_by_label("Name", exact=True).fill("Early arrears")
    page.get_by_label("Days past due from").fill("1")
    page.get_by_label("Days past due to").fill("60")
    page.get_by_label("Strategy", exact=True).select_option(label="Early reminder")
    page.get_by_role("button", name="Save", exact=True).click()
    expect(page.get_by_text("Segment Early arrears saved")).to_be_visible()
    segment = Segment.objects.get(name="Early arrears")

    # The challenger, on half of the cases that enter.
    _open_automation(page, "Champion/challenger")
    page.get_by_test_id("segments-without-challenger").get_by_role("row", name=re.compile("Early arrears")).get_by_role(
        "link", name="Try a challenger"
    ).click()
    page.get_by_label("Challenger strategy").select_option(label="Early call")
    page.get_by_label("Share of the cases (%)").fill("50")
    page.get_by_role("button", name="Start the experiment").click()
    expect(page.get_by_text("Early arrears now tries Early call on 50% of the cases")).to_be_visible()

    # Run segments and strategies now, and wait for the progress page to finish.
    _open_automation(page, "Segments")
    page.get_by_role("button", name="Run segments and strategies now").click()
    # The bar fills as the versions run. (Whether the page then says "Done" depends on where an eager
    # task's result is stored: in-process here, on Redis in CI — a real worker stores it either way.)
    expect(page.locator("main")).to_contain_text(re.compile(r"2 of 2 strategy versions run|Done"), timeout=20_000)
    in_segment = CaseStrategy.objects.filter(segment=segment)
    assert in_segment.count() == len(cases)

    # The report: both arms side by side with their case counts.
    _open_automation(page, "Champion/challenger")
    page.get_by_test_id("experiments").get_by_role("link", name="Early arrears").click()
    arms = page.get_by_test_id("arms")
    expect(arms).to_contain_text("Early reminder")
    expect(arms).to_contain_text("Early call")
    champion_cases = in_segment.filter(arm="champion").count()
    challenger_cases = in_segment.filter(arm="challenger").count()
    assert champion_cases and challenger_cases and champion_cases + challenger_cases == len(cases)
    expect(arms.locator("tr[data-rate=cases] td.num")).to_have_text([str(champion_cases), str(challenger_cases)])

    # Tonight's chain, run now from the Nightly runs page: its page lists its steps with their statuses.
    _open_automation(page, "Nightly runs")
    page.get_by_role("button", name=re.compile("Run tonight")).click()
    run = NightlyRun.objects.get()
    expect(page).to_have_url(re.compile(rf"/automation/nightly/{run.pk}/$"))
    expect(page.get_by_test_id("nightly-run-status")).to_contain_text("Succeeded", timeout=20_000)
    steps = page.get_by_test_id("nightly-steps")
    expect(steps.locator("tbody tr")).to_have_count(run.steps.count())
    expect(steps).to_contain_text("Succeeded")
    page.get_by_role("button", name="Log out").click()

    # The collector sees the strategy's step on a case's timeline.
    execution = StepExecution.objects.filter(case__in=cases, step__action="send_message").first()
    assert execution is not None
    log_in(page, "collector", PASSWORD)
    page.goto(f"/cases/{execution.case_id}/")
    expect(page.get_by_test_id("timeline")).to_contain_text("Early reminder")
