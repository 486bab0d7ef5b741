"""
The case page's "Messages" section: the case's messages with their status and
the recipient masked; "Send a message" for whoever works the case, through
message_queue and the guard (a refusal shown with the guard's reason).
"""

import re

import pytest
from django.urls import reverse

from collection.messaging.services import manual_key, message_send
from collection.models import ContactRefusal, HoldKind, MessageOrigin, OutboundMessage
from tests.collection.factories import HoldFactory, case_in_arrears
from tests.collection.messaging.factories import OutboundMessageFactory

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("morning", "sms_template")]


def page(client, case):
    return client.get(reverse("collection:case_detail", args=[case.pk])).content.decode()


def send(client, case, **data):
    data = {"kind": "overdue_reminder", "channel": "sms", "idempotency_key": manual_key(), **data}
    return client.post(reverse("collection:case_message_send", args=[case.pk]), data, follow=True)


def test_the_section_lists_the_cases_messages_with_the_number_masked(client, collector, case, mobile):
    sent = message_send(message_id=OutboundMessageFactory(case=case).pk)
    HoldFactory(case=case, kind=HoldKind.DISPUTE)
    suppressed = message_send(message_id=OutboundMessageFactory(case=case, kind="payment_demand").pk)
    client.force_login(collector)
    html = page(client, case)
    section = re.search(r'<section id="case-messages".*?</section>', html, re.S).group(0)
    assert f'data-message="{sent.pk}"' in section and f'data-message="{suppressed.pk}"' in section
    assert "Sent" in section and "Suppressed" in section
    assert "(Case on hold)" in section
    assert mobile.number_e164 not in html.replace(" ", "")
    assert sent.recipient not in section
    assert sent.recipient[:3] + "****" in section or "****" in section


def test_the_section_costs_the_same_few_queries_with_many_messages(
    client, collector, case, mobile, django_assert_max_num_queries
):
    client.force_login(collector)
    for _number in range(2):
        OutboundMessageFactory(case=case)
    page(client, case)
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as few:
        page(client, case)
    for _number in range(10):
        OutboundMessageFactory(case=case)
    with django_assert_max_num_queries(len(few.captured_queries)):
        page(client, case)


def test_a_collector_sends_a_message_from_the_case(client, collector, case, mobile, eager_celery):
    client.force_login(collector)
    response = send(client, case)
    assert "Overdue reminder by SMS queued: it goes out now." in response.content.decode()
    message = OutboundMessage.objects.get()
    assert (message.origin, message.actor, message.case_id) == (MessageOrigin.MANUAL, collector, case.pk)
    assert message.contact_point == mobile


def test_posting_the_form_twice_sends_one_message(client, collector, case, mobile):
    client.force_login(collector)
    key = manual_key()
    send(client, case, idempotency_key=key)
    send(client, case, idempotency_key=key)
    assert OutboundMessage.objects.count() == 1


def test_a_refused_send_shows_the_guards_reason_and_is_logged(client, collector, case, mobile):
    mobile.consent_sms = False
    mobile.save(update_fields=["consent_sms"])
    client.force_login(collector)
    html = send(client, case).content.decode()
    assert "Not sent: No consent to SMS is recorded for this number" in html
    assert not OutboundMessage.objects.exists()
    refusal = ContactRefusal.objects.get()
    assert (refusal.rule, refusal.action, refusal.actor) == ("consent", "message.manual", collector)


def test_a_forged_key_is_refused(client, collector, case, mobile):
    client.force_login(collector)
    html = send(client, case, idempotency_key="reminder:1:1:2026-03-16").content.decode()
    assert "This form has expired" in html
    assert not OutboundMessage.objects.exists()


def test_an_outsider_gets_404_and_sends_nothing(client, outsider, case, mobile):
    client.force_login(outsider)
    assert send(client, case).status_code == 404
    assert not OutboundMessage.objects.exists()


def test_without_work_cases_it_is_403(client, legal_officer, mobile):
    legal_case = case_in_arrears(days_past_due=200, stage="legal")
    client.force_login(legal_officer)
    response = client.post(
        reverse("collection:case_message_send", args=[legal_case.pk]),
        {"kind": "overdue_reminder", "channel": "sms", "idempotency_key": manual_key()},
    )
    assert response.status_code == 403


def test_only_post(client, collector, case):
    client.force_login(collector)
    assert client.get(reverse("collection:case_message_send", args=[case.pk])).status_code == 405


def test_the_form_is_not_offered_to_who_may_not_send(client, legal_officer):
    legal_case = case_in_arrears(days_past_due=200, stage="legal")
    client.force_login(legal_officer)
    html = page(client, legal_case)
    assert 'id="case-messages"' in html
    assert 'data-testid="message-send-form"' not in html
