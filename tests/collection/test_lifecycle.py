"""
The nightly lifecycle: cases open, accounts join and leave, figures follow the
accounts, cases close with their outcome, stages escalate, promises and
arrangement installments are decided from the payments — and the second run
of a day changes nothing.

Lending's state is driven through its own services: payments through
`payment_record`, the accounts' figures through `run_nightly`.
"""

import datetime
import io
import itertools
import logging
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import translation

from accounts.models import AuditEvent
from collection.errors import CollectionError
from collection.lifecycle import LENDING_NOT_RUN, collection_nightly_run, lifecycle_run
from collection.models import (
    Arrangement,
    ArrangementInstallment,
    ArrangementKind,
    ArrangementStatus,
    Case,
    CaseAccount,
    CaseEvent,
    CaseStatus,
    CloseOutcome,
    EventKind,
    NightlyRun,
    PromiseStatus,
    PromiseToPay,
    Stage,
    StageChange,
)
from collection.priority import priority_score
from collection.services.cases import case_status_derive, case_status_refresh
from collection.tasks import collection_nightly_task
from collection.timeline import event_text
from lending.delinquency import run_nightly
from lending.services import payment_record
from tests.collection.factories import HoldFactory, PortfolioFactory, PromiseToPayFactory
from tests.lending.factories import BorrowerFactory, CreditProductFactory, account_with_schedule

pytestmark = pytest.mark.django_db

D = datetime.date
SHANGHAI = ZoneInfo("Asia/Shanghai")
OPENED = D(2026, 1, 1)  # installments of 1,012.50 fall due on the 1st of each month from February
_payment_ids = itertools.count(1)


def at(day: datetime.date, hour=12, minute=0) -> datetime.datetime:
    return datetime.datetime(day.year, day.month, day.day, hour, minute, tzinfo=SHANGHAI)


def plain_product(**fields):
    """Nothing accrues, so the figures are the schedule's alone."""
    fields.setdefault("code", "plain")
    return CreditProductFactory(daily_penalty_rate=Decimal("0"), late_fee=Decimal("0"), grace_days=0, **fields)


def account(borrower=None, *, opened_on=OPENED, product=None, **fields):
    return account_with_schedule(
        borrower=borrower or BorrowerFactory(), opened_on=opened_on, product=product or plain_product(), **fields
    )


def pay(account, amount, when: datetime.datetime):
    payment_record(
        account=account,
        external_id=f"PAY-{next(_payment_ids)}",
        amount=Decimal(amount),
        received_at=when,
        channel="app",
    )


def night(day: datetime.date):
    run_nightly(as_of=day)
    return lifecycle_run(as_of=day)


def events(case, kind=None):
    rows = CaseEvent.objects.filter(case=case).order_by("id")
    if kind:
        rows = rows.filter(kind=kind)
    # Each line's code (a column) with its facts, as one dict to compare.
    return [{"code": event.code, **event.data} for event in rows]


# --- Opening ---------------------------------------------------------------------------------


def test_a_delinquent_account_opens_a_case_with_its_figures_and_a_current_one_does_not():
    late = account()
    current = account(opened_on=D(2026, 2, 1))

    report = night(D(2026, 2, 10))

    assert report.cases_opened == 1
    assert not Case.objects.filter(borrower=current.borrower).exists()
    case = Case.objects.get(borrower=late.borrower)
    assert (case.opened_on, case.status, case.stage, case.portfolio.is_default, case.currency) == (
        D(2026, 2, 10), CaseStatus.OPEN, Stage.EARLY, True, "CNY",
    )  # fmt: skip
    assert (case.days_past_due, case.bucket) == (9, "M1")
    assert (case.overdue_principal, case.overdue_interest, case.overdue_fees, case.overdue_penalty) == (
        Decimal("1000.00"), Decimal("12.50"), Decimal("0.00"), Decimal("0.00"),
    )  # fmt: skip
    assert (case.overdue_total, case.outstanding_balance) == (Decimal("1012.50"), Decimal("6075.00"))
    assert list(case.case_accounts.values_list("account_id", "joined_on", "left_on")) == [
        (late.pk, D(2026, 2, 10), None)
    ]
    assert list(case.stage_changes.values_list("from_stage", "to_stage", "changed_on")) == [
        ("", Stage.EARLY, D(2026, 2, 10))
    ]
    codes = [data["code"] for data in events(case)]
    assert sorted(codes) == ["account_joined", "opened"]
    assert case.priority == priority_score(case, today=D(2026, 2, 10)) > 0


def test_a_case_is_in_its_products_portfolio_and_currency():
    us_cards = PortfolioFactory(code="us-cards", name="US cards", jurisdiction="us", is_default=False)
    product = plain_product(code="us-card", currency="USD")
    us_cards.products.add(product)
    late = account(product=product)

    night(D(2026, 2, 10))

    case = Case.objects.get(borrower=late.borrower)
    assert (case.portfolio, case.currency) == (us_cards, "USD")


def test_a_case_that_opens_more_than_30_days_late_starts_in_the_late_stage():
    late = account()

    night(D(2026, 3, 5))

    case = Case.objects.get(borrower=late.borrower)
    assert (case.days_past_due, case.bucket, case.stage) == (32, "M2", Stage.LATE)
    assert list(case.stage_changes.values_list("from_stage", "to_stage")) == [("", Stage.LATE)]


def test_one_case_covers_all_of_a_borrowers_delinquent_accounts_and_a_new_one_joins():
    borrower = BorrowerFactory()
    first = account(borrower)
    second = account(borrower, opened_on=D(2026, 2, 1))  # first due 1 March
    night(D(2026, 2, 10))
    case = Case.objects.get(borrower=borrower)
    assert list(case.case_accounts.values_list("account_id", flat=True)) == [first.pk]

    report = night(D(2026, 3, 10))

    assert report.cases_opened == 0
    assert report.accounts_joined == 1
    assert Case.objects.filter(borrower=borrower).count() == 1
    assert list(case.case_accounts.values_list("account_id", "joined_on")) == [
        (first.pk, D(2026, 2, 10)),
        (second.pk, D(2026, 3, 10)),
    ]
    case.refresh_from_db()
    # The most days past due; the sums of both accounts.
    assert (case.days_past_due, case.overdue_principal, case.overdue_total) == (
        37, Decimal("3000.00"), Decimal("3037.50"),
    )  # fmt: skip
    assert case.outstanding_balance == Decimal("12150.00")
    joined = [data for data in events(case, EventKind.ACCOUNT) if data["account_id"] == second.pk]
    assert joined == [
        {"code": "account_joined", "account": second.external_id, "account_id": second.pk, "days_past_due": 9}
    ]


def test_an_account_that_cures_leaves_and_the_case_stays_open_for_the_other():
    borrower = BorrowerFactory()
    first = account(borrower)
    second = account(borrower)
    night(D(2026, 2, 10))
    pay(first, "1012.50", at(D(2026, 2, 11)))

    report = night(D(2026, 2, 12))

    assert report.accounts_left == 1
    case = Case.objects.get(borrower=borrower)
    assert case.status == CaseStatus.OPEN
    assert list(case.case_accounts.order_by("account_id").values_list("account_id", "left_on")) == [
        (first.pk, D(2026, 2, 12)),
        (second.pk, None),
    ]
    assert (case.overdue_total, case.outstanding_balance) == (Decimal("1012.50"), Decimal("6075.00"))
    assert {"code": "account_left", "account": first.external_id, "account_id": first.pk, "days_past_due": 0} in (
        events(case, EventKind.ACCOUNT)
    )


# --- Closing ---------------------------------------------------------------------------------------


def test_a_case_whose_accounts_cure_closes_as_cured():
    late = account()
    night(D(2026, 2, 10))
    pay(late, "1012.50", at(D(2026, 2, 11)))

    report = night(D(2026, 2, 12))

    case = Case.objects.get(borrower=late.borrower)
    assert report.cases_closed == {CloseOutcome.CURED: 1}
    assert (case.status, case.close_outcome, case.closed_on) == (CaseStatus.CLOSED, CloseOutcome.CURED, D(2026, 2, 12))
    assert (case.days_past_due, case.overdue_total, case.outstanding_balance) == (
        0,
        Decimal("0.00"),
        Decimal("5062.50"),
    )
    assert list(case.case_accounts.values_list("left_on", flat=True)) == [D(2026, 2, 12)]
    assert events(case, EventKind.STATUS)[-1] == {
        "code": "closed", "from": CaseStatus.OPEN, "to": CaseStatus.CLOSED, "outcome": CloseOutcome.CURED,
    }  # fmt: skip


def test_every_line_the_run_writes_reads_in_the_readers_language_from_its_code():
    late = account()
    night(D(2026, 2, 10))
    pay(late, "1012.50", at(D(2026, 2, 11)))
    night(D(2026, 2, 12))
    case = Case.objects.get(borrower=late.borrower)
    lines = list(CaseEvent.objects.filter(case=case).order_by("id"))
    assert {line.code for line in lines} >= {"opened", "account_joined", "account_left", "closed"}
    assert all(line.summary == "" for line in lines)  # no sentence stored, in any language
    with translation.override("zh-hans"):
        chinese = [event_text(line) for line in lines]
    with translation.override("en"):
        english = [event_text(line) for line in lines]
    assert all(zh != en for zh, en in zip(chinese, english, strict=True))
    assert "Case closed: Cured" in english


def test_a_case_paid_off_closes_as_paid_in_full():
    late = account()
    night(D(2026, 2, 10))
    pay(late, "6075.00", at(D(2026, 2, 11)))

    night(D(2026, 2, 12))

    case = Case.objects.get(borrower=late.borrower)
    assert (case.status, case.close_outcome, case.outstanding_balance) == (
        CaseStatus.CLOSED, CloseOutcome.PAID_IN_FULL, Decimal("0.00"),
    )  # fmt: skip


def test_a_borrower_late_again_after_a_cure_gets_a_new_case():
    late = account()
    night(D(2026, 2, 10))
    pay(late, "1012.50", at(D(2026, 2, 11)))
    night(D(2026, 2, 12))

    night(D(2026, 3, 5))  # the March installment is now unpaid

    cases = list(Case.objects.filter(borrower=late.borrower).order_by("id"))
    assert [(case.status, case.opened_on) for case in cases] == [
        (CaseStatus.CLOSED, D(2026, 2, 10)),
        (CaseStatus.OPEN, D(2026, 3, 5)),
    ]
    assert cases[1].days_past_due == 4


def active_arrangement(case, kind, installments, *, requested_at):
    """An arrangement as deals' service leaves an active one: the row, its installments, the case in arrangement."""
    arrangement = Arrangement.objects.create(
        case=case,
        kind=kind,
        status=ArrangementStatus.ACTIVE,
        currency=case.currency,
        balance_at_start=case.outstanding_balance,
        total_to_pay=sum((amount for _day, amount in installments), Decimal("0.00")),
        requested_at=requested_at,
        decided_at=requested_at,
    )
    for number, (due_on, amount) in enumerate(installments, start=1):
        ArrangementInstallment.objects.create(arrangement=arrangement, number=number, due_on=due_on, amount=amount)
    case_status_refresh(case=case)
    return arrangement


def test_a_completed_settlement_closes_the_case_as_settled_and_its_accounts_are_not_collected_again():
    late = account()
    night(D(2026, 2, 10))
    case = Case.objects.get(borrower=late.borrower)
    settlement = active_arrangement(
        case, ArrangementKind.SETTLEMENT, [(D(2026, 2, 20), Decimal("800.00"))], requested_at=at(D(2026, 2, 10))
    )
    assert Case.objects.get(pk=case.pk).status == CaseStatus.IN_ARRANGEMENT
    pay(late, "800.00", at(D(2026, 2, 18)))  # the lump sum, less than even the overdue amount

    report = night(D(2026, 2, 21))

    settlement.refresh_from_db()
    case.refresh_from_db()
    assert (settlement.status, settlement.ended_on) == (ArrangementStatus.COMPLETED, D(2026, 2, 21))
    assert report.cases_closed == {CloseOutcome.SETTLED: 1}
    assert (case.status, case.close_outcome) == (CaseStatus.CLOSED, CloseOutcome.SETTLED)
    assert list(case.case_accounts.values_list("left_on", flat=True)) == [D(2026, 2, 21)]
    # Lending still shows the forgiven rest overdue; the settled account is not collected again.
    late.refresh_from_db()
    assert late.days_past_due > 0
    assert night(D(2026, 3, 5)).cases_opened == 0
    assert Case.objects.filter(borrower=late.borrower).count() == 1


# --- Stages ---------------------------------------------------------------------------------------------


def test_the_stage_escalates_past_30_days_and_never_goes_back_while_open():
    late = account()
    night(D(2026, 2, 10))
    case = Case.objects.get(borrower=late.borrower)

    report = night(D(2026, 3, 5))

    case.refresh_from_db()
    assert (case.stage, report.stage_changes) == (Stage.LATE, 1)
    assert list(case.stage_changes.values_list("from_stage", "to_stage", "changed_on")) == [
        ("", Stage.EARLY, D(2026, 2, 10)),
        (Stage.EARLY, Stage.LATE, D(2026, 3, 5)),
    ]
    assert events(case, EventKind.STAGE) == [
        {"code": "stage_changed", "from": Stage.EARLY, "to": Stage.LATE, "days_past_due": 32}
    ]

    pay(late, "1012.50", at(D(2026, 3, 5)))  # back to 5 days past due
    night(D(2026, 3, 6))

    case.refresh_from_db()
    assert (case.days_past_due, case.stage) == (5, Stage.LATE)
    assert case.stage_changes.count() == 2


def test_a_case_in_a_stage_people_decide_is_not_moved_by_the_lifecycle():
    late = account()
    night(D(2026, 2, 10))
    Case.objects.filter(borrower=late.borrower).update(stage=Stage.FIELD)

    night(D(2026, 3, 5))

    case = Case.objects.get(borrower=late.borrower)
    assert (case.days_past_due, case.stage) == (32, Stage.FIELD)
    assert case.stage_changes.count() == 1


# --- Promises -------------------------------------------------------------------------------------------


def promised_case(*, amounts_and_dates, taken_at=None):
    late = account()
    night(D(2026, 2, 10))
    case = Case.objects.get(borrower=late.borrower)
    taken_at = taken_at or at(D(2026, 2, 10), 10)
    promises = [
        PromiseToPayFactory(case=case, amount=Decimal(amount), due_on=due_on, created_at=taken_at)
        for amount, due_on in amounts_and_dates
    ]
    case_status_refresh(case=case)
    return late, case, promises


def test_a_promise_paid_by_the_end_of_its_due_date_is_kept():
    late, case, (promise,) = promised_case(amounts_and_dates=[("500.00", D(2026, 2, 15))])
    pay(late, "500.00", at(D(2026, 2, 15), 23, 59))  # the last minute of the day, lender's time

    assert night(D(2026, 2, 15)).promises == {}  # decided the day after it falls due
    report = night(D(2026, 2, 16))

    promise.refresh_from_db()
    case.refresh_from_db()
    assert report.promises == {PromiseStatus.KEPT: 1}
    assert (promise.status, promise.paid_amount, promise.decided_on) == (
        PromiseStatus.KEPT, Decimal("500.00"), D(2026, 2, 16),
    )  # fmt: skip
    assert (case.broken_promises, case.has_broken_promise, case.promise_due_on, case.status) == (
        0, False, None, CaseStatus.OPEN,
    )  # fmt: skip
    assert events(case, EventKind.PROMISE) == [
        {
            "code": "promise_kept", "promise": promise.pk, "status": "kept", "amount": "500.00", "paid": "500.00",
            "currency": "CNY", "due_on": "2026-02-15",
        }
    ]  # fmt: skip


def test_a_partial_payment_keeps_the_promise_partly_with_the_amount():
    late, case, (promise,) = promised_case(amounts_and_dates=[("500.00", D(2026, 2, 15))])
    pay(late, "200.00", at(D(2026, 2, 12)))

    night(D(2026, 2, 16))

    promise.refresh_from_db()
    assert (promise.status, promise.paid_amount) == (PromiseStatus.PARTLY_KEPT, Decimal("200.00"))
    assert Case.objects.get(pk=case.pk).broken_promises == 0


def test_a_promise_without_payment_by_its_date_is_broken_and_raises_the_priority():
    late, case, (promise,) = promised_case(amounts_and_dates=[("500.00", D(2026, 2, 15))])
    # Paid the next day (after midnight in Shanghai, still the 15th in UTC) and before the promise was taken:
    # neither counts.
    pay(late, "100.00", at(D(2026, 2, 10), 9))
    pay(late, "500.00", at(D(2026, 2, 16), 0, 0))
    before = Case.objects.get(pk=case.pk).priority

    night(D(2026, 2, 16))

    promise.refresh_from_db()
    case.refresh_from_db()
    assert (promise.status, promise.paid_amount) == (PromiseStatus.BROKEN, Decimal("0.00"))
    assert (case.broken_promises, case.has_broken_promise, case.status) == (1, True, CaseStatus.OPEN)
    assert case.priority > before
    assert events(case, EventKind.STATUS)[-1] == {
        "code": "status_changed",
        "from": CaseStatus.PROMISED,
        "to": CaseStatus.OPEN,
    }


def test_a_payment_counts_once_across_a_series_and_the_next_promise_date_follows():
    late, case, (first, second, third) = promised_case(
        amounts_and_dates=[("500.00", D(2026, 2, 15)), ("500.00", D(2026, 2, 20)), ("500.00", D(2026, 2, 25))]
    )
    pay(late, "700.00", at(D(2026, 2, 14)))

    night(D(2026, 2, 16))
    case.refresh_from_db()
    assert (case.promise_due_on, case.status) == (D(2026, 2, 20), CaseStatus.PROMISED)

    night(D(2026, 2, 21))

    for promise in (first, second, third):
        promise.refresh_from_db()
    assert [(promise.status, promise.paid_amount) for promise in (first, second)] == [
        (PromiseStatus.KEPT, Decimal("500.00")),
        (PromiseStatus.PARTLY_KEPT, Decimal("200.00")),
    ]
    assert third.status == PromiseStatus.PENDING
    case.refresh_from_db()
    assert (case.promise_due_on, case.broken_promises) == (D(2026, 2, 25), 0)

    night(D(2026, 2, 26))

    third.refresh_from_db()
    case.refresh_from_db()
    assert third.status == PromiseStatus.BROKEN
    assert (case.broken_promises, case.has_broken_promise, case.promise_due_on) == (1, True, None)


# --- Arrangements ---------------------------------------------------------------------------------------


def test_a_missed_installment_breaks_the_arrangement_and_reopens_the_case():
    late = account()
    night(D(2026, 2, 10))
    case = Case.objects.get(borrower=late.borrower)
    plan = active_arrangement(
        case,
        ArrangementKind.REPAYMENT_PLAN,
        [(D(2026, 2, 15), Decimal("600.00")), (D(2026, 2, 25), Decimal("600.00"))],
        requested_at=at(D(2026, 2, 10), 11),
    )
    pay(late, "800.00", at(D(2026, 2, 14)))

    report = night(D(2026, 2, 16))

    first, second = plan.installments.order_by("number")
    assert report.installments == {"paid": 1, "due": 1}
    assert (first.status, first.paid_amount, second.status, second.paid_amount) == (
        "paid", Decimal("600.00"), "due", Decimal("200.00"),
    )  # fmt: skip
    plan.refresh_from_db()
    assert plan.status == ArrangementStatus.ACTIVE
    assert Case.objects.get(pk=case.pk).status == CaseStatus.IN_ARRANGEMENT

    report = night(D(2026, 2, 26))

    second.refresh_from_db()
    plan.refresh_from_db()
    case.refresh_from_db()
    assert (second.status, second.paid_amount) == ("partly_paid", Decimal("200.00"))
    assert (report.arrangements_broken, plan.status, plan.ended_on) == (0, ArrangementStatus.ACTIVE, None)

    # A short payment does not break the plan: only a whole installment short (a missed one) does.
    assert night(D(2026, 2, 27)).arrangements_broken == 0


def test_an_installment_with_nothing_paid_is_missed_and_breaks_the_arrangement():
    late = account()
    night(D(2026, 2, 10))
    case = Case.objects.get(borrower=late.borrower)
    plan = active_arrangement(
        case,
        ArrangementKind.REPAYMENT_PLAN,
        [(D(2026, 2, 15), Decimal("600.00")), (D(2026, 2, 25), Decimal("600.00"))],
        requested_at=at(D(2026, 2, 10), 11),
    )
    pay(late, "100.00", at(D(2026, 2, 10), 9))  # before the plan was agreed: not for the plan

    report = night(D(2026, 2, 16))

    plan.refresh_from_db()
    case.refresh_from_db()
    first = plan.installments.get(number=1)
    assert (first.status, first.paid_amount) == ("missed", Decimal("0.00"))
    assert (report.arrangements_broken, plan.status, plan.ended_on) == (1, ArrangementStatus.BROKEN, D(2026, 2, 16))
    assert case.status == CaseStatus.OPEN
    codes = [data.get("code") for data in events(case, EventKind.ARRANGEMENT)]
    assert codes == ["installment_missed", "arrangement_broken"]
    assert events(case, EventKind.STATUS)[-1] == {
        "code": "status_changed",
        "from": CaseStatus.IN_ARRANGEMENT,
        "to": CaseStatus.OPEN,
    }


def test_an_arrangement_paid_in_full_is_completed():
    borrower = BorrowerFactory()
    late = account(borrower)
    account(borrower)  # a second late account keeps the case open
    night(D(2026, 2, 10))
    case = Case.objects.get(borrower=borrower)
    plan = active_arrangement(
        case,
        ArrangementKind.REPAYMENT_PLAN,
        [(D(2026, 2, 15), Decimal("500.00")), (D(2026, 2, 25), Decimal("512.50"))],
        requested_at=at(D(2026, 2, 10), 11),
    )
    pay(late, "1012.50", at(D(2026, 2, 12)))

    report = night(D(2026, 2, 13))

    plan.refresh_from_db()
    assert (report.arrangements_completed, plan.status, plan.ended_on) == (
        1,
        ArrangementStatus.COMPLETED,
        D(2026, 2, 13),
    )
    assert set(plan.installments.values_list("status", flat=True)) == {"paid"}
    assert Case.objects.get(pk=case.pk).status == CaseStatus.OPEN


# --- The run as a whole ------------------------------------------------------------------------------------


def everything():
    return (
        list(Case.objects.order_by("id").values()),
        list(CaseAccount.objects.order_by("id").values()),
        list(StageChange.objects.order_by("id").values()),
        list(CaseEvent.objects.order_by("id").values()),
        list(PromiseToPay.objects.order_by("id").values()),
        list(Arrangement.objects.order_by("id").values()),
        list(ArrangementInstallment.objects.order_by("id").values()),
        AuditEvent.objects.count(),
    )


def test_running_a_day_twice_changes_nothing_the_second_time(team_a, collector):
    from collection.models import TeamWorkRule

    TeamWorkRule.objects.create(team=team_a, order=1)
    cured, cures_now, grows, broken_promise, broken_plan = (account() for _ in range(5))
    night(D(2026, 2, 10))
    pay(cured, "1012.50", at(D(2026, 2, 11)))
    night(D(2026, 2, 12))
    # By 5 March: the cured borrower is late again with a new account too, one borrower pays up,
    # a promise and a plan fall due unpaid, a new borrower falls behind; one case is on hold.
    late_again = account(cured.borrower, opened_on=D(2026, 2, 1))
    pay(cures_now, "2025.00", at(D(2026, 3, 4)))
    promise_case = Case.objects.get(borrower=broken_promise.borrower)
    PromiseToPayFactory(case=promise_case, due_on=D(2026, 2, 20), created_at=at(D(2026, 2, 12)))
    case_status_refresh(case=promise_case)
    active_arrangement(
        Case.objects.get(borrower=broken_plan.borrower),
        ArrangementKind.REPAYMENT_PLAN,
        [(D(2026, 2, 20), Decimal("500.00")), (D(2026, 3, 20), Decimal("512.50"))],
        requested_at=at(D(2026, 2, 12)),
    )
    newly_late = account(opened_on=D(2026, 1, 20))
    HoldFactory(case=Case.objects.get(borrower=grows.borrower))

    first = night(D(2026, 3, 5))
    after_first = everything()
    second = lifecycle_run(as_of=D(2026, 3, 5))

    assert everything() == after_first
    assert second.changes == 0
    assert second.as_dict() | {"seconds": {}} == {
        "as_of": "2026-03-05", "cases_opened": 0, "accounts_joined": 0, "accounts_left": 0, "cases_refreshed": 0,
        "cases_closed": {}, "stage_changes": 0, "promises": {}, "installments": {}, "arrangements_completed": 0,
        "arrangements_broken": 0, "statuses_changed": 0, "promise_dates_changed": 0, "cases_assigned": 0,
        "seconds": {},
    }  # fmt: skip
    # What the first run did.
    assert (first.cases_opened, first.accounts_joined) == (2, 3)
    assert first.cases_closed == {CloseOutcome.CURED: 1}
    assert first.promises == {PromiseStatus.BROKEN: 1}
    assert (first.installments, first.arrangements_broken) == ({"missed": 1}, 1)
    assert first.stage_changes == 2 + 3  # two new cases' first stage; three cases past 30 days
    reopened = Case.objects.get(borrower=cured.borrower, status=CaseStatus.OPEN)
    assert reopened.opened_on == D(2026, 3, 5)
    assert set(reopened.case_accounts.values_list("account_id", flat=True)) == {cured.pk, late_again.pk}
    assert Case.objects.get(borrower=newly_late.borrower).assigned_to == collector
    # Every open case's status is what the cases service derives; its priority what the formula says.
    for case in Case.objects.all():
        assert case.status == case_status_derive(case)
        if not case.is_closed:
            assert case.priority == priority_score(case, today=D(2026, 3, 5))
    assert Case.objects.get(borrower=grows.borrower).status == CaseStatus.ON_HOLD


def test_the_run_refuses_a_day_lending_has_not_run_and_writes_nothing():
    account()
    run_nightly(as_of=D(2026, 2, 10))

    with pytest.raises(CollectionError) as refused:
        lifecycle_run(as_of=D(2026, 2, 11))

    assert str(refused.value) == str(LENDING_NOT_RUN).format(figures_day="2026-02-10", day="2026-02-11")
    assert not Case.objects.exists()


def test_the_run_logs_its_counts(caplog):
    account()
    caplog.set_level(logging.INFO, logger="collection.lifecycle")

    night(D(2026, 2, 10))

    messages = [record.getMessage() for record in caplog.records if record.name == "collection.lifecycle"]
    assert messages[0].startswith("collection lifecycle 2026-02-10: 1 cases opened, 1 accounts joined, 0 left")


def test_the_combined_run_runs_lending_then_the_lifecycle():
    late = account()

    lending_report, report = collection_nightly_run(as_of=D(2026, 2, 10))

    assert (lending_report.accounts_refreshed, report.cases_opened) == (1, 1)
    assert Case.objects.get(borrower=late.borrower).days_past_due == 9


def test_the_old_task_name_runs_the_nightly_chain_and_is_harmless_twice():
    account()

    first = collection_nightly_task("2026-02-10")
    second = collection_nightly_task("2026-02-10")

    assert (first["run_on"], first["status"], second["status"]) == ("2026-02-10", "succeeded", "succeeded")
    runs = NightlyRun.objects.order_by("id")
    lifecycle = [run.steps.get(name="lifecycle").counts for run in runs]
    assert (lifecycle[0]["cases_opened"], lifecycle[1]["cases_opened"], lifecycle[1]["cases_refreshed"]) == (1, 0, 0)
    assert runs[1].steps.get(name="lending").counts["accounts_refreshed"] == 0


def test_beat_runs_the_nightly_chain_at_half_past_one(settings):
    entries = {entry["task"]: entry for entry in settings.CELERY_BEAT_SCHEDULE.values()}
    assert "lending.tasks.nightly_run_task" not in entries
    schedule = entries["collection.nightly.tasks.nightly_chain_task"]["schedule"]
    assert (schedule.hour, schedule.minute) == ({1}, {30})


def test_the_command_runs_the_chain_and_prints_each_step():
    account()
    out = io.StringIO()

    call_command("run_collection_nightly", "--date", "2026-02-10", stdout=out)

    text = out.getvalue()
    assert "Nightly chain for 2026-02-10: succeeded" in text
    assert "1. Lending: days past due, buckets, snapshots: succeeded" in text
    assert "2. Collection lifecycle: cases, promises, stages, assignment: succeeded" in text
    assert "     Cases opened: 1" in text


def test_the_command_refuses_a_bad_date():
    with pytest.raises(CommandError, match="YYYY-MM-DD"):
        call_command("run_collection_nightly", "--date", "10/02/2026")


def test_a_request_still_waiting_when_its_case_closes_is_withdrawn():
    from collection.models import Arrangement, ArrangementKind, ArrangementStatus

    late = account()
    night(D(2026, 2, 10))
    case = Case.objects.get(borrower=late.borrower)
    request = Arrangement.objects.create(
        case=case,
        kind=ArrangementKind.SETTLEMENT,
        status=ArrangementStatus.PENDING_APPROVAL,
        currency="CNY",
        balance_at_start=Decimal("1012.50"),
        total_to_pay=Decimal("900.00"),
        requested_at=at(D(2026, 2, 10)),
    )
    pay(late, "1012.50", at(D(2026, 2, 11)))
    night(D(2026, 2, 12))
    request.refresh_from_db()
    assert (request.status, request.ended_on) == (ArrangementStatus.CANCELLED, D(2026, 2, 12))
    [line] = events(case, EventKind.ARRANGEMENT)
    assert line["code"] == "arrangement_withdrawn"
    with translation.override("en"):
        assert event_text(CaseEvent.objects.get(case=case, code="arrangement_withdrawn")) == (
            "Settlement request withdrawn: the case closed"
        )
