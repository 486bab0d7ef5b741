"""
Arrangements: the deals a collector makes with a borrower, and who may grant them.

Four kinds, each recorded as an Arrangement with its installments (the dates
and amounts the borrower now owes under the deal):

- **repayment plan**: a new schedule of (date, amount) rows. It must pay at
  least what is overdue and at most the outstanding balance, so it concedes
  nothing (concession 0); to forgive part of the debt, propose a settlement or
  a waiver.
- **settlement**: a discounted lump sum by a date; it settles the whole
  outstanding balance, so the concession is the balance less the lump sum.
- **due-date extension**: a new date for the overdue amount (one installment).
  The lender gives up the penalty that would accrue on the overdue principal
  until then, so that estimate (daily penalty rate × overdue principal × days,
  per account) is the concession, counted as penalty waived.
- **fee or penalty waiver**: amounts of penalty, fees and interest waived, each
  no more than is outstanding on the case's accounts (concession = their sum),
  on condition that what stays overdue after the waiver is paid by a date (one
  installment).

"The balance" is what is outstanding on the accounts now in the case, read
from lending's installments (principal, interest, fees and penalty not yet
paid); the overdue amount is the part of it due before today.

Approval limits (APPROVAL_LIMITS, by role, measured against the concession):
a collector may concede penalty only (penalty waivers and extensions), a team
lead additionally any concession up to 20% of the balance, a manager any
concession. Within the proposer's limit an arrangement is active at once;
over it, it waits in the approval queue for someone whose limit covers it.
Roles not in the table (administrators, legal officers, field agents) grant
nothing.

A case has at most one open arrangement (waiting for approval or active): a
second proposal is refused until the first is decided, cancelled or ended
(a database constraint backs the rule).

Lending stays read-only to collection: an arrangement records the deal, it does
not change lending's installments. Pushing waivers and new schedules to the
core system is a later issue. The nightly lifecycle tracks the installments
created here (status `due`) as paid or missed, and breaks or completes the
arrangement.
"""

import datetime
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

from django.db import IntegrityError, transaction
from django.db.models import Case as SqlCase
from django.db.models import DecimalField, F, Sum, Value, When
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.formats import number_format
from django.utils.translation import gettext_lazy as _

from accounts.permissions import Capability, user_can
from accounts.roles import Role
from accounts.services import audit_record
from collection import events
from collection.errors import CollectionError
from collection.models import (
    Arrangement,
    ArrangementInstallment,
    ArrangementKind,
    ArrangementStatus,
    Case,
    CaseStatus,
)
from collection.services.cases import case_status_refresh
from collection.services.timeline import event_record
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


def _fmt(amount: Decimal, currency: str) -> str:
    return f"{number_format(amount, decimal_pos=2, use_l10n=True, force_grouping=True)} {currency}"


def _pay_by_check(pay_by, today, field_name="pay_by") -> datetime.date:
    if pay_by is None:
        raise CollectionError(PAY_BY_REQUIRED, field=field_name)
    if pay_by < today:
        raise CollectionError(DATE_IN_PAST, field=field_name)
    if pay_by > today + datetime.timedelta(days=MAX_DAYS_TO_PAY):
        raise CollectionError(str(PAY_BY_TOO_FAR).format(days=MAX_DAYS_TO_PAY), field=field_name)
    return pay_by


def _plan_terms(balance: CaseBalance, today, *, schedule) -> _Terms:
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
                total=_fmt(total, balance.currency), overdue=_fmt(balance.overdue_total, balance.currency)
            ),
            field="schedule",
        )
    if total > balance.total:
        raise CollectionError(
            str(PLAN_ABOVE_BALANCE).format(
                total=_fmt(total, balance.currency), balance=_fmt(balance.total, balance.currency)
            ),
            field="schedule",
        )
    return _Terms(total_to_pay=total, installments=rows)


def _settlement_terms(balance: CaseBalance, today, *, lump_sum, pay_by) -> _Terms:
    message = str(LUMP_SUM_INVALID).format(balance=_fmt(balance.total, balance.currency))
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


def _extension_terms(balance: CaseBalance, today, *, new_due_on) -> _Terms:
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


def _waiver_terms(balance: CaseBalance, today, *, waive_penalty, waive_fees, waive_interest, pay_by) -> _Terms:
    waived = {}
    for component, value in (("penalty", waive_penalty), ("fees", waive_fees), ("interest", waive_interest)):
        amount = _money(value if value not in (None, "") else ZERO, WAIVER_NEGATIVE, f"waive_{component}")
        if amount < ZERO:
            raise CollectionError(WAIVER_NEGATIVE, field=f"waive_{component}")
        outstanding = getattr(balance, component)
        if amount > outstanding:
            raise CollectionError(
                str(WAIVER_OVER_OUTSTANDING).format(
                    outstanding=_fmt(outstanding, balance.currency), component=COMPONENT_LABELS[component]
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


def _event(
    arrangement: Arrangement,
    action: str,
    *,
    actor,
    notes: str = "",
    installments: int | None = None,
    dates_moved_days: int = 0,
):
    facts = events.arrangement_changed(
        arrangement, action, installments=installments, dates_moved_days=dates_moved_days
    )
    event_record(case=arrangement.case, facts=facts, actor=actor, notes=notes)
    audit_record(action=f"collection.arrangement.{action}", target=arrangement, actor=actor, data=facts.data)


def _lock_case(case: Case) -> Case:
    """Lock the case row so that two proposals on one case queue up (the constraint is the backstop)."""
    return Case.objects.select_for_update().get(pk=case.pk)


@transaction.atomic
def arrangement_propose(
    *,
    case: Case,
    kind: str,
    actor,
    schedule: Iterable[tuple[datetime.date, Decimal]] | None = None,
    lump_sum: Decimal | None = None,
    pay_by: datetime.date | None = None,
    new_due_on: datetime.date | None = None,
    waive_penalty: Decimal | None = None,
    waive_fees: Decimal | None = None,
    waive_interest: Decimal | None = None,
    notes: str = "",
) -> Arrangement:
    """
    Propose an arrangement of `kind` on the case: active at once within the
    actor's approval limit, else waiting for approval. The keyword arguments
    each kind reads: repayment plan — `schedule` [(due_on, amount), ...];
    settlement — `lump_sum`, `pay_by`; extension — `new_due_on`; waiver —
    `waive_penalty`, `waive_fees`, `waive_interest`, `pay_by`.
    """
    if kind not in ArrangementKind.values:
        raise CollectionError(KIND_UNKNOWN, field="kind")
    case = _lock_case(case)
    if case.status == CaseStatus.CLOSED:
        raise CollectionError(CASE_CLOSED)
    if case.arrangements.filter(status__in=[ArrangementStatus.PENDING_APPROVAL, ArrangementStatus.ACTIVE]).exists():
        raise CollectionError(ALREADY_OPEN)
    today = lender_today()
    balance = case_balance(case, today=today)
    if balance.total <= ZERO:
        raise CollectionError(NOTHING_OWED)
    if kind == ArrangementKind.REPAYMENT_PLAN:
        terms = _plan_terms(balance, today, schedule=list(schedule or ()))
    elif kind == ArrangementKind.SETTLEMENT:
        terms = _settlement_terms(balance, today, lump_sum=lump_sum, pay_by=pay_by)
    elif kind == ArrangementKind.EXTENSION:
        terms = _extension_terms(balance, today, new_due_on=new_due_on)
    else:
        terms = _waiver_terms(
            balance,
            today,
            waive_penalty=waive_penalty,
            waive_fees=waive_fees,
            waive_interest=waive_interest,
            pay_by=pay_by,
        )
    now = timezone.now()
    active = within_limit(
        actor, concession=terms.concession, waived_penalty=terms.waived_penalty, balance=balance.total
    )
    arrangement = Arrangement(
        case=case,
        kind=kind,
        status=ArrangementStatus.ACTIVE if active else ArrangementStatus.PENDING_APPROVAL,
        currency=case.currency,
        balance_at_start=balance.total,
        total_to_pay=terms.total_to_pay,
        concession=terms.concession,
        waived_penalty=terms.waived_penalty,
        waived_fees=terms.waived_fees,
        waived_interest=terms.waived_interest,
        notes=notes.strip(),
        requested_at=now,
        requested_by=actor,
        decided_at=now if active else None,
        decided_by=actor if active else None,
    )
    try:
        with transaction.atomic():
            arrangement.save()
    except IntegrityError:
        raise CollectionError(ALREADY_OPEN) from None
    ArrangementInstallment.objects.bulk_create(
        ArrangementInstallment(arrangement=arrangement, number=number, due_on=due_on, amount=amount)
        for number, (due_on, amount) in enumerate(terms.installments, start=1)
    )
    _event(arrangement, "proposed", actor=actor, notes=arrangement.notes, installments=len(terms.installments))
    if active:
        case_status_refresh(case=case, actor=actor)
    return arrangement


def _lock_arrangement(arrangement: Arrangement) -> Arrangement:
    return Arrangement.objects.select_for_update().select_related("case").get(pk=arrangement.pk)


def arrangement_dates_shift(arrangement: Arrangement, *, today: datetime.date | None = None) -> int:
    """
    How many days an approval today moves the arrangement's dates on: 0 while
    its first date is still to come; else enough for the first to fall today,
    the others keeping their spacing (the approver sees the new dates first).
    """
    today = today or lender_today()
    installments = sorted(arrangement.installments.all(), key=lambda installment: installment.number)  # prefetched
    return max((today - installments[0].due_on).days, 0) if installments else 0


def arrangement_dates_if_approved(arrangement: Arrangement, *, today: datetime.date | None = None) -> list:
    """The (number, due date) pairs the arrangement would have if approved today."""
    shift = datetime.timedelta(days=arrangement_dates_shift(arrangement, today=today))
    installments = sorted(arrangement.installments.all(), key=lambda installment: installment.number)
    return [(installment.number, installment.due_on + shift) for installment in installments]


@transaction.atomic
def arrangement_decide(*, arrangement: Arrangement, approve: bool, actor, note: str = "") -> Arrangement:
    """
    Approve or reject an arrangement waiting for approval. The approver's own
    limit must cover the concession (a team lead's request over theirs stays for
    a manager); a rejection says why. Nobody decides their own request. A
    request whose first date has passed while it waited is approved with its
    dates moved on (arrangement_dates_shift), never into the past.
    """
    arrangement = _lock_arrangement(arrangement)
    note = (note or "").strip()
    if arrangement.status != ArrangementStatus.PENDING_APPROVAL:
        raise CollectionError(NOT_PENDING)
    shift = 0
    if not user_can(actor, Capability.APPROVE_ARRANGEMENTS):
        raise CollectionError(NOT_AN_APPROVER)
    if arrangement.requested_by_id == actor.pk:
        raise CollectionError(OWN_REQUEST)
    if approve:
        if arrangement.case.status == CaseStatus.CLOSED:
            raise CollectionError(CASE_CLOSED)
        if not arrangement_within_limit(actor, arrangement):
            raise CollectionError(OVER_YOUR_LIMIT)
        shift = arrangement_dates_shift(arrangement)
        if shift:
            for installment in arrangement.installments.all():
                installment.due_on += datetime.timedelta(days=shift)
                installment.save(update_fields=["due_on"])
    elif not note:
        raise CollectionError(REJECTION_NEEDS_NOTE, field="note")
    arrangement.status = ArrangementStatus.ACTIVE if approve else ArrangementStatus.REJECTED
    arrangement.decided_at = timezone.now()
    arrangement.decided_by = actor
    arrangement.decision_note = note[:300]
    arrangement.save(update_fields=["status", "decided_at", "decided_by", "decision_note"])
    _event(arrangement, "approved" if approve else "rejected", actor=actor, notes=note, dates_moved_days=shift)
    if approve:
        case_status_refresh(case=arrangement.case, actor=actor)
    return arrangement


@transaction.atomic
def arrangement_cancel(*, arrangement: Arrangement, actor, note: str = "") -> Arrangement:
    """Withdraw a request waiting for approval, or end an active arrangement (the borrower wants a new deal)."""
    arrangement = _lock_arrangement(arrangement)
    if arrangement.status not in (ArrangementStatus.PENDING_APPROVAL, ArrangementStatus.ACTIVE):
        raise CollectionError(NOT_OPEN)
    was_active = arrangement.status == ArrangementStatus.ACTIVE
    arrangement.status = ArrangementStatus.CANCELLED
    arrangement.ended_on = lender_today()
    note = (note or "").strip()
    if note:
        arrangement.decision_note = note[:300]
    arrangement.save(update_fields=["status", "ended_on", "decision_note"])
    _event(arrangement, "cancelled", actor=actor, notes=note)
    if was_active:
        case_status_refresh(case=arrangement.case, actor=actor)
    return arrangement
