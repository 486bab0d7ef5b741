"""
The case page as an agency agent sees it (part C): the national id always
masked and never revealable, contact points of the kinds the contract
withholds not shown nor usable, employer and date of birth only when the
contract shows them; lender staff see what they saw before.
"""

import pytest
from django.urls import reverse

from accounts.models import AuditEvent
from collection.agencies.portal import agency_fields_for
from collection.errors import CollectionError
from collection.models import AgencyField, ContactAttempt
from collection.services.contacts import (
    CONTACT_POINT_WITHHELD,
    REVEAL_NATIONAL_ID_AGENCY,
    contact_detail_reveal,
    contact_log,
)
from lending.masking import mask_national_id, mask_phone
from lending.models import ContactPoint
from tests.collection.agencies.factories import AgencyContractFactory, agency_user, placed_case
from tests.collection.agencies.portal_cast import (
    ALL_FIELDS,
    AgencyWorld,
    Secrets,
    distinctive_case,
    leaked,
    own_mobile,
)
from tests.collection.conftest import MORNING

pytestmark = pytest.mark.django_db

HTMX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture
def world():
    return AgencyWorld()


def page(client, user, case, **headers):
    client.force_login(user)
    response = client.get(reverse("collection:case_detail", args=[case.pk]), **headers)
    assert response.status_code == 200
    return response.text


def point_of(case, kind, owner=ContactPoint.Owner.BORROWER):
    return case.borrower.contact_points.get(kind=kind, owner=owner)


def test_agency_fields_follow_the_active_placement_s_contract(world, collector, manager):
    assert agency_fields_for(collector, world.case_a) is None
    assert agency_fields_for(manager, world.case_a) is None
    assert agency_fields_for(world.agent_a, world.case_a) == frozenset({AgencyField.PHONE})
    assert agency_fields_for(world.agent_b, world.case_b) == frozenset(ALL_FIELDS)
    # Not their agency's case: nothing.
    assert agency_fields_for(world.agent_b, world.case_a) == frozenset()


def test_the_agent_sees_the_national_id_masked_with_no_reveal(client, world):
    body = page(client, world.agent_a, world.case_a)
    assert Secrets.NATIONAL_ID not in body
    assert mask_national_id(Secrets.NATIONAL_ID) in body
    assert 'name="field" value="national_id"' not in body


def test_an_agency_whose_contract_shows_everything_still_never_sees_the_national_id(client, world):
    case = distinctive_case(national_id="440301199202023456")
    placed_case(contract=world.contract_b, case=case)
    body = page(client, world.agent_b, case)
    assert "440301199202023456" not in body
    assert 'name="field" value="national_id"' not in body
    # ... but sees what the contract shows: the e-mail (masked), the third party, the employer, the date of birth.
    assert "hidden-domain.test" in body and Secrets.EMPLOYER in body and "1977" in body
    assert "Third parties" in body


def test_withheld_contact_points_are_not_shown_at_all(client, world):
    body = page(client, world.agent_a, world.case_a)
    for field in (AgencyField.EMAIL, AgencyField.ADDRESS, AgencyField.THIRD_PARTIES, AgencyField.EMPLOYER,
                  AgencyField.DATE_OF_BIRTH):  # fmt: skip
        for fragment in Secrets.FRAGMENTS[field]:
            assert fragment not in body, (field, fragment)
    # The phone the contract shows is there, masked, with its Reveal button.
    mobile = own_mobile(world.case_a)
    assert mask_phone(mobile.value) in body and mobile.value not in body
    assert f'name="contact_point" value="{mobile.pk}"' in body


def test_the_contact_form_offers_only_the_visible_contact_points(client, world):
    client.force_login(world.agent_a)
    response = client.get(reverse("collection:case_detail", args=[world.case_a.pk]))
    choices = dict(response.context["forms"]["contact"].fields["contact_point"].choices)
    assert str(own_mobile(world.case_a).pk) in choices
    for kind in (ContactPoint.Kind.EMAIL, ContactPoint.Kind.HOME_ADDRESS):
        assert str(point_of(world.case_a, kind).pk) not in choices


def test_a_posted_withheld_contact_point_is_refused(client, world, time_machine):
    time_machine.move_to(MORNING, tick=False)
    email = point_of(world.case_a, ContactPoint.Kind.EMAIL)
    client.force_login(world.agent_a)
    data = {"channel": "email", "direction": "outbound", "answered_by": "nobody", "outcome": "message_sent"}
    response = client.post(
        reverse("collection:case_contact_log", args=[world.case_a.pk]),
        {f"contact-{key}": value for key, value in {**data, "contact_point": str(email.pk)}.items()},
        **HTMX,
    )
    assert response.status_code == 200
    assert "Select a valid choice" in response.text
    assert "hidden-domain.test" not in response.text
    assert not ContactAttempt.objects.filter(case=world.case_a).exists()
    # The service refuses it too, whatever calls it.
    with pytest.raises(CollectionError) as refused:
        contact_log(case=world.case_a, channel="email", contact_point=email, answered_by="nobody",
                    outcome="message_sent", actor=world.agent_a)  # fmt: skip
    assert str(refused.value) == str(CONTACT_POINT_WITHHELD)
    assert not ContactAttempt.objects.filter(case=world.case_a).exists()


def test_the_agent_logs_a_call_on_the_visible_phone(client, world, time_machine):
    time_machine.move_to(MORNING, tick=False)
    mobile = own_mobile(world.case_a)
    client.force_login(world.agent_a)
    data = {"channel": "call", "direction": "outbound", "answered_by": "borrower", "outcome": "rpc",
            "duration": "1:00", "contact_point": str(mobile.pk)}  # fmt: skip
    response = client.post(
        reverse("collection:case_contact_log", args=[world.case_a.pk]),
        {f"contact-{key}": value for key, value in data.items()},
        **HTMX,
    )
    assert response.status_code == 200
    assert "Contact logged" in response.text
    assert ContactAttempt.objects.get(case=world.case_a).actor == world.agent_a
    assert leaked(response.text) == []


def test_revealing_the_national_id_is_refused_to_an_agency_user(client, world):
    client.force_login(world.agent_a)
    url = reverse("collection:case_reveal", args=[world.case_a.pk])
    response = client.post(url, {"field": "national_id"}, **HTMX)
    assert Secrets.NATIONAL_ID not in response.text
    assert "never sees" in response.text
    with pytest.raises(CollectionError) as refused:
        contact_detail_reveal(case=world.case_a, field="national_id", actor=world.agent_a)
    assert str(refused.value) == str(REVEAL_NATIONAL_ID_AGENCY)
    # Without htmx: back to the page, still masked.
    response = client.post(url, {"field": "national_id"}, follow=True)
    assert Secrets.NATIONAL_ID not in response.text
    assert not AuditEvent.objects.filter(action="collection.contact.revealed").exists()


def test_revealing_a_withheld_contact_point_is_refused(client, world):
    client.force_login(world.agent_a)
    url = reverse("collection:case_reveal", args=[world.case_a.pk])
    for kind, owner in ((ContactPoint.Kind.EMAIL, "borrower"), (ContactPoint.Kind.MOBILE, "third_party")):
        point = point_of(world.case_a, kind, owner)
        response = client.post(url, {"field": "phone", "contact_point": point.pk}, **HTMX)
        assert point.value not in response.text
        assert "does not show" in response.text
    assert not AuditEvent.objects.filter(action="collection.contact.revealed").exists()


def test_revealing_an_allowed_phone_works_and_is_audited(client, world):
    mobile = own_mobile(world.case_a)
    client.force_login(world.agent_a)
    response = client.post(
        reverse("collection:case_reveal", args=[world.case_a.pk]),
        {"field": "phone", "contact_point": mobile.pk},
        **HTMX,
    )
    assert mobile.value in response.text
    event = AuditEvent.objects.get(action="collection.contact.revealed")
    assert event.actor == world.agent_a and event.data["contact_point_id"] == mobile.pk


def test_employer_and_date_of_birth_show_only_when_the_contract_allows(client, world):
    contract = AgencyContractFactory(agency=world.agency_a, visible_fields=[AgencyField.EMPLOYER], reference="EMP")
    case = placed_case(contract=contract, case=distinctive_case(national_id="330102198503034321")).case
    body = page(client, world.agent_a, case)
    assert Secrets.EMPLOYER in body and "1977" not in body
    contract.visible_fields = [AgencyField.DATE_OF_BIRTH]
    contract.save(update_fields=["visible_fields"])
    case = type(case).objects.get(pk=case.pk)
    body = page(client, world.agent_a, case)
    assert Secrets.EMPLOYER not in body and "1977" in body


def test_the_panels_and_the_timeline_partials_are_masked_too(client, world):
    client.force_login(world.agent_a)
    for name in ("case_panels", "case_timeline"):
        response = client.get(reverse(f"collection:{name}", args=[world.case_a.pk]), **HTMX)
        assert response.status_code == 200
        assert leaked(response.text) == [], name


def test_lender_staff_see_what_they_saw_before(client, collector, manager):
    case = distinctive_case(collector=collector)
    for user in (collector, manager):
        body = page(client, user, case)
        assert 'name="field" value="national_id"' in body  # Reveal offered
        assert Secrets.EMPLOYER in body
        assert "hidden-domain.test" in body  # the e-mail, masked
        assert "Third parties" in body and Secrets.THIRD_PARTY_NAME in body  # as the page always showed it
        assert "1977" not in body  # the case page never showed the date of birth to lender staff
    client.force_login(collector)
    response = client.post(
        reverse("collection:case_reveal", args=[case.pk]), {"field": "national_id"}, HTTP_HX_REQUEST="true"
    )
    assert Secrets.NATIONAL_ID in response.text


def test_a_supervisor_of_another_agency_gets_404_on_the_case(client, world):
    supervisor_b = agency_user(world.agency_b, username="sup_b", supervisor=True)
    client.force_login(supervisor_b)
    assert client.get(reverse("collection:case_detail", args=[world.case_a.pk])).status_code == 404


def test_a_message_on_a_withheld_channel_is_refused(client, world):
    from collection.messaging.services import manual_key
    from collection.models import OutboundMessage

    client.force_login(world.agent_a)
    response = client.post(
        reverse("collection:case_message_send", args=[world.case_a.pk]),
        {"kind": "overdue_reminder", "channel": "email", "idempotency_key": manual_key()},
        follow=True,
    )
    assert "does not show this borrower" in response.text
    assert not OutboundMessage.objects.filter(case=world.case_a).exists()
    assert leaked(response.text) == []


def test_an_agency_without_addresses_requests_no_visit(client, world):
    client.force_login(world.agent_a)
    url = reverse("collection:visit_request", args=[world.case_a.pk])
    assert client.get(url).status_code == 403
    assert url not in page(client, world.agent_a, world.case_a)
    client.force_login(world.agent_b)
    response = client.get(reverse("collection:visit_request", args=[world.case_b.pk]))
    assert response.status_code == 200


def test_the_agent_s_case_page_reads_no_more_than_the_lender_s(client, world, django_assert_max_num_queries):
    client.force_login(world.agent_a)
    url = reverse("collection:case_detail", args=[world.case_a.pk])
    client.get(url)
    with django_assert_max_num_queries(25):  # the case page's budget (tests/collection/test_case_page.py)
        assert client.get(url).status_code == 200


def test_the_agent_s_case_page_offers_no_next_case(client, world, manager):
    assert reverse("collection:next_case") not in page(client, world.agent_a, world.case_a)
    assert reverse("collection:next_case") in page(client, manager, world.unplaced)
