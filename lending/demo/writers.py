"""
Where the demo portfolio meets the database: the raw SQL of seed_demo, in one
place, with per-vendor variants only where the SQL differs.

Rows go in with COPY on PostgreSQL and executemany on SQLite, with primary
keys assigned by the generator. Payments and allocations are then derived
set-based from the paid columns of each chunk's installments: one payment per
account and paid-off day, one allocation per paid component.
"""

from django.core.management.color import no_style
from django.db import connection

from lending.models import (
    Borrower,
    ContactPoint,
    CreditAccount,
    CreditLimitChange,
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
        "consent_email consent_recorded_on do_not_contact",
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
            # Fast for millions of rows; refuses (rather than cascading) if a
            # table of a later app still points at these.
            cursor.execute(f"TRUNCATE {', '.join(tables)}")
        else:
            for table in tables:
                cursor.execute(f"DELETE FROM {table}")  # noqa: S608


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

# One payment event per account and day something was paid off. Every 97th
# is rounded up to the next 100 (an overpayment, credited to the account).
_EVENT_INSERT = {
    "postgresql": f"""
INSERT INTO {_EVENT_TABLE} (id, account_id, paid_on, amount, unapplied, days_late)
SELECT id, account_id, paid_on, amount,
       CASE WHEN id %% 97 = 0 THEN (FLOOR(amount / 100) + 1) * 100 - amount ELSE 0 END, days_late
FROM (
    SELECT %s + ROW_NUMBER() OVER (ORDER BY account_id, paid_off_on) AS id, account_id, paid_off_on AS paid_on,
           SUM(principal_paid + interest_paid + fee_paid + penalty_paid) AS amount,
           MAX(paid_off_on - due_on) AS days_late
    FROM lending_installment
    WHERE account_id BETWEEN %s AND %s AND paid_off_on IS NOT NULL
    GROUP BY account_id, paid_off_on
) AS event
""",  # noqa: S608
    "sqlite": f"""
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
""",  # noqa: S608
}

# Paid between 08:00 and 21:59 local time on the day; mostly in the app or
# by bank transfer, through an agency for some of those paid a month late.
_CHANNEL = """
CASE WHEN e.days_late > 30 AND e.id %% 3 = 0 THEN 'agency'
     WHEN e.id * 7 %% 100 < 62 THEN 'app'
     WHEN e.id * 7 %% 100 < 97 THEN 'bank_transfer'
     ELSE 'other' END
"""
_RECEIVED_AT = {
    "postgresql": "((e.paid_on + make_interval(hours => CAST(8 + e.id %% 14 AS integer), "
    "mins => CAST(e.id * 37 %% 60 AS integer))) AT TIME ZONE %s)",
    "sqlite": "strftime('%%Y-%%m-%%d %%H:%%M:%%S', e.paid_on, "
    "printf('%%+d minutes', (8 + e.id %% 14 - %s) * 60 + e.id * 37 %% 60))",
}
_PAY_DAY = {"postgresql": "to_char(e.paid_on, 'YYYYMMDD')", "sqlite": "replace(e.paid_on, '-', '')"}

_PAYMENT_INSERT = """
INSERT INTO lending_payment (id, external_id, account_id, amount, received_at, channel, status, unapplied_amount,
                             reversed_at, reversal_reason, import_batch_id, recorded_at)
SELECT e.id, 'P' || substr(a.external_id, 2) || '-' || {pay_day}, e.account_id, ROUND(e.amount + e.unapplied, 2),
       {received_at}, {channel}, 'applied', e.unapplied, NULL, '', NULL, {received_at}
FROM {events} e JOIN lending_creditaccount a ON a.id = e.account_id
"""

_ALLOCATION_INSERT = f"""
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

_CREDIT_BALANCE_UPDATE = f"""
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
    vendor = "postgresql" if connection.vendor == "postgresql" else "sqlite"
    with connection.cursor() as cursor:
        cursor.execute(_EVENT_CREATE)
        cursor.execute(_EVENT_INDEX)
        cursor.execute(f"DELETE FROM {_EVENT_TABLE}")  # noqa: S608
        cursor.execute(_EVENT_INSERT[vendor], [ids["payment"], first_account_id, last_account_id])
        payments = cursor.rowcount
        zone_param = time_zone if vendor == "postgresql" else utc_offset_hours
        sql = _PAYMENT_INSERT.format(
            pay_day=_PAY_DAY[vendor], received_at=_RECEIVED_AT[vendor], channel=_CHANNEL, events=_EVENT_TABLE
        )
        cursor.execute(sql, [zone_param, zone_param])
        cursor.execute(_ALLOCATION_INSERT, [ids["allocation"], first_account_id, last_account_id])
        allocations = cursor.rowcount
        cursor.execute(_CREDIT_BALANCE_UPDATE)
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


def analyze() -> None:
    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cursor:
        for model in (*PORTFOLIO_MODELS, CreditProduct):
            cursor.execute(f"ANALYZE {model._meta.db_table}")
