"""The collection demo: a working floor over the demo portfolio, lawful and consistent with lending's payments."""

import datetime
import zoneinfo

import pytest
import time_machine
from django.core.management import call_command
from django.utils import timezone

from accounts.demo import demo_staff_ensure
from collection.demo import DEMO_HISTORY_EXISTS, collection_demo_seed
from collection.lifecycle import collection_nightly_run
from collection.models import (
    Case,
    CaseEvent,
    CaseStatus,
    Channel,
    ContactAttempt,
    FieldVisit,
    PromiseStatus,
    PromiseToPay,
    VisitStatus,
)
from lending.demo.services import demo_portfolio_seed
from lending.models import Payment
from tests.collection.factories import PortfolioFactory

pytestmark = pytest.mark.django_db

# Mid-afternoon in Shanghai: the lender's day is 2026-11-28.
NOW = datetime.datetime(2026, 11, 28, 7, 0, tzinfo=datetime.UTC)


@pytest.fixture
def floor(db):
    with time_machine.travel(NOW, tick=False):
        PortfolioFactory()
        demo_portfolio_seed(accounts=800, seed=3, as_of=timezone.localdate())
        demo_staff_ensure()
        result = collection_demo_seed(seed=3, today=timezone.localdate(), lifecycle=collection_nightly_run)
    return result


def test_it_opens_cases_with_a_history_and_shares_them_out(floor):
    open_cases = Case.objects.exclude(status=CaseStatus.CLOSED)
    assert open_cases.count() > 20
    assert not open_cases.filter(assigned_to__isnull=True).exists()
    assert {case.assigned_to.username for case in open_cases.select_related("assigned_to")} >= {"collector", "huang"}
    assert ContactAttempt.objects.filter(channel=Channel.CALL).count() > open_cases.count()
    assert CaseEvent.objects.count() > ContactAttempt.objects.count()
    # Cases were opened when their accounts first fell behind, not all today.
    assert open_cases.filter(opened_on__lt=datetime.date(2026, 11, 1)).exists()


def test_promises_are_kept_partly_kept_and_broken_as_the_payments_say(floor):
    statuses = set(PromiseToPay.objects.values_list("status", flat=True))
    assert {PromiseStatus.KEPT, PromiseStatus.BROKEN} <= statuses
    for promise in PromiseToPay.objects.filter(status=PromiseStatus.KEPT)[:20]:
        assert promise.paid_amount == promise.amount
        assert Payment.objects.filter(external_id__startswith=f"DEMO-PTP-{promise.case_id}-").exists()


def test_every_contact_is_inside_contact_hours_and_the_daily_cap(floor):
    connected_per_day = {}
    for contact in ContactAttempt.objects.select_related("borrower"):
        local = contact.occurred_at.astimezone(zoneinfo.ZoneInfo(contact.borrower.time_zone))
        assert datetime.time(8) <= local.time() < datetime.time(22), contact
        if contact.channel == Channel.CALL and contact.answered_by != "nobody":
            key = (contact.borrower_id, local.date())
            connected_per_day[key] = connected_per_day.get(key, 0) + 1
    assert max(connected_per_day.values()) <= 3


def test_field_agents_have_visits_today(floor):
    today = datetime.date(2026, 11, 28)
    assert FieldVisit.objects.filter(status=VisitStatus.SCHEDULED, scheduled_on=today).exists()
    assert not FieldVisit.objects.filter(status=VisitStatus.DONE, was_recorded=False).exists()


def test_it_loads_only_once(floor):
    with pytest.raises(ValueError, match=str(DEMO_HISTORY_EXISTS)):
        collection_demo_seed(seed=3, lifecycle=collection_nightly_run)
    contacts = ContactAttempt.objects.count()
    call_command("seed_demo_collection", "--if-empty", stdout=open("/dev/null", "w"))  # noqa: SIM115
    assert ContactAttempt.objects.count() == contacts


def test_every_request_waiting_for_approval_can_be_decided_today(floor):
    from collection.models import Arrangement, ArrangementStatus
    from collection.services.arrangements import arrangement_decide
    from tests.factories import UserFactory

    waiting = list(Arrangement.objects.filter(status=ArrangementStatus.PENDING_APPROVAL).select_related("case"))
    assert waiting, "the approval queue should not open empty"
    manager = UserFactory(username="demo_approver", role="manager")
    with time_machine.travel(NOW, tick=False):
        for request in waiting:
            assert request.case.status != CaseStatus.CLOSED
            assert request.installments.order_by("number").first().due_on >= datetime.date(2026, 11, 28)
            arrangement_decide(arrangement=request, approve=True, actor=manager)
