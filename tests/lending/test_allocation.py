"""The pure allocation rule: oldest installment first, components in the product's order, exact to the cent."""

import dataclasses
import datetime
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from lending.allocation import (
    ALLOCATION_ORDER_INVALID,
    AllocationError,
    AllocationPart,
    InstallmentBalance,
    ScheduleAllocator,
    allocate,
)
from lending.models import default_allocation_order

DEFAULT_ORDER = default_allocation_order()
COMPONENTS = ["penalty", "fee", "interest", "principal"]

cents = st.integers(min_value=0, max_value=5_000_00).map(lambda value: Decimal(value) / 100)


@st.composite
def schedules(draw, remaining=cents):
    count = draw(st.integers(min_value=0, max_value=6))
    first = datetime.date(2028, 1, 31)
    balances = []
    for number in range(1, count + 1):
        balances.append(
            InstallmentBalance(
                installment_id=100 + number,
                due_on=first + datetime.timedelta(days=30 * (number - 1)),
                number=number,
                penalty=draw(remaining),
                fee=draw(remaining),
                interest=draw(remaining),
                principal=draw(remaining),
            )
        )
    # Any order in, oldest first out.
    return draw(st.permutations(balances))


def balance(installment_id, due_on, number=1, **remaining):
    return InstallmentBalance(installment_id=installment_id, due_on=due_on, number=number, **remaining)


@given(schedule=schedules(), amount=cents, order=st.permutations(COMPONENTS))
def test_allocation_is_exact_and_never_over_allocates(schedule, amount, order):
    allocation = allocate(amount=amount, installments=schedule, order=order)

    assert sum(part.amount for part in allocation.parts) + allocation.unapplied == amount
    assert allocation.unapplied >= 0
    by_id = {item.installment_id: item for item in schedule}
    seen = set()
    for part in allocation.parts:
        assert Decimal("0.00") < part.amount <= by_id[part.installment_id].remaining(part.component)
        assert part.amount == part.amount.quantize(Decimal("0.01"))
        assert (part.installment_id, part.component) not in seen
        seen.add((part.installment_id, part.component))
    # Only what nothing needed is left over.
    total_remaining = sum((item.total for item in schedule), Decimal("0.00"))
    assert allocation.unapplied == max(amount - total_remaining, Decimal("0.00"))


@given(schedule=schedules(), amount=cents, order=st.permutations(COMPONENTS))
def test_allocation_pays_oldest_first_and_in_order(schedule, amount, order):
    allocation = allocate(amount=amount, installments=schedule, order=order)

    # Walking the schedule oldest first in the order, every part is a prefix:
    # each component is paid in full before the next one gets anything.
    walk = [
        (item.installment_id, component, item.remaining(component))
        for item in sorted(schedule, key=lambda item: (item.due_on, item.number))
        for component in order
        if item.remaining(component) > 0
    ]
    parts = [(part.installment_id, part.component) for part in allocation.parts]
    assert parts == [(installment_id, component) for installment_id, component, _ in walk[: len(parts)]]
    for part, (_, _, remaining) in zip(allocation.parts[:-1], walk, strict=False):
        assert part.amount == remaining


def test_default_order_pays_penalty_fee_interest_principal_of_the_oldest_first():
    older = balance(1, datetime.date(2026, 2, 15), 1, penalty=Decimal("5.00"), fee=Decimal("30.00"),
                    interest=Decimal("12.50"), principal=Decimal("1000.00"))  # fmt: skip
    newer = balance(2, datetime.date(2026, 3, 15), 2, interest=Decimal("12.50"), principal=Decimal("1000.00"))

    allocation = allocate(amount=Decimal("60.00"), installments=[newer, older], order=DEFAULT_ORDER)

    assert allocation.parts == [
        AllocationPart(1, "penalty", Decimal("5.00")),
        AllocationPart(1, "fee", Decimal("30.00")),
        AllocationPart(1, "interest", Decimal("12.50")),
        AllocationPart(1, "principal", Decimal("12.50")),
    ]
    assert allocation.unapplied == Decimal("0.00")


def test_a_custom_order_pays_principal_first():
    item = balance(1, datetime.date(2026, 2, 15), penalty=Decimal("5.00"), principal=Decimal("100.00"))

    allocation = allocate(
        amount=Decimal("102.00"), installments=[item], order=["principal", "interest", "fee", "penalty"]
    )

    assert allocation.parts == [
        AllocationPart(1, "principal", Decimal("100.00")),
        AllocationPart(1, "penalty", Decimal("2.00")),
    ]


def test_an_overpayment_is_left_unapplied():
    item = balance(1, datetime.date(2026, 2, 15), interest=Decimal("12.50"), principal=Decimal("100.00"))

    allocation = allocate(amount=Decimal("150.00"), installments=[item], order=DEFAULT_ORDER)

    assert allocation.applied == Decimal("112.50")
    assert allocation.unapplied == Decimal("37.50")


def test_nothing_due_leaves_everything_unapplied():
    allocation = allocate(amount=Decimal("10.00"), installments=[], order=DEFAULT_ORDER)

    assert (allocation.parts, allocation.unapplied) == ([], Decimal("10.00"))


def test_same_due_date_goes_by_number():
    day = datetime.date(2026, 2, 15)
    second, first = balance(2, day, 2, principal=Decimal("10.00")), balance(1, day, 1, principal=Decimal("10.00"))

    allocation = allocate(amount=Decimal("15.00"), installments=[second, first], order=DEFAULT_ORDER)

    assert allocation.parts == [
        AllocationPart(1, "principal", Decimal("10.00")),
        AllocationPart(2, "principal", Decimal("5.00")),
    ]


@pytest.mark.parametrize(
    "order",
    [
        ["penalty", "fee", "interest"],
        ["penalty", "fee", "interest", "principal", "principal"],
        ["penalty", "fee", "interest", "capital"],
        "penalty,fee,interest,principal",
        [],
    ],
)
def test_an_order_that_is_not_a_permutation_is_refused(order):
    with pytest.raises(AllocationError) as error:
        allocate(amount=Decimal("1.00"), installments=[], order=order)

    assert str(error.value).startswith(str(ALLOCATION_ORDER_INVALID).split("{")[0])


@pytest.mark.parametrize("amount", [Decimal("-1.00"), Decimal("1.001"), Decimal("NaN"), 1.5])
def test_a_bad_amount_is_refused(amount):
    with pytest.raises(AllocationError):
        allocate(amount=amount, installments=[], order=DEFAULT_ORDER)


# Often nothing owed: whole installments that owe nothing, and components that owe nothing.
sparse_cents = st.one_of(st.just(Decimal("0.00")), cents)


@given(
    schedule=schedules(remaining=sparse_cents),
    amounts=st.lists(sparse_cents, max_size=8),
    order=st.permutations(COMPONENTS),
)
def test_the_schedule_allocator_gives_what_allocate_gives_payment_after_payment(schedule, amounts, order):
    # The batch's fast path against the rule: allocate() over what the payments before left unpaid.
    allocator = ScheduleAllocator(installments=schedule, order=order)
    balances = {item.installment_id: item for item in schedule}

    for amount in amounts:
        expected = allocate(amount=amount, installments=list(balances.values()), order=order)

        assert allocator.allocate(amount) == expected
        touched = []
        for part in expected.parts:
            item = balances[part.installment_id]
            balances[part.installment_id] = dataclasses.replace(
                item, **{part.component: item.remaining(part.component) - part.amount}
            )
            if part.installment_id not in touched:
                touched.append(part.installment_id)
        assert allocator.paid_off == [
            installment_id for installment_id in touched if balances[installment_id].total == 0
        ]

    paid = dict(allocator.paid(COMPONENTS))
    for item in schedule:
        after = balances[item.installment_id]
        if after == item:
            assert item.installment_id not in paid
        else:
            assert paid[item.installment_id] == tuple(
                item.remaining(component) - after.remaining(component) for component in COMPONENTS
            )


def test_the_schedule_allocator_refuses_a_schedule_with_a_bad_remaining_amount():
    item = balance(7, datetime.date(2026, 2, 15), principal=Decimal("-1.00"))

    with pytest.raises(AllocationError, match="Installment 7"):
        ScheduleAllocator(installments=[item], order=DEFAULT_ORDER)
