"""
The nightly runs' pages: the list, a run's steps (the failure on the failed
step, "not run" on the ones after), "Run tonight's chain now", and the
manager's home page pointing at the last run.
"""

import pytest
from django.urls import reverse

from collection.models import NightlyRun, RunStatus
from collection.nightly.chain import nightly_chain_run, nightly_run_create
from tests.collection.nightly.conftest import NIGHT, failing_step

pytestmark = pytest.mark.django_db

HTMX_POLL = {"HTTP_HX_REQUEST": "true", "HTTP_HX_TARGET": "nightly-progress"}


@pytest.fixture
def quiet_steps(chain_steps):
    chain_steps.add("probe", lambda on: {"cases_opened": 3, "promises": {"kept": 2}}, order=10)
    chain_steps.add("tidy", lambda on: {}, order=20)
    return chain_steps


@pytest.fixture
def failed_run(chain_steps):
    chain_steps.use("lending")
    chain_steps.add("feed", failing_step, order=20, label="The core system's feed")
    chain_steps.add("after", lambda on: {}, order=30, label="After the feed")
    return nightly_chain_run(on=NIGHT)


def test_the_list_shows_each_run_newest_first(client, manager, quiet_steps, django_assert_max_num_queries):
    older = nightly_chain_run(on=NIGHT)
    newer = nightly_chain_run(on=NIGHT.replace(day=11))
    client.force_login(manager)

    with django_assert_max_num_queries(3):  # session, user, runs (with who started them)
        response = client.get(reverse("collection:nightly_run_list"))

    assert response.status_code == 200
    text = response.content.decode()
    assert text.index(f'data-run="{newer.pk}"') < text.index(f'data-run="{older.pk}"')
    assert "Succeeded" in text and "Run tonight's chain now" in text
    assert reverse("collection:nightly_run_detail", args=[newer.pk]) in text


def test_the_navigation_leads_a_manager_to_the_page_through_automation(client, manager):
    client.force_login(manager)
    response = client.get(reverse("collection:nightly_run_list"))
    nav = response.content.decode().split('class="mainnav"')[1].split("</nav>")[0]
    # The bar's Automation entry is current on the page, and the Automation page links it.
    assert '<a href="/automation/" data-nav="automation" aria-current="page">Automation</a>' in nav
    hub = client.get(reverse("collection:automation")).content.decode()
    assert f'href="{reverse("collection:nightly_run_list")}"' in hub and "Nightly runs" in hub


def test_a_run_shows_its_steps_with_their_counts_as_labels(client, manager, quiet_steps, django_assert_max_num_queries):
    run = nightly_chain_run(on=NIGHT)
    client.force_login(manager)

    with django_assert_max_num_queries(4):  # session, user, the run, its steps
        response = client.get(reverse("collection:nightly_run_detail", args=[run.pk]))

    text = response.content.decode()
    assert "Cases opened" in text and "Promises kept" in text
    assert "Nothing to do." in text  # the step that had nothing to do says so
    assert "Started by the schedule (or from the command line)." in text
    assert 'hx-trigger="every 2s"' not in text  # finished: no polling


def test_a_failed_run_shows_the_reason_on_the_failed_step_and_not_run_on_the_later_ones(client, manager, failed_run):
    client.force_login(manager)

    response = client.get(reverse("collection:nightly_run_detail", args=[failed_run.pk]))

    text = response.content.decode()
    assert "Step 2 (The core system&#x27;s feed) failed." in text
    assert "RuntimeError: the core system&#x27;s feed was not there" in text
    assert text.count("not run") >= 1
    assert "Not run: step 2 (The core system&#x27;s feed) failed." in text


def test_a_running_run_polls_its_steps(client, manager, quiet_steps):
    run = nightly_run_create(on=NIGHT)
    client.force_login(manager)

    page = client.get(reverse("collection:nightly_run_detail", args=[run.pk])).content.decode()
    partial = client.get(reverse("collection:nightly_run_detail", args=[run.pk]), **HTMX_POLL)

    assert 'hx-trigger="every 2s"' in page and "Waiting" in page
    assert 'id="nightly-progress"' in partial.content.decode()
    assert "<html" not in partial.content.decode()  # the steps alone, swapped in place


def test_run_now_records_the_run_and_sends_the_chain_on_commit(
    client, manager, quiet_steps, eager_celery, django_capture_on_commit_callbacks
):
    client.force_login(manager)

    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        response = client.post(reverse("collection:nightly_run_start"))

    run = NightlyRun.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("collection:nightly_run_detail", args=[run.pk])
    assert len(callbacks) == 1
    run.refresh_from_db()
    assert (run.status, run.started_by) == (RunStatus.SUCCEEDED, manager)


def test_run_now_is_refused_while_a_chain_runs(client, manager, quiet_steps):
    nightly_run_create(on=NIGHT)
    client.force_login(manager)

    response = client.post(reverse("collection:nightly_run_start"), follow=True)

    assert NightlyRun.objects.count() == 1
    assert "A nightly chain is already running" in response.content.decode()


def test_run_now_wants_a_post(client, manager):
    client.force_login(manager)
    assert client.get(reverse("collection:nightly_run_start")).status_code == 405


@pytest.mark.parametrize("url_name", ["collection:nightly_run_list", "collection:nightly_run_start"])
def test_a_collector_may_not_see_or_start_runs(client, collector, url_name):
    client.force_login(collector)
    assert client.get(reverse(url_name)).status_code == 403
    assert client.post(reverse("collection:nightly_run_start")).status_code == 403
    assert NightlyRun.objects.count() == 0


def test_an_admin_sees_the_runs_but_may_not_start_one(client, admin_user, quiet_steps):
    run = nightly_chain_run(on=NIGHT)
    client.force_login(admin_user)

    assert client.get(reverse("collection:nightly_run_detail", args=[run.pk])).status_code == 200
    page = client.get(reverse("collection:nightly_run_list")).content.decode()
    assert "Run tonight's chain now" not in page
    assert client.post(reverse("collection:nightly_run_start")).status_code == 403


def test_an_anonymous_visitor_is_sent_to_log_in(client):
    response = client.get(reverse("collection:nightly_run_list"))
    assert response.status_code == 302 and "login" in response["Location"]


def test_an_unknown_run_is_404(client, manager):
    client.force_login(manager)
    assert client.get(reverse("collection:nightly_run_detail", args=[999])).status_code == 404


def test_the_managers_home_links_the_last_run(client, manager, quiet_steps):
    run = nightly_chain_run(on=NIGHT)
    client.force_login(manager)

    text = client.get(reverse("accounts:home") + "?overview=1").content.decode()

    assert reverse("collection:nightly_run_detail", args=[run.pk]) in text
    assert 'data-step="probe"' in text and 'data-step="tidy"' in text  # its steps, with their status
    assert 'data-testid="nightly-failed-banner"' not in text


def test_the_managers_home_warns_when_last_nights_run_failed(client, manager, failed_run):
    client.force_login(manager)

    text = client.get(reverse("accounts:home") + "?overview=1").content.decode()

    assert 'data-testid="nightly-failed-banner"' in text
    assert "Step 2 (The core system&#x27;s feed) failed." in text
    assert reverse("collection:nightly_run_detail", args=[failed_run.pk]) in text


def test_an_interrupted_step_reads_as_such(client, manager, chain_steps, settings):
    import datetime

    from django.utils import timezone

    chain_steps.add("slow", lambda on: {}, order=10)
    dead = nightly_run_create(on=NIGHT)
    dead.steps.update(status=RunStatus.RUNNING, started_at=dead.started_at)
    hard_limit = settings.ARREARS_QUEUE_TIME_LIMITS["nightly"][1]
    NightlyRun.objects.filter(pk=dead.pk).update(started_at=timezone.now() - datetime.timedelta(seconds=hard_limit + 1))
    nightly_run_create(on=NIGHT)
    client.force_login(manager)

    text = client.get(reverse("collection:nightly_run_detail", args=[dead.pk])).content.decode()

    assert "Interrupted: the worker stopped before the step finished" in text
