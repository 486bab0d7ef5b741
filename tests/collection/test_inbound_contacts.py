"""
Inbound contacts are no bypass (issue 10): a contact the borrower started
stays loggable at any hour and whatever the holds, but only on a channel a
borrower can start, stamped with the server's time, counted in China's
connected calls of the day, shown as inbound on the timeline, starting no
outbound action; and a team lead's page of inbound logs by collector and day.
"""

import datetime
from urllib.parse import urlencode

import pytest
import time_machine
from django.urls import reverse

from collection.compliance import ContactRefused, Rule
from collection.errors import CollectionError
from collection.models import (
    AnsweredBy,
    CaseEvent,
    Channel,
    ContactAttempt,
    ContactRefusal,
    Direction,
    HoldKind,
    Outcome,
)
from collection.services.contacts import (
    CONTACT_INBOUND_CHANNEL,
    CONTACT_INBOUND_NOBODY,
    CONTACT_INBOUND_TIME_GIVEN,
)
from collection.timeline import event_text
from tests.collection.conftest import MORNING, NIGHT, call_logged, contact_posted
from tests.collection.factories import HoldFactory, case_in_arrears
from tests.factories import UserFactory
from tests.lending.factories import ContactPointFactory

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("morning")]


def log(case, point, actor, *, direction=Direction.INBOUND, **kwargs):
    return call_logged(case, point, actor, direction=direction, **kwargs)


def test_an_inbound_call_at_night_for_a_deceased_borrower_on_hold_is_still_logged(case, mobile, collector):
    case.borrower.is_deceased = True
    case.borrower.save(update_fields=["is_deceased"])
    HoldFactory(case=case, kind=HoldKind.CEASE_CONTACT)
    with time_machine.travel(NIGHT, tick=False):
        contact = log(case, mobile, collector, answered_by=AnsweredBy.THIRD_PARTY, outcome=Outcome.CALL_BACK)
    assert contact.direction == Direction.INBOUND
    assert contact.occurred_at == NIGHT
    assert ContactRefusal.objects.count() == 0


@pytest.mark.parametrize("channel", [Channel.VISIT, Channel.LETTER])
def test_a_borrower_cannot_start_a_visit_or_a_letter(case, collector, channel):
    address = ContactPointFactory(borrower=case.borrower, kind="home_address", value="1 Road")
    with pytest.raises(CollectionError) as error:
        log(case, address, collector, channel=channel)
    assert str(error.value) == CONTACT_INBOUND_CHANNEL.format(channel=Channel(channel).label.lower())
    assert error.value.field == "channel"
    assert ContactAttempt.objects.count() == 0


def test_an_inbound_contact_cannot_be_back_dated(case, mobile, collector):
    with pytest.raises(CollectionError, match=str(CONTACT_INBOUND_TIME_GIVEN)):
        log(case, mobile, collector, at=MORNING - datetime.timedelta(hours=12))
    assert ContactAttempt.objects.count() == 0


def test_an_inbound_call_nobody_answered_is_no_inbound_call(case, mobile, collector):
    with pytest.raises(CollectionError, match=str(CONTACT_INBOUND_NOBODY)):
        log(case, mobile, collector, answered_by=AnsweredBy.NOBODY, outcome=Outcome.NO_ANSWER)


def test_an_inbound_message_received_is_logged(case, mobile, collector):
    contact = log(case, mobile, collector, channel=Channel.SMS, answered_by=AnsweredBy.NOBODY, outcome="message_sent")
    assert contact.channel == Channel.SMS


def test_inbound_connected_calls_count_towards_the_daily_cap_of_later_outbound_calls(case, mobile, collector):
    log(case, mobile, collector)
    log(case, mobile, collector)
    log(case, mobile, collector, direction=Direction.OUTBOUND)
    with pytest.raises(ContactRefused) as refused:
        log(case, mobile, collector, direction=Direction.OUTBOUND)
    assert refused.value.verdict.rule == Rule.DAILY_CONNECTED_CALLS
    # The borrower may still call in.
    log(case, mobile, collector)
    assert ContactAttempt.objects.count() == 4


def test_an_inbound_contact_shows_as_from_the_borrower_on_the_timeline(case, mobile, collector):
    log(case, mobile, collector)
    event = CaseEvent.objects.get(case=case, code="contact_logged")
    assert event.data["direction"] == Direction.INBOUND
    assert event_text(event) == "Call from the borrower: Right party contact"


def test_an_inbound_contact_starts_no_outbound_action(case, mobile, collector):
    log(case, mobile, collector, outcome=Outcome.CALL_BACK)
    case.refresh_from_db()
    assert case.next_action_at is None
    assert case.last_contact_at == MORNING


def test_the_case_page_refuses_an_inbound_visit(client, case, collector):
    address = ContactPointFactory(borrower=case.borrower, kind="home_address", value="1 Road")
    response = contact_posted(client, collector, case, address, channel="visit", direction="inbound")
    assert response.status_code == 200
    assert "a visit is ours" in response.text
    assert ContactAttempt.objects.count() == 0


# --- The team lead's page ---------------------------------------------------------------------------


def url(**query):
    return reverse("collection:inbound_report") + ("?" + urlencode(query) if query else "")


@pytest.fixture
def inbound(case, mobile, collector, outsider):
    log(case, mobile, collector)
    log(case, mobile, collector)
    log(case, mobile, collector, direction=Direction.OUTBOUND)
    other_case = case_in_arrears(collector=outsider)
    log(other_case, other_case.borrower.contact_points.get(), outsider)
    return case


def test_the_team_lead_sees_inbound_logs_by_collector_and_day_of_their_teams(client, team_lead, inbound, collector):
    client.force_login(team_lead)
    response = client.get(url())
    assert response.status_code == 200
    counts = response.context["counts"]
    assert [(row["actor_id"], row["day"], row["count"]) for row in counts] == [(collector.pk, MORNING.date(), 2)]
    assert response.context["rows"] is None


def test_the_drill_down_lists_the_contacts(client, team_lead, inbound, collector, django_assert_max_num_queries):
    client.force_login(team_lead)
    day = MORNING.date().isoformat()
    with django_assert_max_num_queries(12):
        response = client.get(url(first=day, last=day, collector=collector.pk))
    rows = response.context["rows"]
    assert len(rows) == 2 and all(row.direction == Direction.INBOUND for row in rows)
    assert 'data-testid="inbound-rows"' in response.text


def test_a_manager_sees_every_team(client, manager, inbound):
    client.force_login(manager)
    assert client.get(url()).context["total"] == 3


def test_a_collector_may_not_see_the_inbound_report(client, collector):
    client.force_login(collector)
    assert client.get(url()).status_code == 403


def test_the_inbound_report_answers_only_get(client, team_lead):
    client.force_login(team_lead)
    assert client.post(url()).status_code == 405


def test_a_collector_of_another_team_is_not_in_the_lead_s_report(client, inbound, outsider):
    lead_b = UserFactory(role="team_lead")
    outsider.team.lead = lead_b
    outsider.team.save(update_fields=["lead"])
    client.force_login(lead_b)
    counts = client.get(url()).context["counts"]
    assert [row["actor_id"] for row in counts] == [outsider.pk]
