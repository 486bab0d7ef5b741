"""An agency's own field visits: asked for by its agent on a placed case, on their list at once, reported by them."""

import datetime
from zoneinfo import ZoneInfo

import pytest
from django.urls import reverse
from django.utils import timezone

from collection.models import AnsweredBy, Channel, ContactAttempt, Outcome, VisitStatus
from collection.services.visits import visit_report, visit_request
from lending.models import ContactPoint
from tests.collection.agencies.factories import AgencyContractFactory, agency_user, placed_case
from tests.lending.factories import ContactPointFactory

pytestmark = pytest.mark.django_db

SHANGHAI = ZoneInfo("Asia/Shanghai")
START = datetime.datetime(2026, 12, 1, 9, 0, tzinfo=SHANGHAI)
HOME = "北京市东城区和平里街道12号楼3单元501"


@pytest.fixture(autouse=True)
def morning(time_machine):
    time_machine.move_to(START, tick=True)


@pytest.fixture
def placement(db):
    placement = placed_case(contract=AgencyContractFactory())
    ContactPointFactory(
        borrower=placement.case.borrower, kind=ContactPoint.Kind.HOME_ADDRESS, value=HOME, consent_sms=False
    )
    return placement


def test_an_agency_agents_visit_is_on_their_own_list_at_once_and_they_report_it(client, placement, team_lead):
    agent = agency_user(placement.agency)
    visit = visit_request(case=placement.case, actor=agent, reason="Phone switched off for a week")
    assert (visit.status, visit.agent, visit.scheduled_on) == (VisitStatus.SCHEDULED, agent, START.date())

    client.force_login(agent)
    day = client.get(reverse("collection:visit_day"))
    assert placement.case.number in day.content.decode()
    # No lender team lead decides it: it is not among the requests waiting for one.
    client.force_login(team_lead)
    assert placement.case.number not in client.get(reverse("collection:visit_requests")).content.decode()

    visit_report(
        visit=visit,
        actor=agent,
        visited_at=timezone.now(),
        met=AnsweredBy.BORROWER,
        outcome=Outcome.RIGHT_PARTY_CONTACT,
        was_recorded=True,
        notes="Met at the door.",
    )
    visit.refresh_from_db()
    assert visit.status == VisitStatus.DONE
    contact = ContactAttempt.objects.get(case=placement.case, channel=Channel.VISIT)
    assert contact.actor == agent


def test_an_agent_of_another_agency_cannot_open_the_visit_report(client, placement):
    agent = agency_user(placement.agency)
    visit = visit_request(case=placement.case, actor=agent, reason="Phone switched off for a week")
    other = agency_user(AgencyContractFactory().agency)
    client.force_login(other)
    assert client.get(reverse("collection:visit_report", args=[visit.pk])).status_code == 404
