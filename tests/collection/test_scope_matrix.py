"""
Every case-related URL, and the lending pages of the case's borrower and
account, answer 404 to whoever may not see the case — a collector of another
team, a field agent without a visit there, an agency agent — on GET and POST
alike; and the roles that see the case masked never receive a full national
id, phone number or e-mail in any page body without clicking Reveal.
"""

import datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.urls import reverse

from collection.models import FieldVisit, HoldKind
from collection.services.arrangements import arrangement_propose
from collection.services.contacts import hold_place
from collection.services.visits import visit_request
from lending.models import ContactPoint
from lending.services import lender_today
from tests.collection.factories import case_in_arrears
from tests.lending.factories import ContactPointFactory

pytestmark = pytest.mark.django_db

NATIONAL_ID = "110101199003071234"
PHONE = "13800001111"
EMAIL = "wang.xiaoming@example.cn"
HOME = "北京市东城区和平里街道12号楼3单元501"
MORNING = datetime.datetime(2026, 12, 1, 10, 0, tzinfo=ZoneInfo("Asia/Shanghai"))


@pytest.fixture(autouse=True)
def _morning(time_machine):
    time_machine.move_to(MORNING, tick=False)


@pytest.fixture
def world(collector):
    """A case of team A with a hold, an arrangement request and a visit request."""
    case = case_in_arrears(collector=collector, days_past_due=40)
    borrower = case.borrower
    borrower.national_id = NATIONAL_ID
    borrower.save()
    ContactPointFactory(borrower=borrower, value=PHONE, consent_sms=True)
    ContactPointFactory(borrower=borrower, kind=ContactPoint.Kind.EMAIL, value=EMAIL, is_primary=False)
    ContactPointFactory(borrower=borrower, kind=ContactPoint.Kind.HOME_ADDRESS, value=HOME, is_primary=False)
    visit = visit_request(case=case, actor=collector, reason="Unreachable by phone")
    arrangement = arrangement_propose(
        case=case,
        kind="settlement",
        actor=collector,
        lump_sum=Decimal("100.00"),
        pay_by=lender_today() + datetime.timedelta(days=7),
    )
    hold = hold_place(case=case, kind=HoldKind.DISPUTE, reason="Goods never arrived", actor=collector)
    return {"case": case, "visit": visit, "arrangement": arrangement, "hold": hold}


def case_urls(world) -> list[str]:
    case, hold = world["case"], world["hold"]
    account = case.case_accounts.first().account
    per_case = [
        "case_detail",
        "case_timeline",
        "case_panels",
        "case_contact_log",
        "case_promise_record",
        "case_note_add",
        "case_reason_set",
        "case_hold_place",
        "case_hardship_record",
        "case_reveal",
        "arrangement_propose",
        "visit_request",
    ]
    return [
        *(reverse(f"collection:{name}", args=[case.pk]) for name in per_case),
        reverse("collection:case_hold_release", args=[case.pk, hold.pk]),
        reverse("collection:case_hold_evidence", args=[case.pk, hold.pk]),
        reverse("collection:arrangement_decide", args=[world["arrangement"].pk]),
        reverse("collection:arrangement_cancel", args=[world["arrangement"].pk]),
        reverse("collection:visit_schedule", args=[world["visit"].pk]),
        reverse("collection:visit_reject", args=[world["visit"].pk]),
        reverse("collection:visit_report", args=[world["visit"].pk]),
        reverse("lending:borrower_detail", args=[case.borrower_id]),
        reverse("lending:borrower_reveal", args=[case.borrower_id]),
        reverse("lending:account_detail", args=[account.pk]),
    ]


@pytest.mark.parametrize("who", ["outsider", "field_agent", "agency_agent"])
def test_whoever_may_not_see_the_case_gets_404_on_every_url(client, request, world, who):
    client.force_login(request.getfixturevalue(who))
    for url in case_urls(world):
        assert client.get(url).status_code == 404, ("GET", url)
        assert client.post(url, {}).status_code == 404, ("POST", url)


def _pages_a_role_reads(world) -> list[str]:
    case = world["case"]
    account = case.case_accounts.first().account
    return [
        reverse("collection:case_detail", args=[case.pk]),
        reverse("collection:case_timeline", args=[case.pk]),
        reverse("collection:case_panels", args=[case.pk]),
        reverse("collection:my_queue"),
        reverse("collection:team_queue"),
        reverse("lending:borrower_list") + "?q=" + case.borrower.external_id,
        reverse("lending:borrower_detail", args=[case.borrower_id]),
        reverse("lending:account_detail", args=[account.pk]),
    ]


@pytest.mark.parametrize("who", ["collector", "team_lead"])
def test_masked_roles_never_receive_a_full_value(client, request, world, who):
    client.force_login(request.getfixturevalue(who))
    for url in _pages_a_role_reads(world):
        response = client.get(url)
        if response.status_code != 200:
            continue  # a page the role does not have (a lead's own queue)
        for value in (NATIONAL_ID, PHONE, EMAIL, HOME):
            assert value not in response.text, (url, value)


def test_a_field_agent_sees_the_address_of_their_visit_and_nothing_else_whole(client, field_agent, team_lead, world):
    FieldVisit.objects.filter(pk=world["visit"].pk).update(
        agent=field_agent, status="scheduled", scheduled_on=MORNING.date()
    )
    client.force_login(field_agent)
    day = client.get(reverse("collection:visit_day"))
    assert HOME in day.text  # the agent must find the door
    for url in _pages_a_role_reads(world):
        response = client.get(url)
        if response.status_code != 200:
            continue
        for value in (NATIONAL_ID, PHONE, EMAIL):
            assert value not in response.text, (url, value)
