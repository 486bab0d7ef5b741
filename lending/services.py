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

import itertools
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import IntegrityError, connection, transaction
from django.db.models import F
from django.db.models.functions import Round
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.services import audit_record
from lending.allocation import CENT, ZERO, InstallmentBalance, allocate, allocation_order_validate
from lending.models import PAID_FIELD, Component, CreditAccount, Installment, Payment, PaymentAllocation

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
    if (
        not isinstance(amount, Decimal)
        or not amount.is_finite()
        or amount <= 0
        or amount != amount.quantize(CENT)
        or amount >= Decimal("1e12")
    ):
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


def _conflicting_field(existing: dict, *, account_id, amount, received_at, channel) -> str | None:
    """The first field in which an already recorded payment differs from a new one with its external id."""
    if existing["account_id"] != account_id:
        return "account"
    if existing["amount"] != amount:
        return "amount"
    if existing["received_at"] != received_at:
        return "received_at"
    if existing["channel"] != channel:
        return "channel"
    return None


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
        {
            "account_id": existing.account_id,
            "amount": existing.amount,
            "received_at": existing.received_at,
            "channel": existing.channel,
        },
        account_id=account_id,
        amount=amount,
        received_at=received_at,
        channel=channel,
    )
    if conflict:
        raise LendingError(str(PAYMENT_CONFLICT).format(external_id=external_id, field=conflict), field=conflict)
    return existing


# --- Many payments (the intake's fast path) ------------------------------------------------


@dataclass(frozen=True, slots=True)
class PaymentRow:
    """One payment as the intake parsed it; row_number is where it was in the file or call."""

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

    with transaction.atomic():
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
        account_keys = sorted({row.account_external_id for row in candidates})
        accounts = {}
        for chunk in _chunks(account_keys):
            for account in CreditAccount.objects.filter(external_id__in=chunk).values(
                "id", "external_id", "status", "product__allocation_order"
            ):
                accounts[account["external_id"]] = account
        payment_keys = [row.external_id for row in candidates]
        existing = {}
        for chunk in _chunks(payment_keys):
            for payment in Payment.objects.filter(external_id__in=chunk).values(
                "external_id", "account_id", "amount", "received_at", "channel"
            ):
                existing[payment["external_id"]] = payment

        to_create = []
        for row in candidates:
            account = accounts.get(row.account_external_id)
            if account is None:
                reject(row, "account_external_id", row.account_external_id, str(PAYMENT_ACCOUNT_UNKNOWN))
                continue
            recorded = existing.get(row.external_id)
            if recorded is not None:
                conflict = _conflicting_field(
                    recorded,
                    account_id=account["id"],
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
            problem = _account_problem(account["status"])
            if problem:
                reject(row, "account_external_id", row.account_external_id, problem)
                continue
            to_create.append((row, account))

        errors.sort(key=lambda error: (error.row_number, error.column))
        if dry_run or (errors and not quarantine_bad_rows):
            return result
        result.applied = True
        if not to_create:
            if result.unchanged or errors:
                _batch_audit(result, import_batch, total=len(rows))
            return result

        # 3. The unpaid installments of the accounts concerned, locked, then allocated in memory.
        account_ids = sorted({account["id"] for _, account in to_create})
        installments_of = defaultdict(dict)
        for chunk in _chunks(account_ids):
            for row in (
                Installment.objects.select_for_update()
                .filter(account_id__in=chunk, paid_off_on__isnull=True)
                .order_by("id")
                .values(*INSTALLMENT_FIELDS)
            ):
                row["paid_off_on"] = None
                installments_of[row["account_id"]][row["id"]] = row
        to_create.sort(key=lambda item: (item[1]["id"], item[0].received_at, item[0].row_number))
        orders = {}
        payments, parts_of_payment, touched, credits = [], [], set(), defaultdict(lambda: ZERO)
        for row, account in to_create:
            order_key = tuple(account["product__allocation_order"] or ())
            if order_key not in orders:
                orders[order_key] = allocation_order_validate(account["product__allocation_order"])
            parts, unapplied, touched_now = _allocate_into(
                installments_of[account["id"]],
                amount=row.amount,
                order=orders[order_key],
                paid_on=local_date(row.received_at),
            )
            touched |= touched_now
            if unapplied:
                credits[account["id"]] += unapplied
            payments.append((row, account["id"], unapplied))
            parts_of_payment.append(parts)
            result.created += 1
            result.amount_created += row.amount
            result.unapplied_created += unapplied

        # 4. Set-based writes, without model instances: COPY on PostgreSQL, multi-row INSERTs on SQLite.
        recorded_at = connection.ops.adapt_datetimefield_value(timezone.now())
        batch_id = import_batch.pk if import_batch else None
        payment_ids = _insert_rows(
            table=Payment._meta.db_table,
            columns=(
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
            ),
            rows=[
                (
                    row.external_id,
                    account_id,
                    row.amount,
                    connection.ops.adapt_datetimefield_value(row.received_at),
                    row.channel,
                    Payment.Status.APPLIED.value,
                    unapplied,
                    "",
                    batch_id,
                    recorded_at,
                )
                for row, account_id, unapplied in payments
            ],
            returning=("external_id", "id"),
        )
        _insert_rows(
            table=PaymentAllocation._meta.db_table,
            columns=("payment_id", "installment_id", "component", "amount"),
            rows=[
                (payment_ids[row.external_id], part.installment_id, part.component, part.amount)
                for (row, _account_id, _unapplied), parts in zip(payments, parts_of_payment, strict=True)
                for part in parts
            ],
        )
        installment_rows = {row["id"]: row for rows_ in installments_of.values() for row in rows_.values()}
        _installments_write_paid([installment_rows[installment_id] for installment_id in sorted(touched)])
        _accounts_add_credit(sorted(credits.items()))
        _batch_audit(result, import_batch, total=len(rows))
    return result


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
    INSERT many rows with one multi-row statement per chunk; with `returning`
    (key column, value column), the mapping of key to value of the new rows
    (RETURNING: PostgreSQL, SQLite 3.35+).
    """
    if connection.vendor == "postgresql":
        return _copy_rows(table=table, columns=columns, rows=rows, returning=returning)
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


def _copy_rows(*, table: str, columns: Sequence[str], rows: Sequence[tuple], returning=None) -> dict:
    """
    PostgreSQL: COPY, several times faster than INSERT for many rows. COPY
    returns nothing, so when ids are wanted they are drawn from the table's
    sequence first and written with the rows.
    """
    found = {}
    with connection.cursor() as cursor:
        if returning:
            assert returning[1] == "id", "COPY can only return the ids it was given"
            cursor.execute(
                "SELECT nextval(pg_get_serial_sequence(%s, 'id')) FROM generate_series(1, %s)", [table, len(rows)]
            )
            ids = [row[0] for row in cursor.fetchall()]
            key = columns.index(returning[0])
            found = {row[key]: id_ for row, id_ in zip(rows, ids, strict=True)}
            columns, rows = ("id", *columns), [(id_, *row) for id_, row in zip(ids, rows, strict=True)]
        with cursor.cursor.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)
    return found


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
            with cursor.cursor.copy(f"COPY lending_values_update ({names}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
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


def _installments_write_paid(rows: Sequence[dict]) -> None:
    paid_fields = [PAID_FIELD[component] for component in Component]
    _values_update(
        table=Installment._meta.db_table,
        columns=[("id", "id"), *[(name, "money") for name in paid_fields], ("paid_off_on", "date")],
        rows=[(row["id"], *[row[name] for name in paid_fields], row["paid_off_on"]) for row in rows],
        assignments=", ".join(f"{name} = v.{name}" for name in [*paid_fields, "paid_off_on"]),
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
