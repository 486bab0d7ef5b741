"""
The rules of arrangements: who may grant what (approval limits), what the
case owes (its balance by account and component, from lending's
installments), and each kind's terms with their checks — the numbers
`collection/services/arrangements.py` proposes, decides and cancels with.
The policy itself is described at the top of that module.
"""

import datetime
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

from django.db.models import Case as SqlCase
from django.db.models import DecimalField, F, Sum, Value, When
from django.db.models.functions import Coalesce
from django.utils.translation import gettext_lazy as _

from accounts.roles import Role
from accounts.templatetags.arrears import money
from collection.errors import CollectionError
from collection.models import (
    Arrangement,
    Case,
)
from lending.models import Installment
from lending.services import lender_today

ZERO = Decimal("0.00")
CENT = Decimal("0.01")


# --- Policy ----------------------------------------------------------------------


@dataclass(frozen=True)
class ApprovalLimit:
    """What a role may grant on its own. `share_of_balance` None: no limit."""

    penalty_waivers: bool
    share_of_balance: Decimal | None


APPROVAL_LIMITS: dict[str, ApprovalLimit] = {
    Role.COLLECTOR: ApprovalLimit(penalty_waivers=True, share_of_balance=ZERO),
    Role.TEAM_LEAD: ApprovalLimit(penalty_waivers=True, share_of_balance=Decimal("0.20")),
    Role.MANAGER: ApprovalLimit(penalty_waivers=True, share_of_balance=None),
}

MAX_PLAN_INSTALLMENTS = 12
MAX_EXTENSION_DAYS = 90
MAX_DAYS_TO_PAY = 90  # a settlement's or a waiver's pay-by date

# --- Messages --------------------------------------------------------------------

CASE_CLOSED = _("The case is closed: it takes no arrangement.")
ALREADY_OPEN = _(
    "This case already has an arrangement that is active or waiting for approval; cancel it or wait for the decision."
)
NOTHING_OWED = _("Nothing is outstanding on the case's accounts.")
NOTHING_OVERDUE = _("Nothing is overdue on the case's accounts.")
KIND_UNKNOWN = _("Choose the kind of arrangement.")
PLAN_EMPTY = _("Give the plan at least one installment.")
PLAN_TOO_LONG = _("A plan has at most {count} installments.")
PLAN_AMOUNT_NOT_POSITIVE = _("Every installment must be more than 0.00, with at most two decimal places.")
PLAN_DATES_NOT_ASCENDING = _("Give the installments' dates in order, one installment a day at most.")
DATE_IN_PAST = _("The date cannot be before today.")
PLAN_BELOW_OVERDUE = _(
    "The plan pays {total}, less than the {overdue} overdue. "
    "To forgive part of the debt, propose a settlement or a waiver."
)
PLAN_ABOVE_BALANCE = _("The plan pays {total}, more than the {balance} outstanding.")
LUMP_SUM_INVALID = _("The lump sum must be more than 0.00 and at most the {balance} outstanding.")
PAY_BY_REQUIRED = _("Give the date by which the borrower pays.")
PAY_BY_TOO_FAR = _("The date can be at most {days} days from today.")
EXTENSION_DATE_INVALID = _("The new date must be after today and at most {days} days from today.")
WAIVER_NEGATIVE = _("An amount waived cannot be negative or have more than two decimal places.")
WAIVER_EMPTY = _("Waive some penalty, fees or interest.")
WAIVER_OVER_OUTSTANDING = _("Only {outstanding} of {component} is outstanding; the waiver cannot be more.")
WAIVER_LEAVES_NOTHING = _("After the waiver nothing would stay overdue to pay by the date.")
NOT_PENDING = _("This arrangement was already decided.")
NOT_OPEN = _("Only an arrangement that is active or waiting for approval can be cancelled.")
NOT_AN_APPROVER = _("Only a team lead or a manager decides arrangements.")
OWN_REQUEST = _("You cannot decide your own request; cancel it instead if it is no longer wanted.")
OVER_YOUR_LIMIT = _("This concession is over your approval limit; it stays in the queue for a manager.")
REJECTION_NEEDS_NOTE = _("Say why the request is rejected.")

COMPONENT_LABELS = {"penalty": _("penalty"), "fees": _("fees"), "interest": _("interest")}


# --- The balance -------------------------------------------------------------------


@dataclass(frozen=True)
class AccountBalance:
    """What is outstanding on one account of the case, and the part of it overdue."""

    account_id: int
    external_id: str
    currency: str
    daily_penalty_rate: Decimal
    principal: Decimal
    interest: Decimal
    fees: Decimal
    penalty: Decimal
    overdue_principal: Decimal
    overdue_interest: Decimal
    overdue_fees: Decimal
    overdue_penalty: Decimal

    @property
    def total(self) -> Decimal:
        return self.principal + self.interest + self.fees + self.penalty

    @property
    def overdue_total(self) -> Decimal:
        return self.overdue_principal + self.overdue_interest + self.overdue_fees + self.overdue_penalty


@dataclass(frozen=True)
class CaseBalance:
    """The accounts now in the case, and their sums (what `balance` means in the approval limits)."""

    currency: str
    accounts: tuple[AccountBalance, ...] = ()

    def _sum(self, name: str) -> Decimal:
        return sum((getattr(account, name) for account in self.accounts), ZERO)

    principal = property(lambda self: self._sum("principal"))
    interest = property(lambda self: self._sum("interest"))
    fees = property(lambda self: self._sum("fees"))
    penalty = property(lambda self: self._sum("penalty"))
    total = property(lambda self: self._sum("total"))
    overdue_principal = property(lambda self: self._sum("overdue_principal"))
    overdue_interest = property(lambda self: self._sum("overdue_interest"))
    overdue_fees = property(lambda self: self._sum("overdue_fees"))
    overdue_penalty = property(lambda self: self._sum("overdue_penalty"))
    overdue_total = property(lambda self: self._sum("overdue_total"))


def _remaining(due: str, paid: str, *, overdue_before: datetime.date | None = None):
    amount = F(due) - F(paid)
    if overdue_before is not None:
        amount = SqlCase(When(due_on__lt=overdue_before, then=amount), default=Value(ZERO))
    return Coalesce(
        Sum(amount, output_field=DecimalField(max_digits=14, decimal_places=2)),
        Value(ZERO),
        output_field=DecimalField(max_digits=14, decimal_places=2),
    )


def case_balance(case: Case, *, today: datetime.date | None = None) -> CaseBalance:
    """The case's balance, broken down by account and component, in one query over lending's installments."""
    today = today or lender_today()
    columns = {
        "principal": ("principal_due", "principal_paid"),
        "interest": ("interest_due", "interest_paid"),
        "fees": ("fee_due", "fee_paid"),
        "penalty": ("penalty_accrued", "penalty_paid"),
    }
    annotations = {}
    for name, (due, paid) in columns.items():
        annotations[name] = _remaining(due, paid)
        annotations[f"overdue_{name}"] = _remaining(due, paid, overdue_before=today)
    rows = (
        Installment.objects.filter(
            account__case_memberships__case=case,
            account__case_memberships__left_on__isnull=True,
            paid_off_on__isnull=True,
        )
        .values(
            "account_id",
            "account__external_id",
            "account__product__currency",
            "account__product__daily_penalty_rate",
        )
        .annotate(**annotations)
        .order_by("account__external_id")
    )
    accounts = tuple(
        AccountBalance(
            account_id=row["account_id"],
            external_id=row["account__external_id"],
            currency=row["account__product__currency"],
            daily_penalty_rate=row["account__product__daily_penalty_rate"],
            **{name: Decimal(row[name]).quantize(CENT) for name in annotations},
        )
        for row in rows
    )
    return CaseBalance(currency=case.currency, accounts=accounts)


# --- Approval limits ---------------------------------------------------------------


def within_limit(user, *, concession: Decimal, waived_penalty: Decimal, balance: Decimal) -> bool:
    """Whether `user` may grant this concession on their own (see APPROVAL_LIMITS)."""
    if concession <= ZERO:
        return True
    limit = APPROVAL_LIMITS.get(getattr(user, "role", ""))
    if limit is None:
        return False
    if limit.penalty_waivers and concession == waived_penalty:
        return True
    if limit.share_of_balance is None:
        return True
    return concession <= (balance * limit.share_of_balance).quantize(CENT, rounding=ROUND_HALF_UP)


def arrangement_within_limit(user, arrangement: Arrangement) -> bool:
    return within_limit(
        user,
        concession=arrangement.concession,
        waived_penalty=arrangement.waived_penalty,
        balance=arrangement.balance_at_start,
    )


def concession_share(arrangement: Arrangement) -> Decimal | None:
    """The concession as a share of the balance when proposed (0.15 = 15%), or None without a balance."""
    if arrangement.balance_at_start <= ZERO:
        return None
    return arrangement.concession / arrangement.balance_at_start


# --- The terms of each kind ----------------------------------------------------------


@dataclass
class _Terms:
    total_to_pay: Decimal
    concession: Decimal = ZERO
    waived_penalty: Decimal = ZERO
    waived_fees: Decimal = ZERO
    waived_interest: Decimal = ZERO
    installments: list[tuple[datetime.date, Decimal]] = field(default_factory=list)


def _money(value, message, field_name: str) -> Decimal:
    try:
        amount = Decimal(value)
    except (TypeError, ArithmeticError, ValueError):
        raise CollectionError(message, field=field_name) from None
    if not amount.is_finite() or amount != amount.quantize(CENT):
        raise CollectionError(message, field=field_name)
    return amount.quantize(CENT)


def _pay_by_check(pay_by, today, field_name="pay_by") -> datetime.date:
    if pay_by is None:
        raise CollectionError(PAY_BY_REQUIRED, field=field_name)
    if pay_by < today:
        raise CollectionError(DATE_IN_PAST, field=field_name)
    if pay_by > today + datetime.timedelta(days=MAX_DAYS_TO_PAY):
        raise CollectionError(str(PAY_BY_TOO_FAR).format(days=MAX_DAYS_TO_PAY), field=field_name)
    return pay_by


def plan_terms(balance: CaseBalance, today, *, schedule) -> _Terms:
    rows = [(due_on, _money(amount, PLAN_AMOUNT_NOT_POSITIVE, "schedule")) for due_on, amount in schedule or ()]
    if not rows:
        raise CollectionError(PLAN_EMPTY, field="schedule")
    if len(rows) > MAX_PLAN_INSTALLMENTS:
        raise CollectionError(str(PLAN_TOO_LONG).format(count=MAX_PLAN_INSTALLMENTS), field="schedule")
    if any(amount <= ZERO for _day, amount in rows):
        raise CollectionError(PLAN_AMOUNT_NOT_POSITIVE, field="schedule")
    days = [due_on for due_on, _amount in rows]
    if days[0] < today:
        raise CollectionError(DATE_IN_PAST, field="schedule")
    if any(later <= earlier for earlier, later in zip(days, days[1:], strict=False)):
        raise CollectionError(PLAN_DATES_NOT_ASCENDING, field="schedule")
    total = sum((amount for _day, amount in rows), ZERO)
    if total < balance.overdue_total:
        raise CollectionError(
            str(PLAN_BELOW_OVERDUE).format(
                total=money(total, balance.currency), overdue=money(balance.overdue_total, balance.currency)
            ),
            field="schedule",
        )
    if total > balance.total:
        raise CollectionError(
            str(PLAN_ABOVE_BALANCE).format(
                total=money(total, balance.currency), balance=money(balance.total, balance.currency)
            ),
            field="schedule",
        )
    return _Terms(total_to_pay=total, installments=rows)


def settlement_terms(balance: CaseBalance, today, *, lump_sum, pay_by) -> _Terms:
    message = str(LUMP_SUM_INVALID).format(balance=money(balance.total, balance.currency))
    lump_sum = _money(lump_sum, message, "lump_sum")
    if lump_sum <= ZERO or lump_sum > balance.total:
        raise CollectionError(message, field="lump_sum")
    pay_by = _pay_by_check(pay_by, today)
    return _Terms(total_to_pay=lump_sum, concession=balance.total - lump_sum, installments=[(pay_by, lump_sum)])


def extension_penalty(balance: CaseBalance, *, days: int) -> Decimal:
    """The penalty that would accrue on the overdue principal over `days` days (the extension's concession)."""
    return sum(
        (
            (account.overdue_principal * account.daily_penalty_rate * days).quantize(CENT, rounding=ROUND_HALF_UP)
            for account in balance.accounts
        ),
        ZERO,
    )


def extension_terms(balance: CaseBalance, today, *, new_due_on) -> _Terms:
    if balance.overdue_total <= ZERO:
        raise CollectionError(NOTHING_OVERDUE)
    latest = today + datetime.timedelta(days=MAX_EXTENSION_DAYS)
    if new_due_on is None or not (today < new_due_on <= latest):
        raise CollectionError(str(EXTENSION_DATE_INVALID).format(days=MAX_EXTENSION_DAYS), field="new_due_on")
    penalty = extension_penalty(balance, days=(new_due_on - today).days)
    return _Terms(
        total_to_pay=balance.overdue_total,
        concession=penalty,
        waived_penalty=penalty,
        installments=[(new_due_on, balance.overdue_total)],
    )


def waiver_terms(balance: CaseBalance, today, *, waive_penalty, waive_fees, waive_interest, pay_by) -> _Terms:
    waived = {}
    for component, value in (("penalty", waive_penalty), ("fees", waive_fees), ("interest", waive_interest)):
        amount = _money(value if value not in (None, "") else ZERO, WAIVER_NEGATIVE, f"waive_{component}")
        if amount < ZERO:
            raise CollectionError(WAIVER_NEGATIVE, field=f"waive_{component}")
        outstanding = getattr(balance, component)
        if amount > outstanding:
            raise CollectionError(
                str(WAIVER_OVER_OUTSTANDING).format(
                    outstanding=money(outstanding, balance.currency), component=COMPONENT_LABELS[component]
                ),
                field=f"waive_{component}",
            )
        waived[component] = amount
    concession = sum(waived.values(), ZERO)
    if concession <= ZERO:
        raise CollectionError(WAIVER_EMPTY, field="waive_penalty")
    pay_by = _pay_by_check(pay_by, today)
    # What stays overdue once the waived amounts are taken off the overdue ones.
    to_pay = balance.overdue_total - sum(
        (min(amount, getattr(balance, f"overdue_{component}")) for component, amount in waived.items()), ZERO
    )
    if to_pay <= ZERO:
        raise CollectionError(WAIVER_LEAVES_NOTHING)
    return _Terms(
        total_to_pay=to_pay,
        concession=concession,
        waived_penalty=waived["penalty"],
        waived_fees=waived["fees"],
        waived_interest=waived["interest"],
        installments=[(pay_by, to_pay)],
    )


# --- Services ------------------------------------------------------------------------
