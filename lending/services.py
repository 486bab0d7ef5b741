"""
Every write lending knows about payments: recording one, recording many at
once (the intake's fast path), and reversing one. Each runs in one
transaction with its audit event.

Locking: a payment locks the account's unpaid installments (ordered by id)
before it touches them, and changes the account's overpayment credit with a
relative UPDATE, so concurrent payments on one account queue up instead of
losing an update, and the nightly run (which updates installments, then
accounts) never deadlocks with them.

The derived delinquency figures on the account (days past due, bucket,
overdue amounts) are the nightly run's: a payment changes installments, and
the next run (or `run_nightly --date`) shows its effect on the account.
"""

import gc
import itertools
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import NamedTuple
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import IntegrityError, connection, transaction
from django.db.models import F
from django.db.models.functions import Round
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.services import audit_record
from lending.allocation import (
    ZERO,
    Allocation,
    InstallmentBalance,
    ScheduleAllocator,
    allocate,
    allocation_order_validate,
    is_positive_amount,
)
from lending.models import (
    PAID_FIELD,
    CreditAccount,
    CreditProduct,
    Installment,
    Payment,
    PaymentAllocation,
)

PAYMENT_CONFLICT = _("Payment {external_id} was already recorded with a different {field}.")
PAYMENT_EXTERNAL_ID_INVALID = _("A payment's external id must be 1 to 64 characters.")
PAYMENT_AMOUNT_INVALID = _("The amount must be more than 0.00, with at most two decimal places.")
PAYMENT_RECEIVED_AT_INVALID = _("The time received must be a date and time with its time zone.")
PAYMENT_CHANNEL_UNKNOWN = _("Unknown payment channel; use one of: {channels}.")
PAYMENT_ACCOUNT_UNKNOWN = _("No credit account has this external id.")
PAYMENT_ACCOUNT_CLOSED = _("The account is {status}: it takes no more payments.")
PAYMENT_DUPLICATE_IN_BATCH = _("This external id is already used by row {row_number} of the same batch.")
PAYMENT_ALREADY_REVERSED = _("This payment was already reversed.")
PAYMENT_REVERSAL_REASON_REQUIRED = _("Give a reason for the reversal (at most 200 characters).")
PAYMENT_CREDIT_USED = _(
    "The overpayment credit of this payment ({amount}) is no longer on the account; it cannot be reversed."
)

# Accounts that take no more payments: closed ones are settled, sold ones
# belong to the buyer. A charged-off account still takes recoveries.
STATUSES_REFUSING_PAYMENTS = frozenset({CreditAccount.Status.CLOSED, CreditAccount.Status.SOLD})
LENDER_TZ = ZoneInfo(settings.TIME_ZONE)
CHANNELS = frozenset(Payment.Channel.values)
CHUNK = 2000  # rows per query: under SQLite's 32,766 parameters, small enough for PostgreSQL's planner
# PostgreSQL: keys per `= ANY(%s)` query, one array parameter however many keys.
ARRAY_CHUNK = 50_000


class LendingError(Exception):
    """A rule of the lending app refused the change; the message is for the user."""

    def __init__(self, message, *, field: str = ""):
        super().__init__(str(message))
        self.field = field


# --- Shared validation -----------------------------------------------------------------


def _payment_fields_problems(*, external_id, amount, received_at, channel) -> list[tuple[str, str]]:
    """(field, message) for every field of a payment that breaks a rule."""
    problems = []
    if not isinstance(external_id, str) or not 0 < len(external_id.strip()) <= 64 or external_id != external_id.strip():
        problems.append(("external_id", str(PAYMENT_EXTERNAL_ID_INVALID)))
    if not is_positive_amount(amount):
        problems.append(("amount", str(PAYMENT_AMOUNT_INVALID)))
    if not isinstance(received_at, datetime) or timezone.is_naive(received_at):
        problems.append(("received_at", str(PAYMENT_RECEIVED_AT_INVALID)))
    if channel not in CHANNELS:
        problems.append(("channel", str(PAYMENT_CHANNEL_UNKNOWN).format(channels=", ".join(Payment.Channel.values))))
    return problems


def _account_problem(status: str) -> str | None:
    if status in STATUSES_REFUSING_PAYMENTS:
        return str(PAYMENT_ACCOUNT_CLOSED).format(status=CreditAccount.Status(status).label)
    return None


def _conflicting_field(existing: tuple, *, account_id, amount, received_at, channel) -> str | None:
    """
    The first field in which an already recorded payment, (account id,
    amount, received at, channel), differs from a new one with its external id.
    """
    recorded_account_id, recorded_amount, recorded_received_at, recorded_channel = existing
    if recorded_account_id != account_id:
        return "account"
    if recorded_amount != amount:
        return "amount"
    if recorded_received_at != received_at:
        return "received_at"
    if recorded_channel != channel:
        return "channel"
    return None


def lender_today() -> date:
    """Today in the lender's time zone: due dates and promises are the lender's dates, whatever zone a page is in."""
    return timezone.localdate(timezone=LENDER_TZ)


def local_date(moment: datetime) -> date:
    """The lender's calendar day of an instant (settings.TIME_ZONE), whatever zone the request runs in."""
    return moment.astimezone(LENDER_TZ).date()


def _balance(row) -> InstallmentBalance:
    """An InstallmentBalance from a values() row of an installment."""
    return InstallmentBalance(
        installment_id=row["id"],
        due_on=row["due_on"],
        number=row["number"],
        penalty=row["penalty_accrued"] - row["penalty_paid"],
        fee=row["fee_due"] - row["fee_paid"],
        interest=row["interest_due"] - row["interest_paid"],
        principal=row["principal_due"] - row["principal_paid"],
    )


INSTALLMENT_FIELDS = (
    "id",
    "account_id",
    "due_on",
    "number",
    "principal_due",
    "interest_due",
    "fee_due",
    "penalty_accrued",
    "principal_paid",
    "interest_paid",
    "fee_paid",
    "penalty_paid",
)


def _allocate_into(rows: dict[int, dict], *, amount, order, paid_on: date) -> tuple[list, Decimal, set[int]]:
    """
    Allocate one payment over the installment rows (values() dicts keyed by
    id, changed in place) and return its parts, the unapplied rest and the
    ids of the installments it touched.
    """
    balances = [_balance(row) for row in rows.values()]
    allocation = allocate(amount=amount, installments=[b for b in balances if b.total > 0], order=order)
    touched = set()
    for part in allocation.parts:
        row = rows[part.installment_id]
        row[PAID_FIELD[part.component]] += part.amount
        touched.add(part.installment_id)
        if _balance(row).total == 0:
            row["paid_off_on"] = paid_on
    return allocation.parts, allocation.unapplied, touched


@contextmanager
def collector_paused() -> Iterator[None]:
    """
    Pause Python's cyclic garbage collector for bulk work in memory.

    A batch of 100,000 payments keeps about a million small objects alive at
    once, and each time their number grows by a quarter the collector walks
    them all: measured, that cost more CPU time than the batch's own work.
    Reference counting still frees whatever is not in a cycle, and the
    collector runs as before once the work is done. The switch is
    process-wide: another thread's garbage cycles wait for the same seconds.
    """
    if not gc.isenabled():
        yield  # paused already, by an enclosing caller
        return
    gc.disable()
    try:
        yield
    finally:
        gc.enable()


# --- One payment -----------------------------------------------------------------------


def payment_record(
    *,
    account: CreditAccount,
    external_id: str,
    amount: Decimal,
    received_at: datetime,
    channel: str,
    import_batch=None,
) -> tuple[Payment, bool]:
    """
    Record a payment and allocate it, oldest installment first. Idempotent by
    external id: the same payment again returns the recorded one (created is
    False) and changes nothing; the same external id with other data is refused.
    """
    problems = _payment_fields_problems(
        external_id=external_id, amount=amount, received_at=received_at, channel=channel
    )
    if problems:
        field_name, message = problems[0]
        raise LendingError(message, field=field_name)
    with transaction.atomic():
        existing = _payment_existing(
            external_id, account_id=account.pk, amount=amount, received_at=received_at, channel=channel
        )
        if existing is not None:
            return existing, False
        problem = _account_problem(CreditAccount.objects.values_list("status", flat=True).get(pk=account.pk))
        if problem:
            raise LendingError(problem, field="account")
        try:
            with transaction.atomic():
                payment = Payment.objects.create(
                    external_id=external_id,
                    account=account,
                    amount=amount,
                    received_at=received_at,
                    channel=channel,
                    import_batch=import_batch,
                )
        except IntegrityError:
            # Another process recorded the same external id a moment ago.
            existing = _payment_existing(
                external_id, account_id=account.pk, amount=amount, received_at=received_at, channel=channel
            )
            if existing is None:
                raise
            return existing, False
        rows = {
            row["id"]: row
            for row in Installment.objects.select_for_update()
            .filter(account=account, paid_off_on__isnull=True)
            .order_by("id")
            .values(*INSTALLMENT_FIELDS)
        }
        for row in rows.values():
            row["paid_off_on"] = None
        order = allocation_order_validate(account.product.allocation_order)
        parts, unapplied, touched = _allocate_into(rows, amount=amount, order=order, paid_on=local_date(received_at))
        for installment_id in sorted(touched):
            row = rows[installment_id]
            Installment.objects.filter(pk=installment_id).update(
                **{name: row[name] for name in PAID_FIELD.values()}, paid_off_on=row["paid_off_on"]
            )
        PaymentAllocation.objects.bulk_create(
            PaymentAllocation(
                payment=payment, installment_id=part.installment_id, component=part.component, amount=part.amount
            )
            for part in parts
        )
        if unapplied:
            payment.unapplied_amount = unapplied
            payment.save(update_fields=["unapplied_amount"])
            CreditAccount.objects.filter(pk=account.pk).update(
                # Round: SQLite keeps decimals as floats, and a sum of floats drifts off the cent.
                credit_balance=Round(F("credit_balance") + unapplied, 2)
            )
        audit_record(
            action="lending.payment.recorded",
            target=payment,
            data={
                "account": account.external_id,
                "amount": str(amount),
                "channel": channel,
                "unapplied": str(unapplied),
                "import_batch": import_batch.pk if import_batch else None,
            },
        )
    return payment, True


def _payment_existing(external_id, *, account_id, amount, received_at, channel) -> Payment | None:
    existing = Payment.objects.filter(external_id=external_id).first()
    if existing is None:
        return None
    conflict = _conflicting_field(
        (existing.account_id, existing.amount, existing.received_at, existing.channel),
        account_id=account_id,
        amount=amount,
        received_at=received_at,
        channel=channel,
    )
    if conflict:
        raise LendingError(str(PAYMENT_CONFLICT).format(external_id=external_id, field=conflict), field=conflict)
    return existing


# --- Many payments (the intake's fast path) ------------------------------------------------


class PaymentRow(NamedTuple):
    """
    One payment as the intake parsed it; row_number is where it was in the
    file or call. (A named tuple: a file makes 100,000 of them, three times
    faster than a frozen dataclass.)
    """

    external_id: str
    account_external_id: str
    amount: Decimal
    received_at: datetime
    channel: str
    row_number: int


@dataclass(frozen=True, slots=True)
class PaymentRowError:
    row_number: int
    column: str
    value: str
    reason: str


@dataclass(slots=True)
class PaymentBatchResult:
    created: int = 0
    unchanged: int = 0
    errors: list[PaymentRowError] = field(default_factory=list)
    # False when nothing was written: a dry run, or errors without quarantine.
    applied: bool = False
    amount_created: Decimal = ZERO
    unapplied_created: Decimal = ZERO

    @property
    def error_rows(self) -> int:
        return len({error.row_number for error in self.errors})


def _chunks(items: Sequence, size: int = CHUNK) -> Iterable[Sequence]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def payments_record_batch(
    *,
    rows: Sequence[PaymentRow],
    import_batch=None,
    quarantine_bad_rows: bool = False,
    dry_run: bool = False,
) -> PaymentBatchResult:
    """
    Record many payments in one transaction, with the same rules as
    payment_record, in a few set-based queries.

    Every row is checked first. With any bad row and `quarantine_bad_rows`
    False, nothing is written and the result lists the errors (applied False):
    "reject the file, apply nothing". With `quarantine_bad_rows` True the good
    rows are applied and the bad ones only reported. `dry_run` checks and
    writes nothing either way. A payment already recorded with the same data
    counts as unchanged; with other data it is an error of that row.

    Payments of one account are allocated in the order they were received.
    A concurrent writer of the same external id makes the whole call fail
    with IntegrityError; calling again is safe.
    """
    result = PaymentBatchResult()
    errors = result.errors

    def reject(row, column, value, reason):
        errors.append(PaymentRowError(row.row_number, column, "" if value is None else str(value)[:300], reason))

    with collector_paused(), transaction.atomic():
        # 1. Each row on its own, and duplicates within the batch.
        candidates = []
        first_row_of = {}
        for row in rows:
            problems = _payment_fields_problems(
                external_id=row.external_id, amount=row.amount, received_at=row.received_at, channel=row.channel
            )
            for field_name, message in problems:
                reject(row, field_name, getattr(row, field_name), message)
            if problems:
                continue
            if row.external_id in first_row_of:
                reject(
                    row,
                    "external_id",
                    row.external_id,
                    str(PAYMENT_DUPLICATE_IN_BATCH).format(row_number=first_row_of[row.external_id]),
                )
                continue
            first_row_of[row.external_id] = row.row_number
            candidates.append(row)

        # 2. Accounts, and payments already recorded, looked up in bulk.
        accounts = _accounts_by_external_id(sorted({row.account_external_id for row in candidates}))
        existing = _payments_by_external_id([row.external_id for row in candidates])
        to_create = []
        for row in candidates:
            account = accounts.get(row.account_external_id)
            if account is None:
                reject(row, "account_external_id", row.account_external_id, str(PAYMENT_ACCOUNT_UNKNOWN))
                continue
            account_id, status, product_id = account
            recorded = existing.get(row.external_id)
            if recorded is not None:
                conflict = _conflicting_field(
                    recorded,
                    account_id=account_id,
                    amount=row.amount,
                    received_at=row.received_at,
                    channel=row.channel,
                )
                if conflict:
                    column = {"account": "account_external_id"}.get(conflict, conflict)
                    reason = str(PAYMENT_CONFLICT).format(external_id=row.external_id, field=conflict)
                    reject(row, column, getattr(row, column), reason)
                else:
                    result.unchanged += 1
                continue
            problem = _account_problem(status)
            if problem:
                reject(row, "account_external_id", row.account_external_id, problem)
                continue
            to_create.append((row, account_id, product_id))

        errors.sort(key=lambda error: (error.row_number, error.column))
        if dry_run or (errors and not quarantine_bad_rows):
            return result
        result.applied = True
        if not to_create:
            if result.unchanged or errors:
                _batch_audit(result, import_batch, total=len(rows))
            return result

        # 3. The unpaid installments of the accounts concerned, locked, and their products' allocation orders.
        schedules = _installments_locked(sorted({account_id for _row, account_id, _product_id in to_create}))
        orders = {
            product_id: allocation_order_validate(order)
            for product_id, order in CreditProduct.objects.filter(
                pk__in={product_id for _row, _account_id, product_id in to_create}
            ).values_list("id", "allocation_order")
        }
        # All payments in the order received (then of the rows): each account's
        # are then in its own order, and the new rows' ids follow that order,
        # which keeps the indexes' inserts mostly at their right-hand end.
        to_create.sort(key=lambda item: (item[0].received_at, item[0].row_number))

        # 4. Allocated in memory, each account's payments in the order received
        # one after another over its schedule, and written set-based without
        # model instances: COPY on PostgreSQL, multi-row INSERTs on SQLite.
        allocating = _BatchAllocation(schedules=schedules, orders=orders)
        if _postgresql():
            # The payments' ids are drawn first, so that the allocations are
            # sent as they are computed and the server stores them meanwhile.
            payment_ids = _ids_draw(Payment._meta.db_table, len(to_create))
            payment_line = _payment_line_maker(import_batch)
            payment_lines = []
            with _copy_lines(PaymentAllocation._meta.db_table, ALLOCATION_COLUMNS) as write:
                for payment_id, (row, account_id, product_id) in zip(payment_ids, to_create, strict=True):
                    allocation = allocating.allocate(row, account_id, product_id)
                    for part in allocation.parts:
                        # (A component is one of four known names: nothing to escape.)
                        write(f"{payment_id}\t{part.installment_id}\t{part.component}\t{part.amount!s}\n")
                    payment_lines.append(payment_line(payment_id, row, account_id, allocation.unapplied))
            with _copy_lines(Payment._meta.db_table, ("id", *PAYMENT_COLUMNS)) as write:
                for line in payment_lines:
                    write(line)
        else:
            allocations = [allocating.allocate(*item) for item in to_create]
            payment_row = _payment_row_maker(import_batch)
            payment_ids = _insert_rows(
                table=Payment._meta.db_table,
                columns=PAYMENT_COLUMNS,
                rows=[
                    payment_row(row, account_id, allocation.unapplied)
                    for (row, account_id, _product_id), allocation in zip(to_create, allocations, strict=True)
                ],
                returning=("external_id", "id"),
            )
            _insert_rows(
                table=PaymentAllocation._meta.db_table,
                columns=ALLOCATION_COLUMNS,
                rows=[
                    (payment_id, part.installment_id, part.component, part.amount)
                    for (row, _account_id, _product_id), allocation in zip(to_create, allocations, strict=True)
                    for payment_id in (payment_ids[row.external_id],)
                    for part in allocation.parts
                ],
            )
        _installments_add_paid(allocating.installments_paid())
        credits = allocating.credits
        result.created = len(to_create)
        result.amount_created = sum((row.amount for row, _account_id, _product_id in to_create), ZERO)
        result.unapplied_created = sum(credits.values(), ZERO)
        _accounts_add_credit(sorted(credits.items()))
        _batch_audit(result, import_batch, total=len(rows))
    return result


class _BatchAllocation:
    """A batch's payments allocated one after another, each over its account's schedule."""

    def __init__(self, *, schedules: dict[int, list[InstallmentBalance]], orders: dict[int, tuple[str, ...]]):
        self.schedules = schedules
        self.orders = orders
        self.allocators: dict[int, ScheduleAllocator] = {}
        self.paid_off_on: dict[int, date] = {}
        self.credits: dict[int, Decimal] = defaultdict(lambda: ZERO)

    def allocate(self, row: PaymentRow, account_id: int, product_id: int) -> Allocation:
        allocator = self.allocators.get(account_id)
        if allocator is None:
            allocator = self.allocators[account_id] = ScheduleAllocator(
                installments=self.schedules.get(account_id, ()), order=self.orders[product_id]
            )
        allocation = allocator.allocate(row.amount)
        if allocator.paid_off:
            paid_on = local_date(row.received_at)
            for installment_id in allocator.paid_off:
                self.paid_off_on[installment_id] = paid_on
        if allocation.unapplied:
            self.credits[account_id] += allocation.unapplied
        return allocation

    def installments_paid(self) -> list[tuple[int, tuple[Decimal, ...], date | None]]:
        """(id, what was paid per PAID_COLUMNS, paid off on or None) of every installment paid, by id."""
        paid_off_on = self.paid_off_on
        return sorted(
            (installment_id, paid, paid_off_on.get(installment_id))
            for allocator in self.allocators.values()
            for installment_id, paid in allocator.paid(PAID_COLUMNS)
        )


PAYMENT_COLUMNS = (
    "external_id",
    "account_id",
    "amount",
    "received_at",
    "channel",
    "status",
    "unapplied_amount",
    "reversal_reason",
    "import_batch_id",
    "recorded_at",
)
ALLOCATION_COLUMNS = ("payment_id", "installment_id", "component", "amount")


def _payment_row_maker(import_batch):
    """SQLite: a function that makes the PAYMENT_COLUMNS values of a new payment."""
    adapt_datetime = connection.ops.adapt_datetimefield_value
    recorded_at = adapt_datetime(timezone.now())
    batch_id = import_batch.pk if import_batch else None
    applied = Payment.Status.APPLIED.value

    def payment_row(row: PaymentRow, account_id: int, unapplied: Decimal) -> tuple:
        return (
            row.external_id,
            account_id,
            row.amount,
            adapt_datetime(row.received_at),
            row.channel,
            applied,
            unapplied,
            "",
            batch_id,
            recorded_at,
        )

    return payment_row


def _payment_line_maker(import_batch):
    """PostgreSQL: a function that makes the COPY line of a new payment, its id and PAYMENT_COLUMNS."""
    recorded_at = timezone.now().isoformat()
    batch_id = "\\N" if import_batch is None else import_batch.pk
    applied = Payment.Status.APPLIED.value

    def payment_line(payment_id: int, row: PaymentRow, account_id: int, unapplied: Decimal) -> str:
        # The channel is a known one and the reversal reason empty: only the external id may need escaping.
        return (
            f"{payment_id}\t{row.external_id.translate(COPY_ESCAPES)}\t{account_id}\t{row.amount!s}\t"
            f"{row.received_at.isoformat()}\t{row.channel}\t{applied}\t{unapplied!s}\t\t{batch_id}\t{recorded_at}\n"
        )

    return payment_line


# Bulk look-ups by key. PostgreSQL: a raw cursor with ONE array parameter per
# query (`= ANY(%s)`), rows as tuples, so that neither the ORM's preparation
# of thousands of parameters nor its row objects cost anything. SQLite: the
# ORM in chunks of IN (...), whose converters turn SQLite's numbers and text
# into Decimals and dates.


def _postgresql() -> bool:
    return connection.vendor == "postgresql"


def _select_any(sql: str, keys: Sequence) -> list[tuple]:
    """
    PostgreSQL: the rows of `sql`, whose one parameter is an array literal of
    the keys (cast in the query, `= ANY(%s::text[])`), fetched chunk by chunk.
    """
    found = []
    with connection.cursor() as cursor:
        for chunk in _chunks(keys, ARRAY_CHUNK):
            cursor.execute(sql, [_array_literal(chunk)])
            found += cursor.fetchall()
    return found


def _array_literal(keys: Iterable) -> str:
    """Strings or integers as the text of a PostgreSQL array: made here, far faster than psycopg's list adapter."""
    return "{" + ",".join(['"' + str(key).replace("\\", "\\\\").replace('"', '\\"') + '"' for key in keys]) + "}"


def _rows_by_external_id(model, columns: Sequence[str], keys: Sequence[str]) -> dict[str, tuple]:
    """The `columns` of the rows of `model` with these external ids, as tuples by external id."""
    if _postgresql():
        rows = _select_any(
            f"SELECT external_id, {', '.join(columns)} FROM {model._meta.db_table} "  # noqa: S608 (names are ours)
            "WHERE external_id = ANY(%s::text[])",
            keys,
        )
    else:
        rows = [
            row
            for chunk in _chunks(keys)
            for row in model.objects.filter(external_id__in=chunk).values_list("external_id", *columns)
        ]
    return {row[0]: row[1:] for row in rows}


def _accounts_by_external_id(keys: Sequence[str]) -> dict[str, tuple[int, str, int]]:
    """(id, status, product id) of the accounts with these external ids, by external id."""
    return _rows_by_external_id(CreditAccount, ("id", "status", "product_id"), keys)


def _payments_by_external_id(keys: Sequence[str]) -> dict[str, tuple]:
    """(account id, amount, received at, channel) of the payments recorded with these external ids, by external id."""
    return _rows_by_external_id(Payment, ("account_id", "amount", "received_at", "channel"), keys)


# What remains of each component, in InstallmentBalance's order: computed by PostgreSQL, or from the
# fields due and paid.
REMAINING_SQL = (
    "penalty_accrued - penalty_paid, fee_due - fee_paid, interest_due - interest_paid, principal_due - principal_paid"
)
REMAINING_FIELDS = (
    "penalty_accrued",
    "penalty_paid",
    "fee_due",
    "fee_paid",
    "interest_due",
    "interest_paid",
    "principal_due",
    "principal_paid",
)


def _installments_locked(account_ids: Sequence[int]) -> dict[int, list[InstallmentBalance]]:
    """The unpaid installments of these accounts, locked in the order of their ids, as balances by account id."""
    if _postgresql():
        rows = _select_any(
            f"SELECT id, account_id, due_on, number, {REMAINING_SQL} FROM {Installment._meta.db_table} "  # noqa: S608
            "WHERE account_id = ANY(%s::bigint[]) AND paid_off_on IS NULL ORDER BY id FOR UPDATE",
            account_ids,
        )
    else:
        rows = []
        for chunk in _chunks(account_ids):
            for row in (
                Installment.objects.select_for_update()
                .filter(account_id__in=chunk, paid_off_on__isnull=True)
                .order_by("id")
                .values_list("id", "account_id", "due_on", "number", *REMAINING_FIELDS)
            ):
                penalty, penalty_paid, fee, fee_paid, interest, interest_paid, principal, principal_paid = row[4:]
                rows.append(
                    (
                        *row[:4],
                        penalty - penalty_paid,
                        fee - fee_paid,
                        interest - interest_paid,
                        principal - principal_paid,
                    )
                )
    schedules = defaultdict(list)
    for id_, account_id, due_on, number, penalty, fee, interest, principal in rows:
        schedules[account_id].append(InstallmentBalance(id_, due_on, number, penalty, fee, interest, principal))
    return schedules


def _batch_audit(result: PaymentBatchResult, import_batch, *, total: int) -> None:
    audit_record(
        action="lending.payment.batch_recorded",
        target=import_batch,
        data={
            "rows": total,
            "created": result.created,
            "unchanged": result.unchanged,
            "bad_rows": result.error_rows,
            "amount": str(result.amount_created),
            "unapplied": str(result.unapplied_created),
        },
    )


def _insert_rows(*, table: str, columns: Sequence[str], rows: Sequence[tuple], returning=None) -> dict:
    """
    SQLite: INSERT many rows with one multi-row statement per chunk; with
    `returning` (key column, value column), the mapping of key to value of
    the new rows (RETURNING, SQLite 3.35+).
    """
    found = {}
    placeholder = "(" + ", ".join(["%s"] * len(columns)) + ")"
    tail = f" RETURNING {returning[0]}, {returning[1]}" if returning else ""
    with connection.cursor() as cursor:
        for chunk in _chunks(rows, max(1, 30000 // len(columns))):
            values = ", ".join([placeholder] * len(chunk))
            cursor.execute(
                f"INSERT INTO {table} ({', '.join(columns)}) VALUES {values}{tail}",  # noqa: S608 (names are ours)
                list(itertools.chain.from_iterable(chunk)),
            )
            if returning:
                found.update(cursor.fetchall())
    return found


# PostgreSQL: COPY, several times faster than INSERT for many rows. COPY
# returns nothing, so when the new rows' ids are wanted they are drawn from
# the table's sequence first and written with the rows.


def _ids_draw(table: str, count: int) -> list[int]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT nextval(pg_get_serial_sequence(%s, 'id')) FROM generate_series(1, %s)", [table, count])
        return [row[0] for row in cursor.fetchall()]


# COPY's text format: a line per row, tab-separated, NULL as \N, and these
# characters escaped in text.
COPY_ESCAPES = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"})
COPY_LINES_PER_WRITE = 2000


@contextmanager
def _copy_lines(table: str, columns: Sequence[str]) -> Iterator[Callable[[str], None]]:
    """
    A COPY into the table, fed with write(line): lines of COPY text are sent
    a few thousand at a time, and the server stores them while Python goes
    on. (Made by hand, for values whose types are known: twice as fast as
    psycopg's write_row.)
    """
    pending = []
    with connection.cursor() as cursor, cursor.cursor.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:

        def write(line: str) -> None:
            pending.append(line)
            if len(pending) >= COPY_LINES_PER_WRITE:
                copy.write("".join(pending))
                pending.clear()

        yield write
        if pending:
            copy.write("".join(pending))


# Set-based writes of many rows: one UPDATE ... FROM (VALUES ...) per chunk.
# SQLite (3.33+) and PostgreSQL both take it; only the casts differ (SQLite
# keeps dates as text and would turn CAST(... AS date) into a number).


def _cast(kind: str) -> str:
    if connection.vendor == "postgresql":
        return {"id": "CAST(%s AS bigint)", "money": "CAST(%s AS numeric(14, 2))", "date": "CAST(%s AS date)"}[kind]
    return "%s"


def _values_update(*, table: str, columns: Sequence[tuple[str, str]], rows: Sequence[tuple], assignments: str) -> None:
    if not rows:
        return
    names = ", ".join(name for name, _kind in columns)
    if connection.vendor == "postgresql":
        # COPY the new values into a temporary table, then one UPDATE ... FROM it.
        types = {"id": "bigint", "money": "numeric(14, 2)", "date": "date"}
        with connection.cursor() as cursor:
            cursor.execute("DROP TABLE IF EXISTS lending_values_update")
            cursor.execute(
                "CREATE TEMPORARY TABLE lending_values_update ("
                + ", ".join(f"{name} {types[kind]}" for name, kind in columns)
                + ") ON COMMIT DROP"
            )
        with _copy_lines("lending_values_update", [name for name, _kind in columns]) as write:
            for row in rows:
                # Ids, amounts and dates: their str() is their COPY text.
                write("\t".join(["\\N" if value is None else str(value) for value in row]) + "\n")
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE lending_values_update")
            cursor.execute(
                f"UPDATE {table} SET {assignments} FROM lending_values_update v WHERE {table}.id = v.id"  # noqa: S608
            )
        return
    placeholder = "(" + ", ".join(_cast(kind) for _name, kind in columns) + ")"
    size = max(1, 30000 // len(columns))
    with connection.cursor() as cursor:
        for chunk in _chunks(rows, size):
            values = ", ".join([placeholder] * len(chunk))
            sql = (
                f"WITH v({names}) AS (VALUES {values}) UPDATE {table} SET {assignments} FROM v WHERE {table}.id = v.id"  # noqa: S608 (names are ours)
            )
            cursor.execute(sql, list(itertools.chain.from_iterable(chunk)))


# The components in the order of their paid columns.
PAID_COLUMNS = tuple(str(component) for component in PAID_FIELD)


def _installments_add_paid(changes: Sequence[tuple[int, tuple[Decimal, ...], date | None]]) -> None:
    """
    Add to each installment what was paid of each component, and set the date
    it was paid off (None: it still owes); (id, paid per PAID_COLUMNS, paid
    off on). The rows are locked, so adding is the same as setting the sum.
    """
    paid_fields = [PAID_FIELD[component] for component in PAID_COLUMNS]
    table = Installment._meta.db_table
    _values_update(
        table=table,
        columns=[("id", "id"), *[(name, "money") for name in paid_fields], ("paid_off_on", "date")],
        rows=[(installment_id, *paid, paid_off) for installment_id, paid, paid_off in changes],
        # ROUND: SQLite keeps decimals as floats, and a sum of floats drifts off the cent.
        assignments=", ".join([f"{name} = ROUND({table}.{name} + v.{name}, 2)" for name in paid_fields])
        + ", paid_off_on = v.paid_off_on",
    )


def _accounts_add_credit(credits: Sequence[tuple[int, Decimal]]) -> None:
    _values_update(
        table=CreditAccount._meta.db_table,
        columns=[("id", "id"), ("credit", "money")],
        rows=credits,
        assignments="credit_balance = ROUND(credit_balance + v.credit, 2)",
    )


# --- Reversal --------------------------------------------------------------------------


def payment_reverse(*, payment: Payment, reason: str) -> Payment:
    """
    Undo exactly what the payment paid: every allocation is taken back from
    its installment and the overpayment credit from the account. The
    allocation rows stay as history. Reversing a reversed payment is refused.
    """
    reason = (reason or "").strip()
    if not reason or len(reason) > 200:
        raise LendingError(PAYMENT_REVERSAL_REASON_REQUIRED, field="reason")
    with transaction.atomic():
        locked = Payment.objects.select_for_update().select_related("account").get(pk=payment.pk)
        if locked.status == Payment.Status.REVERSED:
            raise LendingError(PAYMENT_ALREADY_REVERSED)
        allocations = list(locked.allocations.all())
        installments = {
            installment.pk: installment
            for installment in Installment.objects.select_for_update()
            .filter(pk__in={allocation.installment_id for allocation in allocations})
            .order_by("id")
        }
        for allocation in allocations:
            installment = installments[allocation.installment_id]
            name = PAID_FIELD[allocation.component]
            setattr(installment, name, getattr(installment, name) - allocation.amount)
        for installment in installments.values():
            if installment.total_remaining > 0:
                installment.paid_off_on = None
            installment.save(update_fields=[*PAID_FIELD.values(), "paid_off_on"])
        if locked.unapplied_amount:
            taken = CreditAccount.objects.filter(
                pk=locked.account_id, credit_balance__gte=locked.unapplied_amount
            ).update(credit_balance=Round(F("credit_balance") - locked.unapplied_amount, 2))
            if not taken:
                raise LendingError(str(PAYMENT_CREDIT_USED).format(amount=locked.unapplied_amount))
        locked.status = Payment.Status.REVERSED
        locked.reversed_at = timezone.now()
        locked.reversal_reason = reason
        locked.save(update_fields=["status", "reversed_at", "reversal_reason"])
        audit_record(
            action="lending.payment.reversed",
            target=locked,
            data={
                "account": locked.account.external_id,
                "amount": str(locked.amount),
                "unapplied": str(locked.unapplied_amount),
                "reason": reason,
            },
        )
    payment.status, payment.reversed_at, payment.reversal_reason = locked.status, locked.reversed_at, reason
    return payment
