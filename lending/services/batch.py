"""
Recording many payments at once (payments_record_batch, the intake's fast
path): the same rules as payment_record, checked row by row, then applied in
one transaction with a few set-based queries instead of a query per payment.

The rows' types (PaymentRow in, PaymentRowError and PaymentBatchResult out)
live here; the batch's bulk look-ups and writes are in bulk.py, the generic
SQL under them (COPY, multi-row INSERT) in lending/sql.py.
"""

import gc
from collections import defaultdict
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import NamedTuple

from django.db import connection, transaction
from django.utils import timezone

from accounts.services import audit_record
from lending.allocation import ZERO, Allocation, InstallmentBalance, ScheduleAllocator, allocation_order_validate
from lending.models import CreditProduct, Payment, PaymentAllocation
from lending.services.bulk import (
    PAID_COLUMNS,
    accounts_add_credit,
    accounts_by_external_id,
    installments_add_paid,
    installments_locked,
    payments_by_external_id,
)
from lending.services.calendar import local_date
from lending.services.errors import PAYMENT_ACCOUNT_UNKNOWN, PAYMENT_CONFLICT, PAYMENT_DUPLICATE_IN_BATCH
from lending.services.rules import account_problem, conflicting_field, payment_fields_problems
from lending.sql import COPY_ESCAPES, copy_lines, ids_draw, insert_rows, is_postgresql


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
    """Why one row of a batch was refused: its column, its value (cut to 300 characters) and the reason."""

    row_number: int
    column: str
    value: str
    reason: str


@dataclass(slots=True)
class PaymentBatchResult:
    """What a batch did: payments created and already recorded (unchanged), and the errors of bad rows."""

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
            problems = payment_fields_problems(
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
        accounts = accounts_by_external_id(sorted({row.account_external_id for row in candidates}))
        existing = payments_by_external_id([row.external_id for row in candidates])
        to_create = []
        for row in candidates:
            account = accounts.get(row.account_external_id)
            if account is None:
                reject(row, "account_external_id", row.account_external_id, str(PAYMENT_ACCOUNT_UNKNOWN))
                continue
            account_id, status, product_id = account
            recorded = existing.get(row.external_id)
            if recorded is not None:
                conflict = conflicting_field(
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
            problem = account_problem(status)
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
        schedules = installments_locked(sorted({account_id for _row, account_id, _product_id in to_create}))
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
        if is_postgresql():
            # The payments' ids are drawn first, so that the allocations are
            # sent as they are computed and the server stores them meanwhile.
            payment_ids = ids_draw(Payment._meta.db_table, len(to_create))
            payment_line = _payment_line_maker(import_batch)
            payment_lines = []
            with copy_lines(PaymentAllocation._meta.db_table, ALLOCATION_COLUMNS) as write:
                for payment_id, (row, account_id, product_id) in zip(payment_ids, to_create, strict=True):
                    allocation = allocating.allocate(row, account_id, product_id)
                    for part in allocation.parts:
                        # (A component is one of four known names: nothing to escape.)
                        write(f"{payment_id}\t{part.installment_id}\t{part.component}\t{part.amount!s}\n")
                    payment_lines.append(payment_line(payment_id, row, account_id, allocation.unapplied))
            with copy_lines(Payment._meta.db_table, ("id", *PAYMENT_COLUMNS)) as write:
                for line in payment_lines:
                    write(line)
        else:
            allocations = [allocating.allocate(*item) for item in to_create]
            payment_row = _payment_row_maker(import_batch)
            payment_ids = insert_rows(
                table=Payment._meta.db_table,
                columns=PAYMENT_COLUMNS,
                rows=[
                    payment_row(row, account_id, allocation.unapplied)
                    for (row, account_id, _product_id), allocation in zip(to_create, allocations, strict=True)
                ],
                returning=("external_id", "id"),
            )
            insert_rows(
                table=PaymentAllocation._meta.db_table,
                columns=ALLOCATION_COLUMNS,
                rows=[
                    (payment_id, part.installment_id, part.component, part.amount)
                    for (row, _account_id, _product_id), allocation in zip(to_create, allocations, strict=True)
                    for payment_id in (payment_ids[row.external_id],)
                    for part in allocation.parts
                ],
            )
        installments_add_paid(allocating.installments_paid())
        credits = allocating.credits
        result.created = len(to_create)
        result.amount_created = sum((row.amount for row, _account_id, _product_id in to_create), ZERO)
        result.unapplied_created = sum(credits.values(), ZERO)
        accounts_add_credit(sorted(credits.items()))
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
