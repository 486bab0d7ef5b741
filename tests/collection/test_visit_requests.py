"""
A visit request is a contact's start (issue 10): the guard is asked already
(channel visit) and a typed address is first the contact point it is, so a
deceased or cease-contact borrower gets no request, and a third party's
address typed as free text is refused as a third party's.
"""

import pytest

from collection.compliance import ContactRefused, Rule
from collection.errors import CollectionError
from collection.models import ContactRefusal, FieldVisit, HoldKind
from collection.services.visits import THIRD_PARTY_ADDRESS, visit_request, visit_schedule
from tests.collection.conftest import MORNING
from tests.collection.factories import HoldFactory
from tests.lending.factories import ContactPointFactory

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("morning")]


def request(case, actor, **kwargs):
    return visit_request(case=case, reason="Not answering for weeks", actor=actor, **kwargs)


@pytest.fixture
def home(case):
    return ContactPointFactory(borrower=case.borrower, kind="home_address", value="8 Garden Road, Pudong")


def test_no_visit_is_requested_for_a_deceased_borrower(case, home, collector):
    case.borrower.is_deceased = True
    case.borrower.save(update_fields=["is_deceased"])
    with pytest.raises(ContactRefused) as refused:
        request(case, collector)
    assert refused.value.verdict.rule == Rule.BORROWER_FLAG
    assert FieldVisit.objects.count() == 0
    refusal = ContactRefusal.objects.get()
    assert (refusal.action, refusal.channel, refusal.actor) == ("visit.request", "visit", collector)


@pytest.mark.parametrize("kind", [HoldKind.CEASE_CONTACT, HoldKind.DECEASED, HoldKind.DISPUTE])
def test_no_visit_is_requested_on_a_hold(case, home, collector, kind):
    HoldFactory(case=case, kind=kind)
    with pytest.raises(ContactRefused):
        request(case, collector)
    with pytest.raises(ContactRefused):
        request(case, collector, address="somewhere else 12")
    assert FieldVisit.objects.count() == 0


def test_a_typed_third_party_address_is_refused_as_a_third_party_s(case, home, collector):
    ContactPointFactory(
        borrower=case.borrower,
        kind="home_address",
        value="3 River Street, Minhang",
        owner="third_party",
        relation="parent",
    )
    with pytest.raises(CollectionError, match=str(THIRD_PARTY_ADDRESS)) as error:
        request(case, collector, address="  3 river street  minhang ")
    assert error.value.field == "address"
    assert FieldVisit.objects.count() == 0


def test_a_typed_address_on_file_is_that_contact_point(case, home, collector):
    visit = request(case, collector, address="8 GARDEN ROAD  Pudong")
    assert visit.contact_point == home


def test_a_typed_address_of_a_do_not_contact_point_is_refused(case, home, collector):
    home.do_not_contact = True
    home.save(update_fields=["do_not_contact"])
    with pytest.raises(ContactRefused) as refused:
        request(case, collector, address="8 Garden Road, Pudong")
    assert refused.value.verdict.rule == Rule.CONTACT_POINT


def test_a_new_typed_address_is_checked_as_the_borrower_s_home_and_accepted(case, home, collector):
    visit = request(case, collector, address="Unit 5, 99 New Street")
    assert (visit.address, visit.contact_point) == ("Unit 5, 99 New Street", None)


def test_a_typed_address_scheduled_later_is_checked_again(case, collector, team_lead, field_agent):
    visit = request(case, collector, address="Unit 5, 99 New Street")
    case.borrower.cease_contact_requested = True
    case.borrower.save(update_fields=["cease_contact_requested"])
    with pytest.raises(ContactRefused) as refused:
        visit_schedule(visit=visit, agent=field_agent, scheduled_on=MORNING.date(), actor=team_lead)
    assert refused.value.verdict.rule == Rule.CEASE_CONTACT
