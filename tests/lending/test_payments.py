"""Recording payments (one, and many at once) and reversing them."""

import datetime
from decimal import Decimal

import pytest
from django.db import transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from accounts.models import AuditEvent
from lending.models import CreditAccount, Installment, Payment, PaymentAllocation
from lending.services import (
    PAYMENT_ACCOUNT_UNKNOWN,
    PAYMENT_ALREADY_REVERSED,
    PAYMENT_AMOUNT_INVALID,
    PAYMENT_CHANNEL_UNKNOWN,
    PAYMENT_CONFLICT,
    PAYMENT_CREDIT_USED,
    PAYMENT_DUPLICATE_IN_BATCH,
    LendingError,
    PaymentRow,
    payment_record,
    payment_reverse,
    payments_record_batch,
)
from tests.lending.factories import CreditProductFactory, account_with_schedule

pytestmark = pytest.mark.django_db

UTC = datetime.UTC
RECEIVED = datetime.datetime(2026, 3, 20, 2, 0, tzinfo=UTC)
PAID_FIELDS = ("penalty_paid", "fee_paid", "interest_paid", "principal_paid", "paid_off_on")
STATE_FIELDS = ("id", "principal_due", "interest_due", "fee_due", "penalty_accrued", *PAID_FIELDS)


def schedule_of(account):
    return list(Installment.objects.filter(account=account).order_by("number").values(*STATE_FIELDS))


def record(account, external_id="P1", amount="100.00", received_at=RECEIVED, channel=Payment.Channel.APP):
    return payment_record(
        account=account, external_id=external_id, amount=Decimal(amount), received_at=received_at, channel=channel
    )


def parts_of(payment):
    return [
        (allocation.installment.number, allocation.component, allocation.amount)
        for allocation in payment.allocations.select_related("installment").order_by("id")
    ]


@pytest.fixture
def account():
    """Two months of 1000.00 principal and 12.50 interest; the first installment also owes a fee and a penalty."""
    account = account_with_schedule(months=2)
    Installment.objects.filter(account=account, number=1).update(
        fee_due=Decimal("30.00"), penalty_accrued=Decimal("5.00")
    )
    return account


# --- One payment --------------------------------------------------------------------------


def test_it_pays_penalty_fee_interest_principal_of_the_oldest_first(account):
    payment, created = record(account, amount="60.00")

    assert created is True
    assert parts_of(payment) == [
        (1, "penalty", Decimal("5.00")),
        (1, "fee", Decimal("30.00")),
        (1, "interest", Decimal("12.50")),
        (1, "principal", Decimal("12.50")),
    ]
    first, second = schedule_of(account)
    assert (first["penalty_paid"], first["fee_paid"], first["interest_paid"], first["principal_paid"]) == (
        Decimal("5.00"), Decimal("30.00"), Decimal("12.50"), Decimal("12.50"),
    )  # fmt: skip
    assert first["paid_off_on"] is None
    assert second["principal_paid"] == Decimal("0.00")
    event = AuditEvent.objects.get(action="lending.payment.recorded")
    assert (event.target_id, event.actor, event.data["amount"]) == (str(payment.pk), None, "60.00")


def test_it_follows_the_products_custom_order():
    product = CreditProductFactory(code="principal-first", allocation_order=["principal", "interest", "fee", "penalty"])
    account = account_with_schedule(months=1, product=product)

    payment, _ = record(account, amount="1005.00")

    assert parts_of(payment) == [(1, "principal", Decimal("1000.00")), (1, "interest", Decimal("5.00"))]


def test_a_partial_payment_leaves_the_rest_due(account):
    record(account, amount="20.00")

    first, _second = schedule_of(account)
    assert (first["penalty_paid"], first["fee_paid"], first["interest_paid"]) == (
        Decimal("5.00"), Decimal("15.00"), Decimal("0.00"),
    )  # fmt: skip
    assert first["paid_off_on"] is None


def test_an_exact_payoff_sets_the_paid_off_date_in_the_lenders_time_zone(account):
    # 17:30 UTC on 20 March is already 21 March in Shanghai.
    record(account, amount="1047.50", received_at=datetime.datetime(2026, 3, 20, 17, 30, tzinfo=UTC))

    first, second = schedule_of(account)
    assert first["paid_off_on"] == datetime.date(2026, 3, 21)
    assert second["paid_off_on"] is None
    assert CreditAccount.objects.get(pk=account.pk).credit_balance == Decimal("0.00")


def test_an_overpayment_becomes_a_credit_never_a_negative_due(account):
    payment, _ = record(account, amount="3000.00")

    assert payment.unapplied_amount == Decimal("940.00")
    assert CreditAccount.objects.get(pk=account.pk).credit_balance == Decimal("940.00")
    for row in schedule_of(account):
        assert row["paid_off_on"] == datetime.date(2026, 3, 20)
        assert row["principal_paid"] == row["principal_due"]


def test_recording_the_same_payment_twice_changes_nothing(account):
    payment, _ = record(account, amount="60.00")
    before = schedule_of(account)

    again, created = record(account, amount="60.00")

    assert (again.pk, created) == (payment.pk, False)
    assert schedule_of(account) == before
    assert PaymentAllocation.objects.count() == 4
    assert AuditEvent.objects.filter(action="lending.payment.recorded").count() == 1


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"amount": "61.00"}, "amount"),
        ({"channel": Payment.Channel.AGENCY}, "channel"),
        ({"received_at": RECEIVED + datetime.timedelta(seconds=1)}, "received_at"),
    ],
)
def test_the_same_external_id_with_other_data_is_refused_and_writes_nothing(account, change, field):
    record(account, amount="60.00")
    before = schedule_of(account)

    with pytest.raises(LendingError) as error:
        record(account, **{"amount": "60.00", **change})

    assert str(error.value) == str(PAYMENT_CONFLICT).format(external_id="P1", field=field)
    assert schedule_of(account) == before
    assert Payment.objects.count() == 1


def test_the_same_external_id_on_another_account_is_refused(account):
    record(account)
    other = account_with_schedule(months=1)

    with pytest.raises(LendingError, match="different account"):
        record(other)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"amount": "0.00"}, PAYMENT_AMOUNT_INVALID),
        ({"amount": "-5.00"}, PAYMENT_AMOUNT_INVALID),
        ({"amount": "1.005"}, PAYMENT_AMOUNT_INVALID),
        ({"channel": "cash"}, PAYMENT_CHANNEL_UNKNOWN),
    ],
)
def test_a_bad_payment_is_refused_and_writes_nothing(account, kwargs, message):
    with pytest.raises(LendingError) as error:
        record(account, **kwargs)

    assert str(error.value).split(":")[0] == str(message).split(":")[0]
    assert Payment.objects.count() == 0
    assert AuditEvent.objects.count() == 0


def test_a_naive_time_is_refused(account):
    with pytest.raises(LendingError, match="time zone"):
        record(account, received_at=datetime.datetime(2026, 3, 20, 10, 0))  # noqa: DTZ001


@pytest.mark.parametrize("status", [CreditAccount.Status.CLOSED, CreditAccount.Status.SOLD])
def test_a_closed_or_sold_account_takes_no_payment(account, status):
    CreditAccount.objects.filter(pk=account.pk).update(status=status)

    with pytest.raises(LendingError, match="takes no more payments"):
        record(account)

    assert Payment.objects.count() == 0


def test_a_charged_off_account_still_takes_a_recovery(account):
    CreditAccount.objects.filter(pk=account.pk).update(status=CreditAccount.Status.CHARGED_OFF)

    _payment, created = record(account)

    assert created is True


# --- Reversal -------------------------------------------------------------------------------


def test_reversal_restores_every_installment_and_the_credit(account):
    before = schedule_of(account)
    record(account, external_id="P0", amount="10.00")
    after_first = schedule_of(account)
    payment, _ = record(account, amount="3000.00")

    reversed_payment = payment_reverse(payment=payment, reason="Bounced at the bank")

    assert schedule_of(account) == after_first
    assert schedule_of(account) != before
    assert CreditAccount.objects.get(pk=account.pk).credit_balance == Decimal("0.00")
    payment.refresh_from_db()
    assert (payment.status, payment.reversal_reason) == (Payment.Status.REVERSED, "Bounced at the bank")
    assert reversed_payment.reversed_at is not None
    # The allocations stay as history.
    assert payment.allocations.count() == 5
    assert AuditEvent.objects.filter(action="lending.payment.reversed", target_id=str(payment.pk)).count() == 1


def test_reversing_twice_is_refused_and_changes_nothing(account):
    payment, _ = record(account, amount="60.00")
    payment_reverse(payment=payment, reason="Duplicate")
    before = schedule_of(account)

    with pytest.raises(LendingError) as error:
        payment_reverse(payment=payment, reason="Duplicate")

    assert str(error.value) == str(PAYMENT_ALREADY_REVERSED)
    assert schedule_of(account) == before
    assert AuditEvent.objects.filter(action="lending.payment.reversed").count() == 1


def test_a_reversal_whose_credit_is_gone_is_refused_and_writes_nothing(account):
    payment, _ = record(account, amount="3000.00")
    CreditAccount.objects.filter(pk=account.pk).update(credit_balance=Decimal("100.00"))
    before = schedule_of(account)

    with pytest.raises(LendingError) as error:
        payment_reverse(payment=payment, reason="Bounced")

    assert str(error.value) == str(PAYMENT_CREDIT_USED).format(amount=Decimal("940.00"))
    assert schedule_of(account) == before
    assert Payment.objects.get(pk=payment.pk).status == Payment.Status.APPLIED


def test_a_reversal_needs_a_reason(account):
    payment, _ = record(account)

    with pytest.raises(LendingError, match="reason"):
        payment_reverse(payment=payment, reason="  ")


def test_a_recorded_payment_replayed_after_its_reversal_stays_reversed(account):
    payment, _ = record(account)
    payment_reverse(payment=payment, reason="Bounced")
    before = schedule_of(account)

    again, created = record(account)

    assert (again.pk, created, again.status) == (payment.pk, False, Payment.Status.REVERSED)
    assert schedule_of(account) == before


amounts = st.integers(min_value=1, max_value=2_500_00).map(lambda value: Decimal(value) / 100)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    dues=st.lists(st.tuples(*[st.integers(min_value=0, max_value=300_00)] * 4), min_size=1, max_size=4),
    payments=st.lists(amounts, min_size=1, max_size=5),
    reverse_order=st.randoms(use_true_random=False),
)
def test_any_payments_then_their_reversals_restore_the_schedule_to_the_cent(dues, payments, reverse_order):
    with transaction.atomic():
        account = account_with_schedule(months=len(dues), external_id="PROP")
        for number, (principal, interest, fee, penalty) in enumerate(dues, start=1):
            Installment.objects.filter(account=account, number=number).update(
                principal_due=Decimal(principal) / 100,
                interest_due=Decimal(interest) / 100,
                fee_due=Decimal(fee) / 100,
                penalty_accrued=Decimal(penalty) / 100,
            )
        before = schedule_of(account)
        recorded = []
        for index, amount in enumerate(payments):
            payment, _ = record(account, external_id=f"PROP-{index}", amount=str(amount))
            allocated = sum((part.amount for part in payment.allocations.all()), Decimal("0.00"))
            assert allocated + payment.unapplied_amount == amount
            recorded.append(payment)
        for row in schedule_of(account):
            for component, due in (("principal", "principal_due"), ("interest", "interest_due"),
                                   ("fee", "fee_due"), ("penalty", "penalty_accrued")):  # fmt: skip
                assert Decimal("0.00") <= row[f"{component}_paid"] <= row[due]
        account.refresh_from_db()
        assert account.credit_balance == sum((p.unapplied_amount for p in recorded), Decimal("0.00"))

        reverse_order.shuffle(recorded)
        for payment in recorded:
            payment_reverse(payment=payment, reason="Property test")

        assert schedule_of(account) == before
        account.refresh_from_db()
        assert account.credit_balance == Decimal("0.00")
        transaction.set_rollback(True)


# --- Many payments at once ----------------------------------------------------------------------


def row(number, external_id, account_external_id, amount="100.00", received_at=RECEIVED, channel="app"):
    return PaymentRow(
        external_id=external_id,
        account_external_id=account_external_id,
        amount=Decimal(amount) if isinstance(amount, str) else amount,
        received_at=received_at,
        channel=channel,
        row_number=number,
    )


def test_a_batch_gives_the_same_result_as_one_payment_at_a_time():
    one_by_one = [account_with_schedule(months=3, external_id=f"S{n}") for n in range(2)]
    batched = [account_with_schedule(months=3, external_id=f"B{n}") for n in range(2)]
    plan = [("20.00", 1), ("4000.00", 2), ("1500.00", 3)]  # amount, hours after RECEIVED
    rows = []
    for index, (amount, hours) in enumerate(plan):
        for n in range(2):
            received_at = RECEIVED + datetime.timedelta(hours=hours)
            payment_record(
                account=one_by_one[n], external_id=f"S{n}-{index}", amount=Decimal(amount),
                received_at=received_at, channel="app",
            )  # fmt: skip
            rows.append(row(len(rows) + 2, f"B{n}-{index}", f"B{n}", amount, received_at))

    result = payments_record_batch(rows=rows[::-1])  # the batch sorts them by time received

    assert (result.created, result.unchanged, result.errors, result.applied) == (6, 0, [], True)
    for single, batch in zip(one_by_one, batched, strict=True):
        strip = [{k: v for k, v in r.items() if k != "id"} for r in schedule_of(single)]
        assert strip == [{k: v for k, v in r.items() if k != "id"} for r in schedule_of(batch)]
        assert (
            CreditAccount.objects.get(pk=batch.pk).credit_balance
            == CreditAccount.objects.get(pk=single.pk).credit_balance
        )
        single_parts = [
            (p.amount, p.unapplied_amount) for p in Payment.objects.filter(account=single).order_by("received_at")
        ]
        batch_parts = [
            (p.amount, p.unapplied_amount) for p in Payment.objects.filter(account=batch).order_by("received_at")
        ]
        assert single_parts == batch_parts
    assert AuditEvent.objects.filter(action="lending.payment.batch_recorded").count() == 1


def test_a_batch_sent_twice_changes_nothing_the_second_time():
    account = account_with_schedule(months=2, external_id="A1")
    rows = [row(2, "X1", "A1", "50.00"), row(3, "X2", "A1", "3000.00")]
    payments_record_batch(rows=rows)
    before = (schedule_of(account), CreditAccount.objects.get(pk=account.pk).credit_balance)

    result = payments_record_batch(rows=rows)

    assert (result.created, result.unchanged, result.errors) == (0, 2, [])
    assert (schedule_of(account), CreditAccount.objects.get(pk=account.pk).credit_balance) == before
    assert PaymentAllocation.objects.count() == 5


def bad_batch():
    account_with_schedule(months=2, external_id="A1")
    closed = account_with_schedule(months=1, external_id="A2")
    CreditAccount.objects.filter(pk=closed.pk).update(status=CreditAccount.Status.CLOSED)
    for external_id in ("OLD", "OLD2"):
        payment_record(account=CreditAccount.objects.get(external_id="A1"), external_id=external_id,
                       amount=Decimal("5.00"), received_at=RECEIVED, channel="app")  # fmt: skip
    return [
        row(2, "G1", "A1", "100.00"),
        row(3, "G2", "A1", "-5.00"),
        row(4, "G3", "NOPE", "10.00"),
        row(5, "G1", "A1", "100.00"),
        row(6, "OLD2", "A1", "6.00"),
        row(7, "G4", "A2", "10.00"),
        row(8, "G5", "A1", "10.00", channel="cash"),
        row(9, "OLD", "A1", "5.00"),
    ]


def test_a_bad_batch_names_row_column_value_and_reason_and_applies_nothing():
    rows = bad_batch()
    before = list(Installment.objects.order_by("id").values(*STATE_FIELDS))

    result = payments_record_batch(rows=rows)

    assert result.applied is False
    assert [(e.row_number, e.column, e.value) for e in result.errors] == [
        (3, "amount", "-5.00"),
        (4, "account_external_id", "NOPE"),
        (5, "external_id", "G1"),
        (6, "amount", "6.00"),
        (7, "account_external_id", "A2"),
        (8, "channel", "cash"),
    ]
    reasons = {e.row_number: e.reason for e in result.errors}
    assert reasons[3] == str(PAYMENT_AMOUNT_INVALID)
    assert reasons[4] == str(PAYMENT_ACCOUNT_UNKNOWN)
    assert reasons[5] == str(PAYMENT_DUPLICATE_IN_BATCH).format(row_number=2)
    assert reasons[6] == str(PAYMENT_CONFLICT).format(external_id="OLD2", field="amount")
    assert "takes no more payments" in reasons[7]
    assert result.error_rows == 6
    assert Payment.objects.count() == 2
    assert list(Installment.objects.order_by("id").values(*STATE_FIELDS)) == before
    assert AuditEvent.objects.filter(action="lending.payment.batch_recorded").count() == 0


def test_a_bad_batch_with_quarantine_applies_the_good_rows_only():
    rows = bad_batch()

    result = payments_record_batch(rows=rows, quarantine_bad_rows=True)

    assert (result.applied, result.created, result.unchanged, result.error_rows) == (True, 1, 1, 6)
    assert set(Payment.objects.values_list("external_id", flat=True)) == {"OLD", "OLD2", "G1"}
    event = AuditEvent.objects.get(action="lending.payment.batch_recorded")
    assert (event.data["created"], event.data["unchanged"], event.data["bad_rows"]) == (1, 1, 6)


def test_a_dry_run_checks_and_writes_nothing():
    account_with_schedule(months=2, external_id="A1")

    result = payments_record_batch(rows=[row(2, "G1", "A1")], dry_run=True)

    assert (result.applied, result.errors) == (False, [])
    assert Payment.objects.count() == 0
    assert AuditEvent.objects.count() == 0


def test_a_batch_allocates_an_accounts_payments_in_the_order_received():
    account = account_with_schedule(months=2, external_id="A1")
    rows = [
        row(2, "LATE", "A1", "2000.00", RECEIVED + datetime.timedelta(days=2)),
        row(3, "EARLY", "A1", "1012.50", RECEIVED),
    ]

    payments_record_batch(rows=rows)

    early = Payment.objects.get(external_id="EARLY")
    assert {allocation.installment.number for allocation in early.allocations.all()} == {1}
    first, second = schedule_of(account)
    assert first["paid_off_on"] == datetime.date(2026, 3, 20)
    assert second["paid_off_on"] == datetime.date(2026, 3, 22)
    assert Payment.objects.get(external_id="LATE").unapplied_amount == Decimal("987.50")


def test_a_batch_stores_external_ids_and_times_exactly():
    # On PostgreSQL the batch writes COPY text itself: escapes and time zones must survive.
    account_with_schedule(months=1, external_id="A1")
    odd = "P\\1\tx\ny\rz ,'\"{é}"
    received_at = datetime.datetime(
        2026, 3, 20, 9, 30, 15, 123456, tzinfo=datetime.timezone(datetime.timedelta(hours=8))
    )

    result = payments_record_batch(rows=[row(2, odd, "A1", "12.34", received_at)])

    assert (result.created, result.errors) == (1, [])
    payment = Payment.objects.get()
    assert (payment.external_id, payment.received_at, payment.amount) == (odd, received_at, Decimal("12.34"))
    assert payment.allocations.get().amount == Decimal("12.34")
    again = payments_record_batch(rows=[row(2, odd, "A1", "12.34", received_at)])
    assert (again.created, again.unchanged, again.errors) == (0, 1, [])
