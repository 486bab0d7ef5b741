"""
Where the demo portfolio meets the database: the raw SQL of seed_demo, in one
place, with per-vendor variants only where the SQL differs.

Rows go in with COPY on PostgreSQL and executemany on SQLite, with primary
keys assigned by the generator. Payments and allocations are then derived
set-based from the paid columns of each chunk's installments: one payment per
account and paid-off day, one allocation per paid component (on PostgreSQL in
one statement per chunk). A large load into an empty portfolio on PostgreSQL
sets the secondary indexes aside and builds them once the rows are in.
"""

import re

from django.core.management.color import no_style
from django.db import connection

from lending.models import (
    Borrower,
    ContactPoint,
    CoreSystemDelivery,
    CreditAccount,
    CreditLimitChange,
    CreditLineRestriction,
    CreditProduct,
    DelinquencySnapshot,
    Installment,
    Payment,
    PaymentAllocation,
)

# generator table name → (model, columns in the generator's row order)
TABLES = {
    "borrower": (
        Borrower,
        "id external_id name national_id date_of_birth employer monthly_income province city district language "
        "time_zone risk_grade credit_score is_deceased is_bankrupt is_vulnerable do_not_contact "
        "cease_contact_requested created_at updated_at",
    ),
    "contact_point": (
        ContactPoint,
        "id external_id borrower_id kind value owner third_party_name relation is_primary is_verified consent_sms "
        "consent_email consent_recorded_on do_not_contact number_e164",
    ),
    "account": (
        CreditAccount,
        "id external_id borrower_id product_id opened_on credit_limit available_credit status days_past_due bucket "
        "oldest_unpaid_due_on overdue_principal overdue_interest overdue_fees overdue_penalty outstanding_balance "
        "credit_balance",
    ),
    "limit_change": (CreditLimitChange, "id account_id changed_at previous_limit new_limit reason note actor_id"),
    "installment": (
        Installment,
        "id account_id number order_reference lent_on due_on principal_due interest_due fee_due penalty_accrued "
        "principal_paid interest_paid fee_paid penalty_paid late_fee_charged penalty_accrued_through paid_off_on",
    ),
}
# The order the chunk's lists are written in (parents first).
CHUNK_LISTS = (
    ("borrower", "borrowers"),
    ("contact_point", "contact_points"),
    ("account", "accounts"),
    ("limit_change", "limit_changes"),
    ("installment", "installments"),
)
# Everything --replace deletes, children first. Products, buckets, import
# history and the audit trail stay.
PORTFOLIO_MODELS = (
    CoreSystemDelivery,
    CreditLineRestriction,
    PaymentAllocation,
    Payment,
    DelinquencySnapshot,
    CreditLimitChange,
    Installment,
    CreditAccount,
    ContactPoint,
    Borrower,
)


def last_ids() -> dict:
    """The highest id in use per generator table: new rows start after it."""
    result = {}
    with connection.cursor() as cursor:
        for name, (model, _columns) in {
            **TABLES,
            "payment": (Payment, ""),
            "allocation": (PaymentAllocation, ""),
        }.items():
            cursor.execute(f"SELECT COALESCE(MAX(id), 0) FROM {model._meta.db_table}")  # noqa: S608
            result[name] = cursor.fetchone()[0]
    return result


def portfolio_delete() -> None:
    """Remove every borrower, account, schedule, payment and snapshot (not the audit trail)."""
    tables = [model._meta.db_table for model in PORTFOLIO_MODELS]
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # TRUNCATE is fast for millions of rows, but PostgreSQL refuses it
            # while a table outside the list has a foreign key to one in it,
            # even an empty table. Tables of later apps that point at the
            # portfolio (transitively) are truncated with it when they are
            # empty; when any holds rows, the portfolio is deleted row by row
            # and the database refuses what those rows still protect.
            others = _referencing_tables(cursor, tables)
            if not any(_has_rows(cursor, table) for table in others):
                cursor.execute(f"TRUNCATE {', '.join(tables + others)}")
                return
        for table in tables:
            cursor.execute(f"DELETE FROM {table}")  # noqa: S608


def _referencing_tables(cursor, tables: list) -> list:
    """The tables not in `tables` whose foreign keys point at them, directly or through one another."""
    found = set(tables)
    while True:
        cursor.execute(
            "SELECT DISTINCT c.conrelid::regclass::text FROM pg_constraint c "
            "WHERE c.contype = 'f' AND c.confrelid::regclass::text = ANY(%s) "
            "AND NOT (c.conrelid::regclass::text = ANY(%s))",
            [sorted(found), sorted(found)],
        )
        more = {row[0] for row in cursor.fetchall()}
        if not more:
            return sorted(found - set(tables))
        found |= more


def _has_rows(cursor, table: str) -> bool:
    cursor.execute(f"SELECT EXISTS (SELECT 1 FROM {table})")  # noqa: S608
    return cursor.fetchone()[0]


def chunk_write(chunk) -> None:
    """Insert the generated rows of one chunk, parents first."""
    with connection.cursor() as cursor:
        for table, attribute in CHUNK_LISTS:
            rows = getattr(chunk, attribute)
            if not rows:
                continue
            model, columns = TABLES[table]
            column_list = ", ".join(columns.split())
            if connection.vendor == "postgresql":
                raw = cursor.connection.cursor()
                with raw.copy(f"COPY {model._meta.db_table} ({column_list}) FROM STDIN") as copy:
                    write_row = copy.write_row
                    for row in rows:
                        write_row(row)
            else:
                placeholders = ", ".join(["%s"] * len(columns.split()))
                cursor.executemany(
                    f"INSERT INTO {model._meta.db_table} ({column_list}) VALUES ({placeholders})",  # noqa: S608
                    rows,
                )


# --- Payments, derived from the paid installments -------------------------------------------

# On PostgreSQL one statement per chunk does it all (data-modifying CTEs,
# no temporary table); SQLite, which has none, goes through a temporary
# table of the payment events. Both write the same rows.
#
# One payment per account and day something was paid off, numbered in
# (account, day) order. Every 97th is rounded up to the next 100 (an
# overpayment, credited to the account). Paid between 08:00 and 21:59 local
# time on the day; mostly in the app or by bank transfer, through an agency
# for some of those paid a month late. One allocation per paid component of
# each installment, numbered in (installment, component) order.

_DERIVE_POSTGRESQL = """
WITH paid AS MATERIALIZED (
    SELECT id, account_id, paid_off_on, due_on, principal_paid, interest_paid, fee_paid, penalty_paid,
           %(last_payment)s + DENSE_RANK() OVER (ORDER BY account_id, paid_off_on) AS payment_id
    FROM lending_installment
    WHERE account_id BETWEEN %(first)s AND %(last)s AND paid_off_on IS NOT NULL
),
summed AS (
    -- payment_id stands for (account_id, paid_off_on): grouping by it alone is cheaper.
    SELECT payment_id AS id, MIN(account_id) AS account_id, MIN(paid_off_on) AS paid_on,
           SUM(principal_paid + interest_paid + fee_paid + penalty_paid) AS amount,
           MAX(paid_off_on - due_on) AS days_late
    FROM paid
    GROUP BY payment_id
),
event AS MATERIALIZED (
    SELECT id, account_id, paid_on, amount, days_late,
           CASE WHEN id %% 97 = 0 THEN (FLOOR(amount / 100) + 1) * 100 - amount ELSE 0 END AS unapplied,
           (paid_on + make_interval(hours => CAST(8 + id %% 14 AS integer), mins => CAST(id * 37 %% 60 AS integer)))
               AT TIME ZONE %(time_zone)s AS received_at
    FROM summed
),
payments AS (
    INSERT INTO lending_payment (id, external_id, account_id, amount, received_at, channel, status,
                                 unapplied_amount, reversed_at, reversal_reason, import_batch_id, recorded_at)
    SELECT e.id, 'P' || substr(a.external_id, 2) || '-' || to_char(e.paid_on, 'YYYYMMDD'), e.account_id,
           ROUND(e.amount + e.unapplied, 2), e.received_at,
           CASE WHEN e.days_late > 30 AND e.id %% 3 = 0 THEN 'agency'
                WHEN e.id * 7 %% 100 < 62 THEN 'app'
                WHEN e.id * 7 %% 100 < 97 THEN 'bank_transfer'
                ELSE 'other' END,
           'applied', e.unapplied, NULL, '', NULL, e.received_at
    FROM event e JOIN lending_creditaccount a ON a.id = e.account_id
    WHERE a.id BETWEEN %(first)s AND %(last)s
    RETURNING 1
),
allocations AS (
    INSERT INTO lending_paymentallocation (id, payment_id, installment_id, component, amount)
    SELECT %(last_allocation)s + ROW_NUMBER() OVER (ORDER BY part.installment_id, part.ord), part.payment_id,
           part.installment_id, part.component, part.amount
    FROM (
        SELECT p.payment_id, p.id AS installment_id, c.component, c.ord,
               CASE c.ord WHEN 1 THEN p.penalty_paid WHEN 2 THEN p.fee_paid WHEN 3 THEN p.interest_paid
                          ELSE p.principal_paid END AS amount
        FROM paid p
        CROSS JOIN (VALUES ('penalty', 1), ('fee', 2), ('interest', 3), ('principal', 4)) AS c (component, ord)
    ) part
    WHERE part.amount > 0
    RETURNING 1
),
credit AS (
    UPDATE lending_creditaccount SET credit_balance = credit.total
    FROM (SELECT account_id, SUM(unapplied) AS total FROM event WHERE unapplied > 0 GROUP BY account_id) credit
    WHERE lending_creditaccount.id = credit.account_id
    RETURNING 1
)
SELECT (SELECT COUNT(*) FROM payments), (SELECT COUNT(*) FROM allocations), (SELECT COUNT(*) FROM credit)
"""

_EVENT_TABLE = "seed_demo_payment_event"

_EVENT_CREATE = f"""
CREATE TEMPORARY TABLE IF NOT EXISTS {_EVENT_TABLE} (
    id bigint PRIMARY KEY,
    account_id bigint NOT NULL,
    paid_on date NOT NULL,
    amount numeric(14, 2) NOT NULL,
    unapplied numeric(14, 2) NOT NULL,
    days_late integer NOT NULL
)
"""
_EVENT_INDEX = f"CREATE INDEX IF NOT EXISTS {_EVENT_TABLE}_account ON {_EVENT_TABLE} (account_id, paid_on)"

_EVENT_INSERT_SQLITE = f"""
INSERT INTO {_EVENT_TABLE} (id, account_id, paid_on, amount, unapplied, days_late)
SELECT id, account_id, paid_on, amount,
       CASE WHEN id %% 97 = 0 THEN ROUND((CAST(amount / 100 AS INTEGER) + 1) * 100 - amount, 2) ELSE 0 END,
       days_late
FROM (
    SELECT %s + ROW_NUMBER() OVER (ORDER BY account_id, paid_off_on) AS id, account_id, paid_off_on AS paid_on,
           ROUND(SUM(principal_paid + interest_paid + fee_paid + penalty_paid), 2) AS amount,
           MAX(CAST(julianday(paid_off_on) - julianday(due_on) AS INTEGER)) AS days_late
    FROM lending_installment
    WHERE account_id BETWEEN %s AND %s AND paid_off_on IS NOT NULL
    GROUP BY account_id, paid_off_on
) AS event
"""  # noqa: S608

_PAYMENT_INSERT_SQLITE = f"""
INSERT INTO lending_payment (id, external_id, account_id, amount, received_at, channel, status, unapplied_amount,
                             reversed_at, reversal_reason, import_batch_id, recorded_at)
SELECT e.id, 'P' || substr(a.external_id, 2) || '-' || replace(e.paid_on, '-', ''), e.account_id,
       ROUND(e.amount + e.unapplied, 2), e.received_at,
       CASE WHEN e.days_late > 30 AND e.id %% 3 = 0 THEN 'agency'
            WHEN e.id * 7 %% 100 < 62 THEN 'app'
            WHEN e.id * 7 %% 100 < 97 THEN 'bank_transfer'
            ELSE 'other' END,
       'applied', e.unapplied, NULL, '', NULL, e.received_at
FROM (
    SELECT *, strftime('%%Y-%%m-%%d %%H:%%M:%%S', paid_on,
                       printf('%%+d minutes', (8 + id %% 14 - %s) * 60 + id * 37 %% 60)) AS received_at
    FROM {_EVENT_TABLE}
) e JOIN lending_creditaccount a ON a.id = e.account_id
"""  # noqa: S608

_ALLOCATION_INSERT_SQLITE = f"""
INSERT INTO lending_paymentallocation (id, payment_id, installment_id, component, amount)
SELECT %s + ROW_NUMBER() OVER (ORDER BY part.installment_id, part.ord), part.payment_id, part.installment_id,
       part.component, part.amount
FROM (
    SELECT e.id AS payment_id, i.id AS installment_id, c.component, c.ord,
           CASE c.ord WHEN 1 THEN i.penalty_paid WHEN 2 THEN i.fee_paid WHEN 3 THEN i.interest_paid
                      ELSE i.principal_paid END AS amount
    FROM lending_installment i
    JOIN {_EVENT_TABLE} e ON e.account_id = i.account_id AND e.paid_on = i.paid_off_on
    CROSS JOIN (SELECT 'penalty' AS component, 1 AS ord UNION ALL SELECT 'fee', 2 UNION ALL
                SELECT 'interest', 3 UNION ALL SELECT 'principal', 4) c
    WHERE i.account_id BETWEEN %s AND %s AND i.paid_off_on IS NOT NULL
) part
WHERE part.amount > 0
"""  # noqa: S608

_CREDIT_BALANCE_UPDATE_SQLITE = f"""
UPDATE lending_creditaccount SET credit_balance = credit.total
FROM (SELECT account_id, SUM(unapplied) AS total FROM {_EVENT_TABLE} WHERE unapplied > 0 GROUP BY account_id) credit
WHERE lending_creditaccount.id = credit.account_id
"""  # noqa: S608


def payments_derive(*, first_account_id: int, last_account_id: int, ids: dict, time_zone: str, utc_offset_hours: int):
    """
    Write the payments and allocations of the accounts in the id range from
    their installments' paid columns. `ids` holds the last payment and
    allocation ids and is advanced. Returns (payments, allocations) written.
    """
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                _DERIVE_POSTGRESQL,
                {
                    "first": first_account_id,
                    "last": last_account_id,
                    "last_payment": ids["payment"],
                    "last_allocation": ids["allocation"],
                    "time_zone": time_zone,
                },
            )
            payments, allocations, _credited = cursor.fetchone()
        else:
            cursor.execute(_EVENT_CREATE)
            cursor.execute(_EVENT_INDEX)
            cursor.execute(f"DELETE FROM {_EVENT_TABLE}")  # noqa: S608
            cursor.execute(_EVENT_INSERT_SQLITE, [ids["payment"], first_account_id, last_account_id])
            payments = cursor.rowcount
            cursor.execute(_PAYMENT_INSERT_SQLITE, [utc_offset_hours])
            cursor.execute(_ALLOCATION_INSERT_SQLITE, [ids["allocation"], first_account_id, last_account_id])
            allocations = cursor.rowcount
            cursor.execute(_CREDIT_BALANCE_UPDATE_SQLITE)
    ids["payment"] += payments
    ids["allocation"] += allocations
    return payments, allocations


def finish() -> None:
    """Point the id sequences past the rows written and refresh the planner's statistics."""
    with connection.cursor() as cursor:
        cursor.execute(f"DROP TABLE IF EXISTS {_EVENT_TABLE}")
        if connection.vendor == "postgresql":
            for statement in connection.ops.sequence_reset_sql(no_style(), list(PORTFOLIO_MODELS)):
                cursor.execute(statement)


def bulk_mode_enter() -> bool:
    """
    On PostgreSQL, for this transaction: no flush wait at commit, room for
    the sorts, and — when we are allowed (a superuser) — no per-row
    foreign-key triggers, which at a million accounts would run some 30
    million one-row look-ups at commit. The keys are then checked set-based
    by foreign_keys_verify(). Returns whether the triggers are off.
    """
    if connection.vendor != "postgresql":
        return False
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL synchronous_commit = off")
        cursor.execute("SET LOCAL work_mem = '64MB'")
        cursor.execute("SELECT current_setting('is_superuser') = 'on'")
        if not cursor.fetchone()[0]:
            return False
        cursor.execute("SET LOCAL session_replication_role = replica")
    return True


class ForeignKeyBroken(Exception):
    pass


def foreign_keys_verify(*, after_ids: dict) -> None:
    """
    What the foreign-key triggers would have checked, one anti-join per key
    over the rows this load wrote (ids beyond `after_ids`, keyed by model).
    """
    with connection.cursor() as cursor:
        for model in PORTFOLIO_MODELS:
            if model not in after_ids:
                continue
            for field in model._meta.concrete_fields:
                if not field.is_relation:
                    continue
                parent = field.related_model._meta.db_table
                child = model._meta.db_table
                cursor.execute(
                    f"SELECT COUNT(*) FROM {child} c WHERE c.id > %s AND c.{field.column} IS NOT NULL "  # noqa: S608
                    f"AND NOT EXISTS (SELECT 1 FROM {parent} p WHERE p.id = c.{field.column})",
                    [after_ids[model]],
                )
                broken = cursor.fetchone()[0]
                if broken:
                    raise ForeignKeyBroken(f"{broken} rows of {child}.{field.column} point nowhere")


# --- Bulk loading into an empty portfolio ------------------------------------------------------
#
# As pg_restore does, a large load into empty tables on PostgreSQL drops the
# secondary indexes first and builds them once the rows are in: one CREATE
# INDEX over a filled table costs far less than keeping the index up row by
# row (most of these are in random order: names, national ids, phone
# numbers). Primary keys and unique constraints stay: they guard the load.
#
# The load commits chunk by chunk, so the drop is committed too. Whatever
# happens, the indexes come back: the caller rebuilds them in a `finally`,
# and the definitions are kept, in the transaction that drops them, in a
# small bookkeeping table, so that if the process dies before they are
# rebuilt the next seed_demo rebuilds them first (indexes_restore).

# The tables a large load fills.
BULK_MODELS = (Borrower, ContactPoint, CreditAccount, CreditLimitChange, Installment, Payment, PaymentAllocation)
_PENDING_TABLE = "seed_demo_pending_index"


def portfolio_is_empty() -> bool:
    return not any(model.objects.exists() for model in BULK_MODELS)


def secondary_indexes_drop() -> list:
    """
    Drop the indexes of the bulk tables that are not unique and back no
    constraint, keeping their definitions in the bookkeeping table, and
    return them as (name, definition). PostgreSQL only; inside a transaction.
    """
    if connection.vendor != "postgresql":
        return []
    tables = [model._meta.db_table for model in BULK_MODELS]
    with connection.cursor() as cursor:
        # pg_get_indexdef() gives all of an index's definition but its tablespace, added when not the default.
        cursor.execute(
            "SELECT x.indexrelid::regclass::text, pg_get_indexdef(x.indexrelid) || COALESCE("
            "    ' TABLESPACE ' || quote_ident((SELECT spcname FROM pg_tablespace WHERE oid = i.reltablespace)), '') "
            "FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid "
            "WHERE x.indrelid = ANY(%s::regclass[]) AND NOT x.indisunique AND NOT x.indisprimary "
            "AND NOT EXISTS (SELECT 1 FROM pg_constraint k WHERE k.conindid = x.indexrelid) "
            "ORDER BY x.indrelid::regclass::text, x.indexrelid::regclass::text",
            [tables],
        )
        indexes = cursor.fetchall()
        if not indexes:
            return []
        cursor.execute(f"CREATE TABLE IF NOT EXISTS {_PENDING_TABLE} (name text PRIMARY KEY, definition text NOT NULL)")
        cursor.executemany(
            f"INSERT INTO {_PENDING_TABLE} (name, definition) VALUES (%s, %s) ON CONFLICT (name) DO NOTHING",  # noqa: S608
            indexes,
        )
        for name, _definition in indexes:
            cursor.execute(f"DROP INDEX {name}")
    return indexes


def indexes_create(indexes: list, *, in_parallel: bool = False) -> None:
    """
    Create indexes from their (name, definition), with room to sort; inside
    a transaction. `in_parallel`: another session builds indexes at the same
    time, so this one does without parallel workers (on two cores they
    would only get in each other's way).
    """
    if not indexes:
        return
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL maintenance_work_mem = '512MB'")
        if in_parallel:
            cursor.execute("SET LOCAL max_parallel_maintenance_workers = 0")
        for _name, definition in indexes:
            cursor.execute(definition)


def indexes_by_size(indexes: list) -> list:
    """The indexes, those of the largest tables first: the order to build them in when sessions share the work."""
    sized = []
    with connection.cursor() as cursor:
        for name, definition in indexes:
            # pg_get_indexdef() names the table: "CREATE INDEX name ON public.table USING btree (...)".
            table = re.search(r" ON (?:ONLY )?(\S+) USING ", definition)[1]
            cursor.execute("SELECT pg_relation_size(%s::regclass)", [table])
            sized.append((-cursor.fetchone()[0], name, definition))
    return [(name, definition) for _size, name, definition in sorted(sized)]


def indexes_restore() -> int:
    """
    Create every index in the bookkeeping table that is not there, then
    drop the table; inside a transaction. Returns how many it created.
    """
    if connection.vendor != "postgresql":
        return 0
    with connection.cursor() as cursor:
        cursor.execute("SELECT to_regclass(%s) IS NOT NULL", [_PENDING_TABLE])
        if not cursor.fetchone()[0]:
            return 0
        cursor.execute(f"SELECT name, definition FROM {_PENDING_TABLE} ORDER BY name")  # noqa: S608
        missing = []
        for name, definition in cursor.fetchall():
            cursor.execute("SELECT to_regclass(%s) IS NULL", [name])
            if cursor.fetchone()[0]:
                missing.append((name, definition))
        indexes_create(missing)
        cursor.execute(f"DROP TABLE {_PENDING_TABLE}")
    return len(missing)


def analyze() -> None:
    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cursor:
        for model in (*PORTFOLIO_MODELS, CreditProduct):
            cursor.execute(f"ANALYZE {model._meta.db_table}")
