"""
The nightly delinquency run: accrue penalty and late fees within the cap,
recompute every account's days past due, overdue amounts and bucket, and
write the day's snapshots. Set-based: a handful of SQL statements over all
rows, in one transaction, never a Python loop over accounts.

This module holds all of lending's raw SQL for the run. The statements are
written once; the few spots where PostgreSQL and SQLite (3.40, the demo)
really differ — date arithmetic, GREATEST/LEAST, rounding of SQLite's
floating decimals, data-modifying CTEs — come from `Dialect`
(lending/sql.py, shared with collection's lifecycle).

Every step is idempotent: run the same date twice and the second run writes
nothing (no accrual, no account row, no snapshot row). Accrual never goes
backwards: replaying an earlier date accrues nothing already accrued. The
account figures and the snapshots are recomputed for the date run, from the
installments as they are now, so replay missed nights in date order.

Accounts by status: every account is refreshed and snapshotted whatever its
status (a charged-off or sold account's arrears are still reported).
Penalty and late fees stop for charged-off and sold accounts: their
installments' `penalty_accrued_through` still moves on, so those days are
never charged later.
"""

import logging
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal

from django.db import connection, transaction
from django.utils.translation import gettext_lazy as _

from lending.models import Bucket, CreditAccount, CreditProduct, DelinquencyRun, DelinquencySnapshot, Installment
from lending.services import LendingError
from lending.sql import Dialect, advisory_xact_lock_try, is_postgresql, settings_set_local

logger = logging.getLogger("lending.delinquency")

BUCKETS_INVALID = _(
    "The buckets must cover every day past due from 0 up, without gaps or overlaps, and the last one must be "
    "open-ended; fix them in the admin."
)
NIGHTLY_ALREADY_RUNNING = _("Another nightly run is in progress; try again when it has finished.")

# Statuses whose installments no longer accrue penalty or late fees.
STATUSES_WITHOUT_ACCRUAL = (CreditAccount.Status.CHARGED_OFF, CreditAccount.Status.SOLD)
# PostgreSQL's work_mem during the run (SET LOCAL: this transaction only).
NIGHTLY_WORK_MEM = "256MB"
# pg_try_advisory_xact_lock key: "nightly" in ASCII.
ADVISORY_LOCK_KEY = 0x6E696768746C79
ZERO = Decimal("0.00")
CENT = Decimal("0.01")


@dataclass
class NightlyReport:
    as_of: date
    installments_accrued: int = 0
    accounts_refreshed: int = 0
    snapshots_written: int = 0
    is_month_end: bool = False
    # (old bucket, new bucket) -> accounts that moved so.
    moves: dict[tuple[str, str], int] = field(default_factory=dict)
    seconds: dict[str, float] = field(default_factory=dict)

    @property
    def moved_in(self) -> dict[str, int]:
        counts = Counter()
        for (_old, new), count in self.moves.items():
            counts[new] += count
        return dict(counts)

    @property
    def moved_out(self) -> dict[str, int]:
        counts = Counter()
        for (old, _new), count in self.moves.items():
            counts[old] += count
        return dict(counts)

    def as_dict(self) -> dict:
        return {
            "as_of": self.as_of.isoformat(),
            "installments_accrued": self.installments_accrued,
            "accounts_refreshed": self.accounts_refreshed,
            "snapshots_written": self.snapshots_written,
            "is_month_end": self.is_month_end,
            "moved_in": self.moved_in,
            "moved_out": self.moved_out,
            "seconds": self.seconds,
        }

    def lines(self) -> list[str]:
        lines = [
            f"Nightly run for {self.as_of.isoformat()}{' (month end)' if self.is_month_end else ''}:",
            f"  installments accrued: {self.installments_accrued}",
            f"  accounts refreshed:   {self.accounts_refreshed}",
            f"  snapshots written:    {self.snapshots_written}",
        ]
        moved_in, moved_out = self.moved_in, self.moved_out
        for code in sorted(set(moved_in) | set(moved_out), key=_bucket_sort_key):
            lines.append(f"  bucket {code:<4} in {moved_in.get(code, 0):>8}  out {moved_out.get(code, 0):>8}")
        lines.append("  seconds: " + ", ".join(f"{step} {value:.2f}" for step, value in self.seconds.items()))
        return lines


def _bucket_sort_key(code: str):
    return (len(code), code)


def is_month_end(day: date) -> bool:
    return (day + timedelta(days=1)).month != day.month


def _tables() -> dict[str, str]:
    return {
        "installment": Installment._meta.db_table,
        "account": CreditAccount._meta.db_table,
        "product": CreditProduct._meta.db_table,
        "bucket": Bucket._meta.db_table,
        "snapshot": DelinquencySnapshot._meta.db_table,
    }


# --- a. Penalty and late fee, within the cap -----------------------------------------


def charges_cap(installment: Installment, annual_rate: Decimal, as_of: date) -> Decimal:
    """
    The most interest, fees and penalty an installment may carry on `as_of`:
    its principal × the product's annual cap rate × the days since it was lent
    / 365, rounded half up to the cent, never below zero.

    The accrual below computes the same cap in SQL (`cap` in `_accrual_sql`);
    the two must agree to the cent, or the case page would show a headroom
    the nightly run does not leave (tests/lending/test_delinquency.py
    compares them). Change one, change the other.
    """
    days = max((as_of - installment.lent_on).days, 0)
    cap = installment.principal_due * annual_rate * days / Decimal(365)
    return max(cap.quantize(CENT, rounding=ROUND_HALF_UP), ZERO)


def _accrual_sql(d: Dialect) -> str:
    """
    One UPDATE that reads each installment once: the charges are computed in
    its SET from the installment and its account's terms (a join, not a
    second pass over the installments to find the rows again).
    """
    t = _tables()
    grace_end = d.add_days("i.due_on", "c.grace_days")
    accrue_from = d.greatest(f"COALESCE(i.penalty_accrued_through, {grace_end})", grace_end)
    days = d.greatest("0", d.days(d.as_of, accrue_from))
    # The cap on interest + fees + penalty: principal × annual rate × years since lent.
    cap = d.cents(f"i.principal_due * c.charges_cap_annual_rate * {d.days(d.as_of, 'i.lent_on')} / 365.0")
    # What the cap leaves today; the fee takes it first, the penalty what the fee leaves:
    # room − LEAST(fee, room) is GREATEST(room − fee, 0).
    room = d.greatest(f"{d.greatest('0', cap)} - (i.interest_due + i.fee_due + i.penalty_accrued)", "0")
    fee_wanted = "CASE WHEN i.late_fee_charged THEN 0 ELSE c.late_fee END"
    penalty_wanted = d.cents(f"(i.principal_due - i.principal_paid) * c.daily_penalty_rate * {days}")
    fee_add = f"CASE WHEN c.accrues THEN {d.least(fee_wanted, room)} ELSE 0 END"
    penalty_add = (
        f"CASE WHEN c.accrues THEN {d.least(penalty_wanted, d.greatest(f'{room} - ({fee_wanted})', '0'))} ELSE 0 END"
    )
    statuses = ", ".join(f"'{status}'" for status in STATUSES_WITHOUT_ACCRUAL)
    return f"""
UPDATE {t["installment"]} AS i SET
    fee_due = {d.money(f"i.fee_due + {fee_add}")},
    penalty_accrued = {d.money(f"i.penalty_accrued + {penalty_add}")},
    late_fee_charged = (i.late_fee_charged OR c.accrues),
    penalty_accrued_through = {d.as_of}
FROM (
    SELECT a.id, a.status NOT IN ({statuses}) AS accrues,
           p.late_fee, p.daily_penalty_rate, p.charges_cap_annual_rate, p.grace_days
    FROM {t["account"]} a
    JOIN {t["product"]} p ON p.id = a.product_id
) c
WHERE c.id = i.account_id
  AND i.paid_off_on IS NULL
  -- Implied by the next line (grace days are never negative); rules out the rows not yet due before the join.
  AND i.due_on < {d.as_of}
  AND {grace_end} < {d.as_of}
  AND (i.penalty_accrued_through IS NULL OR i.penalty_accrued_through < {d.as_of})
"""  # noqa: S608 (only our table names and fragments are interpolated)


def penalties_accrue(*, as_of: date) -> int:
    """
    Charge each overdue installment past its grace days its late fee (once)
    and its daily penalty on overdue principal for the days not yet accrued,
    never letting interest + fees + penalty pass the cap. Returns how many
    installments were accrued (0 when the date was already accrued).
    """
    d = Dialect(connection.vendor)
    with connection.cursor() as cursor:
        cursor.execute(_accrual_sql(d), {"as_of": as_of.isoformat()})
        return max(cursor.rowcount, 0)


# --- b. Days past due, overdue amounts and bucket of every account -----------------------

REFRESHED_COLUMNS = (
    "oldest_unpaid_due_on",
    "days_past_due",
    "bucket",
    "overdue_principal",
    "overdue_interest",
    "overdue_fees",
    "overdue_penalty",
    "outstanding_balance",
)


def _fresh_sql(d: Dialect, *, changed_only: bool = False) -> str:
    """
    A SELECT of every account's figures as of the date, beside its bucket
    before the run; with changed_only, of the accounts whose figures differ
    from what they hold.
    """
    t = _tables()
    due = f"due_on < {d.as_of}"

    def overdue(amount: str) -> str:
        return d.money_sum(amount, where=due)

    # What remains of an installment; most unpaid ones have nothing paid yet, and comparing with
    # zero is cheaper than subtracting it (numeric arithmetic is what the refresh spends its time on).
    remaining = (
        "CASE WHEN principal_paid = 0 AND interest_paid = 0 AND fee_paid = 0 AND penalty_paid = 0"
        " THEN principal_due + interest_due + fee_due + penalty_accrued"
        " ELSE principal_due - principal_paid + interest_due - interest_paid"
        " + fee_due - fee_paid + penalty_accrued - penalty_paid END"
    )
    # Something remains of an installment when any part is paid short of its due (no part is
    # paid beyond it: installment_paid_within_due); comparing is cheaper than adding it all up.
    owing = (
        "principal_paid < principal_due OR interest_paid < interest_due"
        " OR fee_paid < fee_due OR penalty_paid < penalty_accrued"
    )
    changed = "\n       OR ".join(f"f.old_{column} IS DISTINCT FROM f.{column}" for column in REFRESHED_COLUMNS)
    held = "".join(f"a.{column} AS old_{column}, " for column in REFRESHED_COLUMNS)
    return f"""
    SELECT f.*
    FROM (
        SELECT f.*, b.code AS bucket
        FROM (
            SELECT a.id, {held}
                   s.oldest AS oldest_unpaid_due_on,
                   COALESCE({d.days(d.as_of, "s.oldest")}, 0) AS days_past_due,
                   COALESCE(s.overdue_principal, 0) AS overdue_principal,
                   COALESCE(s.overdue_interest, 0) AS overdue_interest,
                   COALESCE(s.overdue_fees, 0) AS overdue_fees,
                   COALESCE(s.overdue_penalty, 0) AS overdue_penalty,
                   COALESCE(s.outstanding_balance, 0) AS outstanding_balance
            FROM {t["account"]} a
            LEFT JOIN (
                SELECT account_id,
                       MIN(due_on) FILTER (WHERE {due} AND ({owing})) AS oldest,
                       {overdue("principal_due - principal_paid")} AS overdue_principal,
                       {overdue("interest_due - interest_paid")} AS overdue_interest,
                       {overdue("fee_due - fee_paid")} AS overdue_fees,
                       {overdue("penalty_accrued - penalty_paid")} AS overdue_penalty,
                       {d.money_sum(remaining)} AS outstanding_balance
                FROM {t["installment"]}
                WHERE paid_off_on IS NULL
                GROUP BY account_id
            ) s ON s.account_id = a.id
        ) f
        JOIN (
            -- Each day up to the open-ended bucket's first, with its bucket: an equality
            -- (hash) join for a million accounts instead of a range test per bucket.
            WITH RECURSIVE day(n) AS (SELECT 0 UNION ALL SELECT n + 1 FROM day WHERE n < %(open_from)s)
            SELECT day.n, bucket.code
            FROM day
            JOIN {t["bucket"]} bucket
              ON day.n >= bucket.min_days AND (bucket.max_days IS NULL OR day.n <= bucket.max_days)
        ) b ON b.n = {d.least("f.days_past_due", "%(open_from)s")}
    ) f
    {f"WHERE {changed}" if changed_only else ""}
    """  # noqa: S608


def _refresh_update_sql(d: Dialect) -> str:
    t = _tables()
    assignments = ",\n        ".join(f"{column} = f.{column}" for column in REFRESHED_COLUMNS)
    # The changed rows are picked inside the FROM, so that only they are joined to the rows to update.
    return f"""
    UPDATE {t["account"]} AS a SET
        {assignments}
    FROM ({_fresh_sql(d, changed_only=True)}) f
    WHERE a.id = f.id
    """  # noqa: S608


def buckets_check() -> int:
    """
    Refuse a bucket table that leaves a day past due without a bucket (or
    gives one two); return where the open-ended last bucket starts.
    """
    expected_min = 0
    rows = list(Bucket.objects.order_by("min_days").values_list("min_days", "max_days"))
    for index, (min_days, max_days) in enumerate(rows):
        last = index == len(rows) - 1
        if min_days != expected_min or (max_days is None) != last:
            raise LendingError(BUCKETS_INVALID)
        expected_min = (max_days or 0) + 1
    if not rows:
        raise LendingError(BUCKETS_INVALID)
    return rows[-1][0]


def accounts_refresh(*, as_of: date) -> tuple[int, dict[tuple[str, str], int]]:
    """
    Recompute every account's figures as of the date; write only the rows
    that change. Returns how many were written and the bucket moves.
    """
    d = Dialect(connection.vendor)
    params = {"as_of": as_of.isoformat(), "open_from": buckets_check()}
    with connection.cursor() as cursor:
        if d.pg:
            # One pass: the UPDATE hands its rows (old and new bucket) to the count.
            cursor.execute(
                f"WITH changed AS ({_refresh_update_sql(d)} RETURNING f.old_bucket, f.bucket) "  # noqa: S608
                "SELECT old_bucket, bucket, COUNT(*) FROM changed GROUP BY old_bucket, bucket",
                params,
            )
            rows = cursor.fetchall()
            refreshed = sum(count for _old, _new, count in rows)
        else:
            # SQLite has no UPDATE inside WITH: count the moves first, then update.
            cursor.execute(
                f"SELECT old_bucket, bucket, COUNT(*) FROM ({_fresh_sql(d)}) f "  # noqa: S608
                "WHERE old_bucket <> bucket GROUP BY old_bucket, bucket",
                params,
            )
            rows = cursor.fetchall()
            cursor.execute(_refresh_update_sql(d), params)
            refreshed = max(cursor.rowcount, 0)
    moves = {(old, new): count for old, new, count in rows if old != new}
    return refreshed, moves


# --- d. Snapshots --------------------------------------------------------------------

SNAPSHOT_COLUMNS = (
    "is_month_end",
    "days_past_due",
    "bucket",
    "overdue_principal",
    "overdue_interest",
    "overdue_fees",
    "overdue_penalty",
    "outstanding_balance",
)


def _snapshot_sqls(d: Dialect, *, month_end: bool) -> tuple[str, str]:
    """
    Rewrite the day's rows that differ, then add the missing ones: two plain
    statements, cheaper than INSERT … ON CONFLICT, which probes the unique
    index before each of a million inserts and confirms each afterwards.
    """
    t = _tables()
    flag = d.true if month_end else d.false
    who = d.true if month_end else "a.days_past_due > 0"
    fresh = {"is_month_end": flag, **{column: f"a.{column}" for column in SNAPSHOT_COLUMNS[1:]}}
    updates = ", ".join(f"{column} = {value}" for column, value in fresh.items())
    changed = " OR ".join(f"s.{column} IS DISTINCT FROM {value}" for column, value in fresh.items())
    update = f"""
    UPDATE {t["snapshot"]} AS s SET {updates}
    FROM {t["account"]} a
    WHERE s.snapshot_date = {d.as_of} AND a.id = s.account_id AND {who} AND ({changed})
    """  # noqa: S608
    insert = f"""
    INSERT INTO {t["snapshot"]} (account_id, snapshot_date, {", ".join(SNAPSHOT_COLUMNS)})
    SELECT a.id, {d.as_of}, {", ".join(fresh.values())}
    FROM {t["account"]} a
    WHERE {who} AND NOT EXISTS (
        SELECT 1 FROM {t["snapshot"]} s WHERE s.account_id = a.id AND s.snapshot_date = {d.as_of}
    )
    """  # noqa: S608
    return update, insert


def snapshots_write(*, as_of: date) -> int:
    """
    The day's snapshot of every overdue account, and of every account at a
    month end, from the figures accounts_refresh left. Rewrites a day's row
    only where it differs. Returns the rows written.
    """
    d = Dialect(connection.vendor)
    written = 0
    with connection.cursor() as cursor:
        for statement in _snapshot_sqls(d, month_end=is_month_end(as_of)):
            cursor.execute(statement, {"as_of": as_of.isoformat()})
            written += max(cursor.rowcount, 0)
    return written


# --- The run ---------------------------------------------------------------------------


def _run_record(report: NightlyReport) -> None:
    """Keep the night's report; a replay of the same date replaces it."""
    moved_in, moved_out = report.moved_in, report.moved_out
    DelinquencyRun.objects.update_or_create(
        as_of=report.as_of,
        defaults={
            "installments_accrued": report.installments_accrued,
            "accounts_refreshed": report.accounts_refreshed,
            "snapshots_written": report.snapshots_written,
            "bucket_moves": {
                code: {"in": moved_in.get(code, 0), "out": moved_out.get(code, 0)}
                for code in sorted(set(moved_in) | set(moved_out), key=_bucket_sort_key)
            },
            "seconds": report.seconds,
        },
    )


def planner_settings_set() -> None:
    """
    PostgreSQL settings for the rest of the transaction (SET LOCAL), for the
    run's statements over whole tables:
    - room to sort or hash a million accounts' sums in memory;
    - no JIT compilation: half a second a statement, and it speeds up none of
      the numeric arithmetic the statements spend their time on;
    - no nested loops: the planner's statistics are from before this run
      rewrote hundreds of thousands of rows (or before a first run filled an
      empty table); misled by them, it nests a scan of the snapshots in a loop
      over the accounts, minutes instead of a hash join's second.
    """
    settings_set_local(work_mem=f"'{NIGHTLY_WORK_MEM}'", jit="off", enable_nestloop="off")


def delinquency_as_of() -> date | None:
    """The date the account figures were last computed for."""
    return DelinquencyRun.objects.order_by("-as_of").values_list("as_of", flat=True).first()


def run_nightly(*, as_of: date) -> NightlyReport:
    """Accrue, refresh and snapshot for the date, in one transaction; safe to run again."""
    buckets_check()
    report = NightlyReport(as_of=as_of, is_month_end=is_month_end(as_of))
    with transaction.atomic():
        if is_postgresql():
            if not advisory_xact_lock_try(ADVISORY_LOCK_KEY):
                raise LendingError(NIGHTLY_ALREADY_RUNNING)
            planner_settings_set()
        started = time.perf_counter()
        report.installments_accrued = penalties_accrue(as_of=as_of)
        accrued_at = time.perf_counter()
        report.accounts_refreshed, report.moves = accounts_refresh(as_of=as_of)
        refreshed_at = time.perf_counter()
        report.snapshots_written = snapshots_write(as_of=as_of)
        finished = time.perf_counter()
        report.seconds = {
            "accrual": round(accrued_at - started, 3),
            "refresh": round(refreshed_at - accrued_at, 3),
            "snapshots": round(finished - refreshed_at, 3),
        }
        _run_record(report)
    logger.info(
        "nightly run %s: %d installments accrued, %d accounts refreshed, %d snapshots written",
        as_of.isoformat(),
        report.installments_accrued,
        report.accounts_refreshed,
        report.snapshots_written,
    )
    moved_in, moved_out = report.moved_in, report.moved_out
    for code in sorted(set(moved_in) | set(moved_out), key=_bucket_sort_key):
        logger.info(
            "nightly run %s: bucket %s: %d in, %d out",
            as_of.isoformat(),
            code,
            moved_in.get(code, 0),
            moved_out.get(code, 0),
        )
    return report
