"""Bulk messages: a team lead messages the cases of a filtered queue; a progress bar; nothing queued twice."""

import pytest
from django.urls import reverse

from accounts.models import AuditEvent
from collection.models import BulkMessageBatch, OutboundMessage
from collection.reminders.bulk import BULK_EMPTY, bulk_message_run
from tests.collection.factories import case_in_arrears

pytestmark = pytest.mark.django_db

NEW = reverse("collection:bulk_message_new")


@pytest.fixture
def cases(collector):
    return [case_in_arrears(collector=collector, days_past_due=days) for days in (5, 20, 40)]


@pytest.fixture
def start(django_capture_on_commit_callbacks, eager_celery):
    """Post the form; the task runs in-process once the view's transaction commits, as a worker would."""

    def post(client, query="queue=team", **data):
        data = {"kind": "payment_demand", "channel": "sms", **data}
        with django_capture_on_commit_callbacks(execute=True):
            return client.post(f"{NEW}?{query}", data)

    return post


def test_the_team_queue_links_to_a_bulk_message_with_its_filter(client, team_lead, cases):
    client.force_login(team_lead)
    page = client.get(reverse("collection:team_queue"), {"days_past_due_min": "10"}).content.decode()

    assert f"{NEW}?" in page and "Message these cases" in page


def test_the_form_says_how_many_cases_the_filter_holds(client, team_lead, cases):
    client.force_login(team_lead)
    response = client.get(NEW, {"queue": "team"})

    assert response.status_code == 200
    assert "3 cases match the filter." in response.content.decode()


def test_a_team_lead_sends_a_message_to_every_case_one_each(client, team_lead, cases, start):
    client.force_login(team_lead)
    response = start(client)

    batch = BulkMessageBatch.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("collection:bulk_message_detail", args=[batch.pk])
    assert (batch.status, batch.total, batch.processed, batch.queued) == ("done", 3, 3, 3)
    keys = set(OutboundMessage.objects.values_list("idempotency_key", flat=True))
    assert keys == {f"bulk:{batch.pk}:{case.pk}" for case in cases}
    message = OutboundMessage.objects.get(case=cases[0])
    assert (message.origin, message.kind, message.channel, message.actor) == (
        "manual",
        "payment_demand",
        "sms",
        team_lead,
    )
    assert AuditEvent.objects.get(action="collection.bulk_message.started").data == {
        "kind": "payment_demand",
        "channel": "sms",
        "cases": 3,
        "queue": "team",
    }


def test_running_the_batch_again_queues_nothing_twice(client, team_lead, cases, start):
    client.force_login(team_lead)
    start(client)
    batch = BulkMessageBatch.objects.get()
    BulkMessageBatch.objects.filter(pk=batch.pk).update(processed=1, status="running")  # as if a worker died

    assert bulk_message_run(batch_id=batch.pk)
    assert OutboundMessage.objects.count() == 3


def test_the_progress_page_shows_the_bar_and_the_messages_states(client, team_lead, cases, start):
    client.force_login(team_lead)
    start(client)
    batch = BulkMessageBatch.objects.get()

    page = client.get(reverse("collection:bulk_message_detail", args=[batch.pk])).content.decode()
    partial = client.get(
        reverse("collection:bulk_message_detail", args=[batch.pk]),
        headers={"HX-Request": "true", "HX-Target": "bulk-progress"},
    ).content.decode()

    assert '<progress max="3" value="3"' in page
    assert "3 of 3 cases done: 3 messages queued" in page
    assert partial.lstrip().startswith('<div id="bulk-progress"') and "<html" not in partial


def test_the_filter_decides_which_cases(client, team_lead, cases, start):
    client.force_login(team_lead)
    start(client, query="queue=team&days_past_due_min=30")

    assert list(OutboundMessage.objects.values_list("case_id", flat=True)) == [cases[2].pk]


def test_an_empty_filter_is_refused_with_the_reason(client, team_lead, cases, start):
    client.force_login(team_lead)
    response = start(client, query="queue=team&days_past_due_min=400")

    assert response.status_code == 200
    assert "0 cases match the filter." in response.content.decode()
    assert BulkMessageBatch.objects.count() == 0


def test_no_queue_is_404_and_a_collector_is_403(client, team_lead, collector):
    client.force_login(team_lead)
    assert client.get(NEW).status_code == 404
    client.force_login(collector)
    assert client.get(NEW, {"queue": "team"}).status_code == 403


def test_another_leads_batch_is_404(client, team_lead, cases, start, user_of_role):
    from accounts.roles import Role

    client.force_login(team_lead)
    start(client)
    batch = BulkMessageBatch.objects.get()
    client.force_login(user_of_role(Role.TEAM_LEAD, username="other_lead"))
    assert client.get(reverse("collection:bulk_message_detail", args=[batch.pk])).status_code == 404


def test_the_empty_message_is_a_constant():
    assert "No case matches this filter" in str(BULK_EMPTY)
