import datetime

import pytest
import time_machine
from django.db import connection, transaction
from django.db.utils import DatabaseError
from django.urls import reverse

from accounts.audit_context import RequestContext, acting
from accounts.models import AuditEvent, AuditTrailIsAppendOnly
from accounts.services import audit_record

pytestmark = pytest.mark.django_db

TRAIL_URL = reverse("accounts:audit_trail")


def test_it_records_who_what_which_object_and_from_where(collector, team_a):
    with acting(RequestContext(user=collector, ip_address="10.1.2.3", user_agent="Firefox")):
        event = audit_record(action="accounts.team.changed", target=team_a, data={"fields": ["name"]})
    event.refresh_from_db()
    assert event.actor == collector
    assert event.target_type.model == "team"
    assert event.target_id == str(team_a.pk)
    assert event.target_repr == "Early A"
    assert event.ip_address == "10.1.2.3"
    assert event.user_agent == "Firefox"
    assert event.data == {"fields": ["name"]}


def test_outside_a_request_the_system_is_the_actor(team_a):
    event = audit_record(action="accounts.team.refreshed", target=team_a)
    assert event.actor is None
    assert event.ip_address is None


def test_a_request_records_the_client_address(client, collector):
    client.force_login(collector)
    client.post(reverse("accounts:language"), {"language": "en"}, REMOTE_ADDR="192.0.2.7", HTTP_USER_AGENT="Edge")
    event = AuditEvent.objects.get(action="accounts.user.language_changed")
    assert (event.ip_address, event.user_agent) == ("192.0.2.7", "Edge")


def test_forwarded_for_is_trusted_only_behind_configured_proxies(client, collector, settings):
    client.force_login(collector)
    headers = {"REMOTE_ADDR": "10.0.0.1", "HTTP_X_FORWARDED_FOR": "198.51.100.9, 203.0.113.5"}
    client.post(reverse("accounts:language"), {"language": "en"}, **headers)
    settings.TRUSTED_PROXY_COUNT = 1
    client.post(reverse("accounts:language"), {"language": "zh-hans"}, **headers)
    addresses = list(
        AuditEvent.objects.filter(action="accounts.user.language_changed")
        .order_by("id")
        .values_list("ip_address", flat=True)
    )
    assert addresses == ["10.0.0.1", "203.0.113.5"]


def test_an_event_cannot_be_changed_or_deleted_through_the_model(collector):
    event = audit_record(action="accounts.test.done", actor=collector)
    event.action = "accounts.test.undone"
    with pytest.raises(AuditTrailIsAppendOnly):
        event.save()
    with pytest.raises(AuditTrailIsAppendOnly):
        event.delete()
    with pytest.raises(AuditTrailIsAppendOnly):
        AuditEvent.objects.filter(pk=event.pk).update(action="accounts.test.undone")
    with pytest.raises(AuditTrailIsAppendOnly):
        AuditEvent.objects.all().delete()
    assert AuditEvent.objects.get(pk=event.pk).action == "accounts.test.done"


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the trigger exists on PostgreSQL only")
def test_postgresql_refuses_raw_sql_changes(collector):
    event = audit_record(action="accounts.test.done", actor=collector)
    for statement in (
        "UPDATE accounts_auditevent SET action = 'x' WHERE id = %s",
        "DELETE FROM accounts_auditevent WHERE id = %s",
    ):
        with pytest.raises(DatabaseError, match="append-only"), transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(statement, [event.pk])
    assert AuditEvent.objects.get(pk=event.pk).action == "accounts.test.done"


def test_the_admin_shows_events_read_only_even_to_administrators(client, admin_user):
    event = audit_record(action="accounts.test.done", actor=admin_user)
    client.force_login(admin_user)
    assert client.get(reverse("admin:accounts_auditevent_changelist")).status_code == 200
    change_url = reverse("admin:accounts_auditevent_change", args=[event.pk])
    detail = client.get(change_url)
    assert detail.status_code == 200  # viewable ...
    assert 'name="_save"' not in detail.text  # ... but without a save button
    assert client.post(change_url, {"action": "accounts.test.undone"}).status_code == 403
    assert client.post(reverse("admin:accounts_auditevent_delete", args=[event.pk]), {"post": "yes"}).status_code == 403
    assert client.get(reverse("admin:accounts_auditevent_add")).status_code == 403
    bulk_delete = client.post(
        reverse("admin:accounts_auditevent_changelist"),
        {"action": "delete_selected", "_selected_action": [event.pk], "post": "yes"},
    )
    assert bulk_delete.status_code in (200, 302)
    assert AuditEvent.objects.get(pk=event.pk).action == "accounts.test.done"


# --- The audit trail page -------------------------------------------------------


@pytest.fixture
def trail(collector, outsider, team_a, team_b):
    with time_machine.travel(datetime.datetime(2026, 11, 2, 9, 0, tzinfo=datetime.UTC)):
        audit_record(action="accounts.team.changed", actor=collector, target=team_a)
    with time_machine.travel(datetime.datetime(2026, 11, 5, 9, 0, tzinfo=datetime.UTC)):
        audit_record(action="accounts.team.changed", actor=outsider, target=team_b)
        audit_record(action="accounts.user.created", actor=outsider, target=collector)


def test_a_manager_sees_the_whole_trail(client, manager, trail, django_assert_max_num_queries):
    client.force_login(manager)
    with django_assert_max_num_queries(8):
        response = client.get(TRAIL_URL)
    assert response.status_code == 200
    staff_actions = [event.action for event in shown_events(response) if event.action != "accounts.login"]
    assert staff_actions == ["accounts.user.created", "accounts.team.changed", "accounts.team.changed"]


def test_it_filters_by_user(client, manager, trail, collector):
    client.force_login(manager)
    response = client.get(TRAIL_URL, {"actor": collector.pk})
    rows = shown_events(response)
    assert [(row.actor, row.target_repr) for row in rows] == [(collector, "Early A")]


def test_it_filters_by_object(client, manager, trail, team_b):
    client.force_login(manager)
    response = client.get(TRAIL_URL, {"target_type": _team_type_id(), "target_id": team_b.pk})
    rows = shown_events(response)
    assert [row.target_repr for row in rows] == ["Early B"]


def test_it_filters_by_date_in_the_viewers_time_zone(client, manager, trail):
    client.force_login(manager)
    response = client.get(TRAIL_URL, {"date_from": "2026-11-03", "date_to": "2026-11-05"})
    rows = shown_events(response)
    assert {row.action for row in rows} == {"accounts.user.created", "accounts.team.changed"}
    assert len(rows) == 2


def test_a_bad_date_is_reported_on_the_form(client, manager, trail):
    client.force_login(manager)
    response = client.get(TRAIL_URL, {"date_from": "not-a-date"})
    assert response.status_code == 200
    assert "Enter a valid date." in response.text


def test_an_htmx_filter_request_gets_the_page(client, manager, trail):
    client.force_login(manager)
    response = client.get(TRAIL_URL, {"action": "accounts.user"}, HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    assert 'id="results"' in response.text


def _team_type_id():
    from django.contrib.contenttypes.models import ContentType

    from accounts.models import Team

    return ContentType.objects.get_for_model(Team).pk


def shown_events(response):
    """The audit events in the rows of the rendered table, top to bottom."""
    return [row.record for row in response.context["table"].paginated_rows]
