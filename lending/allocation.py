"""
How a payment is split over an account's installments: a pure function, no
database, so that the single-payment service, the batch intake and the tests
share one rule.

The rule: the oldest installment first (by due date, then number); within an
installment, its components in the product's allocation order (penalty → fee →
interest → principal by default). What no installment needs is `unapplied`:
an overpayment credit, never a negative due.
"""

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from django.utils.translation import gettext_lazy as _

from lending.models import Component

ZERO = Decimal("0.00")
CENT = Decimal("0.01")
COMPONENTS = frozenset(str(component) for component in Component)

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
    names = tuple(str(name) for name in order) if not isinstance(order, str) else ()
    if len(names) != len(COMPONENTS) or set(names) != COMPONENTS:
        raise AllocationError(str(ALLOCATION_ORDER_INVALID).format(order=list(order) if order else order))
    return names


def _is_cents(value) -> bool:
    return isinstance(value, Decimal) and value.is_finite() and value == value.quantize(CENT)


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
    for installment in sorted(
        installments, key=lambda balance: (balance.due_on, balance.number, balance.installment_id)
    ):
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
