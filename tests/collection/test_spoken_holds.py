"""
What the borrower says holds the case (issue 10): a contact logged with
"disputes the debt", "asks us to stop contacting them" or "reports the
borrower deceased" places the dispute, cease-contact or deceased hold in
the same call, with its timeline line and audit event, and the case page
shows it at once; so does a visit report.
"""

import pytest
from django.urls import reverse

from accounts.models import AuditEvent
from collection.compliance import ContactRefused, Rule
from collection.models import AnsweredBy, CaseEvent, ContactAttempt, Direction, Hold, HoldKind, Outcome
from tests.collection.conftest import call_logged, contact_posted
from tests.collection.factories import HoldFactory
from tests.lending.factories import ContactPointFactory

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("morning")]


def log(case, point, actor, outcome, answered_by=AnsweredBy.BORROWER, **kwargs):
    return call_logged(
        case, point, actor, outcome=outcome, answered_by=answered_by, notes="He says he never ordered it.", **kwargs
    )


@pytest.mark.parametrize(
    ("outcome", "answered_by", "kind"),
    [
        (Outcome.DISPUTES, AnsweredBy.BORROWER, HoldKind.DISPUTE),
        (Outcome.REFUSES_CONTACT, AnsweredBy.BORROWER, HoldKind.CEASE_CONTACT),
        (Outcome.REPORTS_DECEASED, AnsweredBy.THIRD_PARTY, HoldKind.DECEASED),
    ],
)
def test_a_spoken_outcome_places_its_hold_with_the_contact(case, mobile, collector, outcome, answered_by, kind):
    contact = log(case, mobile, collector, outcome, answered_by)
    hold = Hold.objects.get(case=case)
    assert (hold.kind, hold.started_by, hold.released_at) == (kind, collector, None)
    assert "He says he never ordered it." in hold.reason
    codes = list(CaseEvent.objects.filter(case=case).values_list("code", flat=True))
    assert "contact_logged" in codes and "hold_placed" in codes
    placed = AuditEvent.objects.get(action="collection.hold.placed")
    assert placed.data["kind"] == kind
    assert contact.outcome == outcome


def test_the_next_call_is_refused_at_once(case, mobile, collector):
    log(case, mobile, collector, Outcome.DISPUTES)
    with pytest.raises(ContactRefused) as refused:
        log(case, mobile, collector, Outcome.RIGHT_PARTY_CONTACT)
    assert refused.value.verdict.rule == Rule.HOLD


def test_an_inbound_dispute_holds_the_case_too(case, mobile, collector):
    log(case, mobile, collector, Outcome.DISPUTES, direction=Direction.INBOUND)
    assert Hold.objects.get(case=case).kind == HoldKind.DISPUTE


def test_a_case_already_held_is_not_held_twice(case, mobile, collector):
    log(case, mobile, collector, Outcome.DISPUTES)
    log(case, mobile, collector, Outcome.DISPUTES, direction=Direction.INBOUND)
    assert Hold.objects.filter(case=case).count() == 1
    assert ContactAttempt.objects.filter(case=case).count() == 2


def test_a_refused_contact_places_no_hold(case, mobile, collector):
    HoldFactory(case=case, kind=HoldKind.COMPLAINT)
    with pytest.raises(ContactRefused):
        log(case, mobile, collector, Outcome.REFUSES_CONTACT)
    assert list(Hold.objects.filter(case=case).values_list("kind", flat=True)) == [HoldKind.COMPLAINT]


def test_a_third_party_reporting_a_death_holds_every_case_of_the_borrower(case, collector):
    sister = ContactPointFactory(
        borrower=case.borrower, kind="mobile", value="13900000009", owner="third_party", relation="sibling"
    )
    log(case, sister, collector, Outcome.REPORTS_DECEASED, AnsweredBy.THIRD_PARTY, direction=Direction.INBOUND)
    assert Hold.objects.get(case=case).kind == HoldKind.DECEASED


def test_the_case_page_shows_the_hold_at_once(client, case, mobile, collector):
    response = contact_posted(client, collector, case, mobile, outcome="disputes")
    assert response.status_code == 200
    assert "the case is on hold (Dispute)" in response.text
    assert Hold.objects.get(case=case).kind == HoldKind.DISPUTE
    page = client.get(reverse("collection:case_detail", args=[case.pk]))
    assert "On hold: Dispute" in page.text
