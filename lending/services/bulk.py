"""
The payment batch's bulk look-ups and set-based writes: accounts and
recorded payments by external id, the unpaid installments locked, and what
was paid added to installments and accounts, a few queries for a whole batch.

Look-ups: on PostgreSQL one array parameter per query (lending.sql.select_any);
on SQLite the ORM in chunks of IN (...), whose converters turn SQLite's
numbers and text into Decimals and dates.
"""

from collections import defaultdict
from collections.abc import Sequence
from datetime import date
from decimal import Decimal

from lending.allocation import InstallmentBalance
from lending.models import PAID_FIELD, CreditAccount, Installment, Payment
from lending.sql import chunks, is_postgresql, select_any, values_update


def rows_by_external_id(model, columns: Sequence[str], keys: Sequence[str]) -> dict[str, tuple]:
    """The `columns` of the rows of `model` with these external ids, as tuples by external id."""
    if is_postgresql():
        rows = select_any(
            f"SELECT external_id, {', '.join(columns)} FROM {model._meta.db_table} "  # noqa: S608 (names are ours)
            "WHERE external_id = ANY(%s::text[])",
            keys,
        )
    else:
        rows = [
            row
            for chunk in chunks(keys)
            for row in model.objects.filter(external_id__in=chunk).values_list("external_id", *columns)
        ]
    return {row[0]: row[1:] for row in rows}


def accounts_by_external_id(keys: Sequence[str]) -> dict[str, tuple[int, str, int]]:
    """(id, status, product id) of the accounts with these external ids, by external id."""
    return rows_by_external_id(CreditAccount, ("id", "status", "product_id"), keys)


def payments_by_external_id(keys: Sequence[str]) -> dict[str, tuple]:
    """(account id, amount, received at, channel) of the payments recorded with these external ids, by external id."""
    return rows_by_external_id(Payment, ("account_id", "amount", "received_at", "channel"), keys)


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


def installments_locked(account_ids: Sequence[int]) -> dict[int, list[InstallmentBalance]]:
    """The unpaid installments of these accounts, locked in the order of their ids, as balances by account id."""
    if is_postgresql():
        rows = select_any(
            f"SELECT id, account_id, due_on, number, {REMAINING_SQL} FROM {Installment._meta.db_table} "  # noqa: S608
            "WHERE account_id = ANY(%s::bigint[]) AND paid_off_on IS NULL ORDER BY id FOR UPDATE",
            account_ids,
        )
    else:
        rows = []
        for chunk in chunks(account_ids):
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


# The components in the order of their paid columns.
PAID_COLUMNS = tuple(str(component) for component in PAID_FIELD)


def installments_add_paid(changes: Sequence[tuple[int, tuple[Decimal, ...], date | None]]) -> None:
    """
    Add to each installment what was paid of each component, and set the date
    it was paid off (None: it still owes); (id, paid per PAID_COLUMNS, paid
    off on). The rows are locked, so adding is the same as setting the sum.
    """
    paid_fields = [PAID_FIELD[component] for component in PAID_COLUMNS]
    table = Installment._meta.db_table
    values_update(
        table=table,
        columns=[("id", "id"), *[(name, "money") for name in paid_fields], ("paid_off_on", "date")],
        rows=[(installment_id, *paid, paid_off) for installment_id, paid, paid_off in changes],
        # ROUND: SQLite keeps decimals as floats, and a sum of floats drifts off the cent.
        assignments=", ".join([f"{name} = ROUND({table}.{name} + v.{name}, 2)" for name in paid_fields])
        + ", paid_off_on = v.paid_off_on",
    )


def accounts_add_credit(credits: Sequence[tuple[int, Decimal]]) -> None:
    values_update(
        table=CreditAccount._meta.db_table,
        columns=[("id", "id"), ("credit", "money")],
        rows=credits,
        assignments="credit_balance = ROUND(credit_balance + v.credit, 2)",
    )
