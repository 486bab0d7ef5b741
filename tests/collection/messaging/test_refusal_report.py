"""A suppressed reminder about an account in no case is in the refusal log, and the manager's page shows it."""

import datetime
from zoneinfo import ZoneInfo

import pytest
from django.urls import reverse

from collection.compliance import Rule
from collection.messaging.services import message_send
from collection.models import ContactRefusal, MessageKind, MessageOrigin, OutboundMessage
from tests.lending.factories import ContactPointFactory, account_with_schedule

pytestmark = pytest.mark.django_db

MORNING = datetime.datetime(2026, 3, 16, 10, 0, tzinfo=ZoneInfo("Asia/Shanghai"))


@pytest.fixture
def caseless_refusal(sms_template, time_machine):
    time_machine.move_to(MORNING, tick=False)
    account = account_with_schedule(opened_on=datetime.date(2026, 2, 19))
    ContactPointFactory(borrower=account.borrower, consent_sms=False)
    message = OutboundMessage.objects.create(
        idempotency_key=f"reminder:{account.pk}:1:2026-03-19",
        origin=MessageOrigin.REMINDER,
        kind=MessageKind.PRE_DUE_REMINDER,
        channel="sms",
        language="zh-hans",
        borrower=account.borrower,
        account=account,
        created_at=MORNING,
        scheduled_for=MORNING,
    )
    assert message_send(message_id=message.pk, now=MORNING).suppressed_rule == Rule.CONSENT
    return ContactRefusal.objects.get()


def test_the_refusal_report_shows_a_row_without_a_case(client, manager, caseless_refusal):
    assert caseless_refusal.case_id is None
    client.force_login(manager)
    response = client.get(reverse("collection:refusal_report"))
    assert response.status_code == 200
    html = response.content.decode()
    assert f'data-refusal="{caseless_refusal.pk}"' in html
    assert "no case yet" in html
    assert "message.reminder" in html
    csv = client.get(reverse("collection:refusal_report") + "?export=csv")
    assert csv.status_code == 200
