"""
How a payment is split over an account's installments: a pure function, no
database, so that the single-payment service, the batch intake and the tests
share one rule.

The rule: the oldest installment first (by due date, then number); within an
installment, its components in the product's allocation order (penalty → fee →
interest → principal by default). What no installment needs is `unapplied`:
an overpayment credit, never a negative due.
"""

import itertools
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from operator import attrgetter

from django.utils.translation import gettext_lazy as _

from lending.models import Component

ZERO = Decimal("0.00")
CENT = Decimal("0.01")
COMPONENTS = frozenset(str(component) for component in Component)
VALID_ORDERS = frozenset(itertools.permutations(sorted(COMPONENTS)))

ALLOCATION_ORDER_INVALID = _(
    "The allocation order must name each of penalty, fee, interest and principal exactly once; got {order}."
)
ALLOCATION_AMOUNT_INVALID = _("A payment amount must be a Decimal of at least 0.00 with at most two decimal places.")
ALLOCATION_REMAINING_INVALID = _("Installment {installment_id} has a negative or non-cent remaining {component}.")


class AllocationError(ValueError):
    """The inputs of an allocation break its rules (a programming or configuration error)."""


@dataclass(frozen=True, slots=True)
class InstallmentBalance:
    """What remains to be paid of one installment, per component."""

    installment_id: int
    due_on: date
    number: int
    penalty: Decimal = ZERO
    fee: Decimal = ZERO
    interest: Decimal = ZERO
    principal: Decimal = ZERO

    def remaining(self, component: str) -> Decimal:
        return getattr(self, component)

    @property
    def total(self) -> Decimal:
        return self.penalty + self.fee + self.interest + self.principal


@dataclass(frozen=True, slots=True)
class AllocationPart:
    installment_id: int
    component: str
    amount: Decimal


@dataclass(slots=True)
class Allocation:
    parts: list[AllocationPart] = field(default_factory=list)
    unapplied: Decimal = ZERO

    @property
    def applied(self) -> Decimal:
        return sum((part.amount for part in self.parts), ZERO)


def allocation_order_validate(order: Sequence[str]) -> tuple[str, ...]:
    """The order as a tuple of component names, or AllocationError if it is not a permutation of the four."""
    if type(order) is tuple and order in VALID_ORDERS:
        return order  # validated already: a batch validates it once per account
    names = tuple(str(name) for name in order) if not isinstance(order, str) else ()
    if len(names) != len(COMPONENTS) or set(names) != COMPONENTS:
        raise AllocationError(str(ALLOCATION_ORDER_INVALID).format(order=list(order) if order else order))
    return names


# The order installments are paid in: the oldest first (by due date, then number).
OLDEST_FIRST = attrgetter("due_on", "number", "installment_id")


def _is_cents(value) -> bool:
    return isinstance(value, Decimal) and value.is_finite() and value == value.quantize(CENT)


# Amounts are stored with 14 digits, 2 of them cents.
AMOUNT_LIMIT = Decimal("1e12")


def is_positive_amount(value) -> bool:
    """A Decimal amount of money as payments and promises take it: more than zero, whole cents, storable."""
    return _is_cents(value) and ZERO < value < AMOUNT_LIMIT


def allocate(*, amount: Decimal, installments: Sequence[InstallmentBalance], order: Sequence[str]) -> Allocation:
    """
    Split `amount` over `installments` (in any order given; sorted oldest first
    here) and return the parts and what is left over. Exact to the cent:
    sum(parts) + unapplied == amount, and no part exceeds what remains.
    """
    components = allocation_order_validate(order)
    if not _is_cents(amount) or amount < 0:
        raise AllocationError(str(ALLOCATION_AMOUNT_INVALID))
    left = amount
    parts = []
    for installment in sorted(installments, key=OLDEST_FIRST):
        if left <= 0:
            break
        for component in components:
            remaining = installment.remaining(component)
            if not _is_cents(remaining) or remaining < 0:
                raise AllocationError(
                    str(ALLOCATION_REMAINING_INVALID).format(
                        installment_id=installment.installment_id, component=component
                    )
                )
            if remaining == 0:
                continue
            paid = min(left, remaining)
            parts.append(AllocationPart(installment.installment_id, component, paid))
            left -= paid
            if left == 0:
                break
    return Allocation(parts=parts, unapplied=left)


class ScheduleAllocator:
    """
    One account's installments, paid by one payment after another: the rule
    of allocate(), kept for a batch with many payments per account.

    `allocate(amount)` returns exactly what allocate() returns for what the
    payments before it left unpaid (tests/lending/test_allocation.py proves
    it), but the schedule is sorted and its cents checked once, here, and
    each payment walks on from the first installment not yet paid off. A
    schedule with a bad remaining amount is refused when it is given, where
    allocate() refuses it only once a payment reaches the bad amount.

    After each allocation, `paid_off` holds the ids of the installments that
    it paid off (those it paid something of and that now owe nothing);
    `paid()` tells what the allocations so far paid of each installment.
    """

    __slots__ = ("components", "paid_off", "_schedule", "_first_open")

    def __init__(self, *, installments: Sequence[InstallmentBalance], order: Sequence[str]):
        self.components = allocation_order_validate(order)
        self.paid_off: list[int] = []
        remaining_of = attrgetter(*self.components)
        # (installment id, what remains of each component in the order, what remained at first), oldest first.
        self._schedule: list[tuple[int, list[Decimal], tuple[Decimal, ...]]] = []
        for installment in sorted(installments, key=OLDEST_FIRST):
            remaining = remaining_of(installment)
            for position, value in enumerate(remaining):
                if not _is_cents(value) or value < 0:
                    raise AllocationError(
                        str(ALLOCATION_REMAINING_INVALID).format(
                            installment_id=installment.installment_id, component=self.components[position]
                        )
                    )
            self._schedule.append((installment.installment_id, list(remaining), remaining))
        self._first_open = 0

    def allocate(self, amount: Decimal) -> Allocation:
        if not _is_cents(amount) or amount < 0:
            raise AllocationError(str(ALLOCATION_AMOUNT_INVALID))
        components = self.components
        schedule = self._schedule
        parts = []
        paid_off = self.paid_off = []
        left = amount
        index = self._first_open
        while left and index < len(schedule):
            installment_id, remaining, _first = schedule[index]
            touched = False
            for position, owed in enumerate(remaining):
                if not owed:
                    continue
                paid = owed if owed < left else left  # min(left, owed), as allocate() takes it
                remaining[position] = owed - paid
                parts.append(AllocationPart(installment_id, components[position], paid))
                touched = True
                left -= paid
                if not left:
                    break
            if any(remaining):
                break  # the payment ran out within this installment
            if touched:
                paid_off.append(installment_id)
            index += 1
        self._first_open = index
        return Allocation(parts=parts, unapplied=left)

    def paid(self, components: Sequence[str]) -> list[tuple[int, tuple[Decimal, ...]]]:
        """
        (installment id, what the allocations so far paid of each of `components`)
        for every installment they paid something of.
        """
        positions = [self.components.index(component) for component in components]
        return [
            (installment_id, tuple([first[position] - remaining[position] for position in positions]))
            for installment_id, remaining, first in self._schedule[: self._first_open + 1]
            if tuple(remaining) != first
        ]
