"""Promises to pay: one or a short series, their validations, and the promise form on the case page."""

import datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.urls import reverse

from accounts.models import AuditEvent
from collection.errors import CollectionError
from collection.models import CaseEvent, CaseStatus, EventKind, PromiseStatus, PromiseToPay
from collection.services.promises import (
    PROMISE_CONTACT_OTHER_CASE,
    PROMISE_SERIES_ORDER,
    promise_record,
    promise_series_record,
)
from tests.collection.factories import ContactAttemptFactory, HoldFactory, PromiseToPayFactory, case_in_arrears

pytestmark = pytest.mark.django_db

SHANGHAI = ZoneInfo("Asia/Shanghai")
MORNING = datetime.datetime(2026, 3, 16, 10, 0, tzinfo=SHANGHAI)
TODAY = MORNING.date()
HTMX = {"HX-Request": "true"}


def day(offset: int) -> datetime.date:
    return TODAY + datetime.timedelta(days=offset)


@pytest.fixture(autouse=True)
def _morning():
    with time_machine.travel(MORNING, tick=False):
        yield


@pytest.fixture
def case(collector):
    return case_in_arrears(collector=collector, days_past_due=20)  # 6,075.00 CNY outstanding


def written() -> tuple[int, int, int]:
    return (
        PromiseToPay.objects.count(),
        CaseEvent.objects.count(),
        AuditEvent.objects.filter(action__startswith="collection.").count(),
    )


# --- One promise -----------------------------------------------------------------------------------


def test_a_promise_is_recorded_and_the_case_becomes_promised(case, collector):
    contact = ContactAttemptFactory(case=case)
    promise = promise_record(case=case, amount=Decimal("1012.50"), due_on=day(5), actor=collector, contact=contact)
    assert (promise.amount, promise.currency, promise.due_on) == (Decimal("1012.50"), "CNY", day(5))
    assert (promise.status, promise.contact, promise.created_by) == (PromiseStatus.PENDING, contact, collector)
    case.refresh_from_db()
    assert case.status == CaseStatus.PROMISED
    assert case.promise_due_on == day(5)
    # Back in the queue the morning after the promised day, to see whether it was kept.
    assert case.next_action_at == datetime.datetime.combine(day(6), datetime.time(9), tzinfo=SHANGHAI)
    event = CaseEvent.objects.get(kind=EventKind.PROMISE)
    assert event.data["parts"] == [["1012.50", day(5).isoformat()]]
    audit = AuditEvent.objects.get(action="collection.promise.recorded")
    assert audit.target_id == str(promise.pk)
    assert audit.data == {"case_id": case.pk, "amount": "1012.50", "currency": "CNY", "due_on": day(5).isoformat()}


@pytest.mark.parametrize("offset", [0, 60], ids=["today", "in-60-days"])
def test_the_date_may_be_today_or_up_to_60_days_ahead(case, collector, offset):
    assert promise_record(case=case, amount=Decimal("100.00"), due_on=day(offset), actor=collector).due_on == day(
        offset
    )


@pytest.mark.parametrize(
    ("amount", "due_on", "message"),
    [
        (Decimal("0.00"), day(3), "more than 0.00"),
        (Decimal("-5.00"), day(3), "more than 0.00"),
        (Decimal("10.005"), day(3), "two decimal places"),
        (Decimal("100.00"), day(-1), "between today and"),
        (Decimal("100.00"), day(61), "between today and"),
        (Decimal("6075.01"), day(3), "more than the outstanding balance"),
    ],
    ids=["zero", "negative", "fraction-of-a-cent", "yesterday", "61-days", "over-the-balance"],
)
def test_a_promise_that_breaks_a_rule_is_refused_and_nothing_is_written(case, collector, amount, due_on, message):
    before = written()
    with pytest.raises(CollectionError) as error:
        promise_record(case=case, amount=amount, due_on=due_on, actor=collector)
    assert message in str(error.value)
    assert error.value.field in ("amount", "due_on")
    assert written() == before
    case.refresh_from_db()
    assert case.status == CaseStatus.OPEN and case.promise_due_on is None


def test_a_promise_in_another_currency_is_refused(case, collector):
    with pytest.raises(CollectionError, match="This case is in CNY; a promise in USD"):
        promise_record(case=case, amount=Decimal("100.00"), due_on=day(3), actor=collector, currency="USD")
    assert not PromiseToPay.objects.exists()


def test_a_promise_cannot_hang_on_another_case_s_contact(case, collector):
    other = ContactAttemptFactory(case=case_in_arrears())
    with pytest.raises(CollectionError, match=str(PROMISE_CONTACT_OTHER_CASE)):
        promise_record(case=case, amount=Decimal("100.00"), due_on=day(3), actor=collector, contact=other)


def test_a_closed_case_takes_no_promise(case, collector):
    case.status, case.closed_on = CaseStatus.CLOSED, TODAY
    case.save()
    with pytest.raises(CollectionError, match="closed"):
        promise_record(case=case, amount=Decimal("100.00"), due_on=day(3), actor=collector)


def test_a_new_promise_replaces_the_pending_one(case, collector):
    first = promise_record(case=case, amount=Decimal("500.00"), due_on=day(3), actor=collector)
    second = promise_record(case=case, amount=Decimal("800.00"), due_on=day(7), actor=collector)
    first.refresh_from_db()
    assert first.status == PromiseStatus.CANCELLED and first.decided_on == TODAY
    assert second.status == PromiseStatus.PENDING
    assert list(case.promises.filter(status="pending")) == [second]
    assert CaseEvent.objects.filter(kind=EventKind.PROMISE).first().data["replaced"] == [first.pk]
    assert AuditEvent.objects.filter(action="collection.promise.cancelled").count() == 1


def test_a_kept_or_broken_promise_stays_as_it_was(case, collector):
    broken = PromiseToPayFactory(case=case, status=PromiseStatus.BROKEN, due_on=day(-5))
    promise_record(case=case, amount=Decimal("500.00"), due_on=day(3), actor=collector)
    broken.refresh_from_db()
    assert broken.status == PromiseStatus.BROKEN


def test_a_promise_on_a_held_case_keeps_it_on_hold(case, collector):
    HoldFactory(case=case)
    case.status = CaseStatus.ON_HOLD
    case.save()
    promise_record(case=case, amount=Decimal("500.00"), due_on=day(3), actor=collector)
    case.refresh_from_db()
    assert case.status == CaseStatus.ON_HOLD


# --- A series ------------------------------------------------------------------------------------------


def test_a_series_of_parts_is_recorded_as_promises_and_one_timeline_line(case, collector):
    parts = [(Decimal("400.00"), day(5)), (Decimal("400.00"), day(20)), (Decimal("212.50"), day(35))]
    promises = promise_series_record(case=case, parts=parts, actor=collector)
    assert [(promise.amount, promise.due_on) for promise in promises] == parts
    assert all(promise.status == PromiseStatus.PENDING for promise in promises)
    case.refresh_from_db()
    assert case.promise_due_on == day(5) and case.status == CaseStatus.PROMISED
    [event] = CaseEvent.objects.filter(kind=EventKind.PROMISE)
    assert len(event.data["parts"]) == 3
    assert AuditEvent.objects.filter(action="collection.promise.recorded").count() == 3


@pytest.mark.parametrize(
    ("parts", "message"),
    [
        ([(Decimal("100.00"), day(1))], "from 2 to 6 parts"),
        ([(Decimal("100.00"), day(n)) for n in range(1, 8)], "from 2 to 6 parts"),
        ([(Decimal("100.00"), day(10)), (Decimal("100.00"), day(5))], str(PROMISE_SERIES_ORDER)),
        ([(Decimal("100.00"), day(10)), (Decimal("100.00"), day(10))], str(PROMISE_SERIES_ORDER)),
        ([(Decimal("100.00"), day(10)), (Decimal("100.00"), day(70))], "between today and"),
        ([(Decimal("100.00"), day(10)), (Decimal("0.00"), day(20))], "more than 0.00"),
        ([(Decimal("4000.00"), day(10)), (Decimal("4000.00"), day(20))], "more than the outstanding balance"),
    ],
    ids=["one-part", "seven-parts", "dates-falling", "same-date", "too-far", "zero-part", "over-the-balance"],
)
def test_a_series_that_breaks_a_rule_is_refused_and_nothing_is_written(case, collector, parts, message):
    before = written()
    with pytest.raises(CollectionError) as error:
        promise_series_record(case=case, parts=parts, actor=collector)
    assert message in str(error.value)
    assert written() == before


def test_a_series_error_names_the_part_s_field(case, collector):
    with pytest.raises(CollectionError) as error:
        promise_series_record(
            case=case, parts=[(Decimal("100.00"), day(10)), (Decimal("100.00"), day(70))], actor=collector
        )
    assert error.value.field == "due_on_2"


# --- The promise form on the case page ---------------------------------------------------------------------


def post(client, user, case, data, *, htmx=True):
    client.force_login(user)
    payload = {"promise-currency": "CNY", **{f"promise-{key}": value for key, value in data.items()}}
    return client.post(reverse("collection:case_promise_record", args=[case.pk]), payload, headers=HTMX if htmx else {})


def test_a_promise_is_taken_from_the_page_and_shown_without_a_reload(client, collector, case):
    contact = ContactAttemptFactory(case=case)
    response = post(client, collector, case, {"amount": "1012.50", "due_on": day(4).isoformat(), "contact": contact.pk})
    assert response.status_code == 200
    promise = PromiseToPay.objects.get()
    assert promise.contact == contact
    assert "Promise recorded." in response.text
    assert 'id="case-promises" class="panel" hx-swap-oob="true"' in response.text
    assert "1,012.50 CNY" in response.text
    assert "Promise to pay 1,012.50 CNY by" in response.text  # its timeline line
    assert 'id="case-header" class="case-header" hx-swap-oob="true"' in response.text
    assert "Promised" in response.text  # the status in the header


def test_a_series_is_taken_from_the_extra_rows(client, collector, case):
    response = post(
        client,
        collector,
        case,
        {
            "amount": "300.00",
            "due_on": day(3).isoformat(),
            "amount_2": "300.00",
            "due_on_2": day(17).isoformat(),
            "amount_3": "412.50",
            "due_on_3": day(31).isoformat(),
        },
    )
    assert "Promise of 3 parts recorded." in response.text
    assert list(PromiseToPay.objects.order_by("due_on").values_list("amount", flat=True)) == [
        Decimal("300.00"),
        Decimal("300.00"),
        Decimal("412.50"),
    ]


def test_a_date_out_of_range_is_shown_on_the_date_field(client, collector, case):
    response = post(client, collector, case, {"amount": "100.00", "due_on": day(90).isoformat()})
    form = response.context["forms"]["promise"]
    assert "between today and" in form.errors["due_on"][0]
    assert response.context["open_form"] == "promise"
    assert not PromiseToPay.objects.exists()


def test_a_part_without_its_date_is_refused(client, collector, case):
    response = post(client, collector, case, {"amount": "100.00", "due_on": day(3).isoformat(), "amount_2": "50.00"})
    assert "Give both the amount and the date of this part." in response.text
    assert not PromiseToPay.objects.exists()


def test_an_empty_promise_form_asks_for_the_amount(client, collector, case):
    response = post(client, collector, case, {})
    assert "Give the amount and the date." in response.text


def test_a_promise_in_another_currency_from_a_stale_page_is_refused(client, collector, case):
    response = post(client, collector, case, {"amount": "100.00", "due_on": day(3).isoformat(), "currency": "USD"})
    assert "This case is in CNY" in response.text
    assert not PromiseToPay.objects.exists()


def test_the_promise_form_only_answers_post(client, collector, case):
    client.force_login(collector)
    assert client.get(reverse("collection:case_promise_record", args=[case.pk])).status_code == 405


def test_an_outsider_cannot_promise_on_another_team_s_case(client, outsider, case):
    response = post(client, outsider, case, {"amount": "100.00", "due_on": day(3).isoformat()})
    assert response.status_code == 404
    assert not PromiseToPay.objects.exists()


def test_a_field_agent_may_not_take_promises_here(client, field_agent, case):
    response = post(client, field_agent, case, {"amount": "100.00", "due_on": day(3).isoformat()})
    assert response.status_code == 404  # no visit there: the case is out of their sight
