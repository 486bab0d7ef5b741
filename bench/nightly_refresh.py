"""
The nightly run over a million accounts, on PostgreSQL.

    .venv/bin/python bench/nightly_refresh.py [--accounts 1000000] [--keep] [--reuse] [--runs-only]

Creates the database `arrears_bench_money` on 127.0.0.1:5432 (user postgres,
or BENCH_DATABASE_URL), drops it first if it exists, migrates it and fills it
with set-based SQL (generate_series): N borrowers, N accounts with six
monthly installments each, about 7% of them delinquent at various days past
due (some partly paid), the rest current. Then it measures, side by side in
this one run:

1. the days-past-due and bucket refresh (`lending.delinquency.accounts_refresh`)
   against a single hand-written SQL UPDATE computing the same values (the
   baseline), each from the same reset state, best of two; the requirement
   is ours <= 3x the baseline, and the two must leave identical figures;
2. the whole nightly run (accrual, refresh, snapshots) for a mid-month day
   (requirement <= 30 s) and again for the same day (must change nothing),
   then the same for a month end, where every account is snapshotted.

The database is dropped at the end unless --keep is given. With --reuse the
loaded database is kept as the template `arrears_bench_money_loaded` (made
on the first such run) and copied instead of loaded again (seconds instead
of minutes; migrations added since are applied to the copy); --runs-only
skips the refresh comparison (1.), for quick iterations on the whole run.
"""

import argparse
import sys
import time
from datetime import date
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from benchdb import bench_environment, database_drop, database_recreate  # noqa: E402

BENCH_URL = bench_environment("arrears_bench_money")
TEMPLATE_NAME = "arrears_bench_money_loaded"

YESTERDAY = date(2026, 6, 14)
AS_OF = date(2026, 6, 15)
MONTH_END = date(2026, 6, 30)
LATE_PERCENT = 9  # of accounts marked late; those with nothing past due yet stay current: ~7% end up delinquent


def sql(statement: str, params=None) -> float:
    from django.db import connection

    started = time.perf_counter()
    with connection.cursor() as cursor:
        cursor.execute(statement, params)
    return time.perf_counter() - started


LOADED_TABLES = ("lending_borrower", "lending_creditaccount", "lending_installment")


def secondary_structures_drop() -> list[str]:
    """
    Drop the foreign keys, unique constraints and indexes of the loaded tables
    (not their primary keys) and return the SQL that puts them back: building
    an index once is far faster than growing it row by row.
    """
    from django.db import connection

    restore = []
    with connection.cursor() as cursor:
        for table in LOADED_TABLES:
            cursor.execute(
                "SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint "
                "WHERE conrelid = %s::regclass AND contype IN ('u', 'f') ORDER BY contype DESC",
                [table],
            )
            constraints = cursor.fetchall()
            cursor.execute(
                "SELECT indexname, indexdef FROM pg_indexes WHERE tablename = %s AND indexname NOT IN "
                "(SELECT conname FROM pg_constraint WHERE conrelid = %s::regclass)",
                [table, table],
            )
            indexes = cursor.fetchall()
            for name, definition in constraints:
                cursor.execute(f'ALTER TABLE {table} DROP CONSTRAINT "{name}"')
                restore.append(f'ALTER TABLE {table} ADD CONSTRAINT "{name}" {definition}')
            for name, definition in indexes:
                cursor.execute(f'DROP INDEX "{name}"')
                restore.append(definition)
    # Unique constraints first, so that foreign keys find their unique index.
    return sorted(restore, key=lambda statement: "FOREIGN KEY" in statement)


def load(accounts: int) -> None:
    from lending.models import CreditProduct

    products = [
        CreditProduct.objects.create(
            code=code,
            name=code,
            kind=kind,
            annual_interest_rate="0.1500",
            daily_penalty_rate="0.000500",
            late_fee="30.00",
            grace_days=3,
        )  # fmt: skip
        for code, kind in (("inst-6m", "installment"), ("revolving", "revolving"), ("cash-6m", "cash_loan"))
    ]
    ids = [product.pk for product in products]
    sql("SET maintenance_work_mem = '512MB'")
    restore = secondary_structures_drop()
    params = {"n": accounts, "as_of": AS_OF, "p0": ids[0], "p1": ids[1], "p2": ids[2], "late": LATE_PERCENT}
    seconds = sql(
        """
        INSERT INTO lending_borrower (id, external_id, name, national_id, employer, province, city, district,
            language, time_zone, risk_grade, is_deceased, is_bankrupt, is_vulnerable, do_not_contact,
            cease_contact_requested, created_at, updated_at)
        SELECT g, 'B' || g, 'Borrower ' || g, '', '', 'P', 'C', 'D', 'zh-hans', 'Asia/Shanghai', '',
               FALSE, FALSE, FALSE, FALSE, FALSE, now(), now()
        FROM generate_series(1, %(n)s) g
        """,
        params,
    )
    seconds += sql(
        """
        INSERT INTO lending_creditaccount (id, external_id, borrower_id, product_id, opened_on, credit_limit,
            available_credit, status, days_past_due, bucket, overdue_principal, overdue_interest, overdue_fees,
            overdue_penalty, outstanding_balance, credit_balance)
        SELECT g, 'A' || g, g, (ARRAY[%(p0)s, %(p1)s, %(p2)s])[1 + g %% 3],
               CAST(%(as_of)s AS date) - (30 + (g * 31) %% 200), 10000, 4000,
               CASE WHEN g %% 1000 = 0 THEN 'charged_off' ELSE 'active' END, 0, 'M0', 0, 0, 0, 0, 0, 0
        FROM generate_series(1, %(n)s) g
        """,
        params,
    )
    # Six monthly installments; on a late account every installment from
    # number 1 + id % 3 that fell due is unpaid (a quarter of them partly
    # paid), with yesterday's accrual done; everything else that fell due is paid.
    seconds += sql(
        """
        INSERT INTO lending_installment (account_id, number, order_reference, lent_on, due_on, principal_due,
            interest_due, fee_due, penalty_accrued, principal_paid, interest_paid, fee_paid, penalty_paid,
            late_fee_charged, penalty_accrued_through, paid_off_on)
        SELECT id, n, '', opened_on, due, 1000.00, 12.50,
               CASE WHEN unpaid AND past_grace THEN 10.00 ELSE 0 END,
               CASE WHEN unpaid AND past_grace THEN 1.50 ELSE 0 END,
               CASE WHEN NOT unpaid AND due < %(as_of)s THEN 1000.00 WHEN partly THEN 300.00 ELSE 0 END,
               CASE WHEN (NOT unpaid AND due < %(as_of)s) OR partly THEN 12.50 ELSE 0 END,
               0, 0,
               unpaid AND past_grace,
               CASE WHEN unpaid AND past_grace THEN CAST(%(as_of)s AS date) - 1 END,
               CASE WHEN NOT unpaid AND due < %(as_of)s THEN due - 1 END
        FROM (
            SELECT id, n, opened_on, due,
                   late AND n >= 1 + id %% 3 AND due < %(as_of)s AS unpaid,
                   late AND n = 1 + id %% 3 AND id %% 4 = 0 AND due < %(as_of)s AS partly,
                   due + 3 < %(as_of)s AS past_grace
            FROM (
                SELECT a.id, n, a.opened_on, CAST(a.opened_on + make_interval(months => n) AS date) AS due,
                       (a.id * 7919) %% 100 < %(late)s AS late
                FROM lending_creditaccount a CROSS JOIN generate_series(1, 6) n
            ) s
        ) x
        """,
        params,
    )
    for table in ("lending_borrower", "lending_creditaccount", "lending_installment"):
        sql(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT max(id) FROM {table}))")  # noqa: S608
    print(f"loaded {accounts:,} accounts, {6 * accounts:,} installments in {seconds:.1f} s", flush=True)
    started = time.perf_counter()
    for statement in restore:
        sql(statement)
    sql("RESET maintenance_work_mem")
    print(f"indexes and constraints rebuilt in {time.perf_counter() - started:.1f} s", flush=True)
    started = time.perf_counter()
    sql("VACUUM ANALYZE")
    print(f"VACUUM ANALYZE in {time.perf_counter() - started:.1f} s", flush=True)


# The baseline: what one would write by hand for the same figures, in one statement.
BASELINE = """
UPDATE lending_creditaccount a SET
    oldest_unpaid_due_on = f.oldest,
    days_past_due = f.dpd,
    bucket = CASE WHEN f.dpd = 0 THEN 'M0' WHEN f.dpd <= 30 THEN 'M1' WHEN f.dpd <= 60 THEN 'M2'
                  WHEN f.dpd <= 90 THEN 'M3' WHEN f.dpd <= 120 THEN 'M4' WHEN f.dpd <= 150 THEN 'M5'
                  WHEN f.dpd <= 180 THEN 'M6' ELSE 'M6+' END,
    overdue_principal = f.op, overdue_interest = f.oi, overdue_fees = f.of, overdue_penalty = f.opn,
    outstanding_balance = f.outstanding
FROM (
    SELECT a2.id, s.oldest, COALESCE(CAST(%(as_of)s AS date) - s.oldest, 0) AS dpd,
           COALESCE(s.op, 0) AS op, COALESCE(s.oi, 0) AS oi, COALESCE(s.of, 0) AS of,
           COALESCE(s.opn, 0) AS opn, COALESCE(s.outstanding, 0) AS outstanding
    FROM lending_creditaccount a2
    LEFT JOIN (
        SELECT account_id,
               MIN(due_on) FILTER (WHERE due_on < %(as_of)s AND principal_due + interest_due + fee_due
                   + penalty_accrued > principal_paid + interest_paid + fee_paid + penalty_paid) AS oldest,
               SUM(principal_due - principal_paid) FILTER (WHERE due_on < %(as_of)s) AS op,
               SUM(interest_due - interest_paid) FILTER (WHERE due_on < %(as_of)s) AS oi,
               SUM(fee_due - fee_paid) FILTER (WHERE due_on < %(as_of)s) AS of,
               SUM(penalty_accrued - penalty_paid) FILTER (WHERE due_on < %(as_of)s) AS opn,
               SUM(principal_due - principal_paid + interest_due - interest_paid + fee_due - fee_paid
                   + penalty_accrued - penalty_paid) AS outstanding
        FROM lending_installment
        WHERE paid_off_on IS NULL
        GROUP BY account_id
    ) s ON s.account_id = a2.id
) f
WHERE a.id = f.id
  -- like ours, write only the rows whose figures change
  AND (a.oldest_unpaid_due_on, a.days_past_due, a.overdue_principal, a.overdue_interest, a.overdue_fees,
       a.overdue_penalty, a.outstanding_balance)
      IS DISTINCT FROM (f.oldest, f.dpd, f.op, f.oi, f.of, f.opn, f.outstanding)
"""

CHECKSUM = """
SELECT bucket, COUNT(*), SUM(days_past_due), SUM(overdue_principal), SUM(overdue_interest), SUM(overdue_fees),
       SUM(overdue_penalty), SUM(outstanding_balance), COUNT(oldest_unpaid_due_on)
FROM lending_creditaccount GROUP BY bucket ORDER BY bucket
"""


def checksum():
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(CHECKSUM)
        return cursor.fetchall()


def work_mem_set() -> None:
    from lending.delinquency import NIGHTLY_WORK_MEM

    sql(f"SET LOCAL work_mem = '{NIGHTLY_WORK_MEM}'")


def timed_rolled_back(function) -> tuple[float, object, list]:
    """Time `function` in a transaction, take the checksum of what it left, and roll it back."""
    from django.db import transaction

    with transaction.atomic():
        started = time.perf_counter()
        result = function()
        seconds = time.perf_counter() - started
        sums = checksum()
        transaction.set_rollback(True)
    return seconds, result, sums


def _admin(url: str):
    import psycopg

    return psycopg.connect(f"{url.rpartition('/')[0]}/postgres", autocommit=True)


def template_exists(url: str) -> bool:
    with _admin(url) as connection:
        return (
            connection.execute("SELECT 1 FROM pg_database WHERE datname = %s", [TEMPLATE_NAME]).fetchone() is not None
        )


def template_copy(url: str, *, source: str, target: str) -> None:
    """Copy a database file by file (far faster than WAL-logging 2 GB); no one may be connected to either."""
    from django.db import connections

    connections.close_all()
    with _admin(url) as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{target}" WITH (FORCE)')
        connection.execute(f'CREATE DATABASE "{target}" TEMPLATE "{source}" STRATEGY FILE_COPY')


def report_text(report) -> str:
    return (
        f"{report.installments_accrued:,} installments accrued, {report.accounts_refreshed:,} accounts refreshed, "
        f"{report.snapshots_written:,} snapshots; " + ", ".join(f"{k} {v:.2f} s" for k, v in report.seconds.items())
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--accounts", type=int, default=1_000_000)
    parser.add_argument("--keep", action="store_true", help="keep the database afterwards")
    parser.add_argument("--reuse", action="store_true", help=f"load once into the template {TEMPLATE_NAME}, copy it")
    parser.add_argument("--runs-only", action="store_true", help="skip the refresh against the baseline")
    args = parser.parse_args()

    name = BENCH_URL.rpartition("/")[2]
    reused = args.reuse and template_exists(BENCH_URL)
    started = time.perf_counter()
    if reused:
        template_copy(BENCH_URL, source=TEMPLATE_NAME, target=name)
    else:
        database_recreate(BENCH_URL)
    import django

    django.setup()
    from django.core.management import call_command

    from lending.delinquency import accounts_refresh, run_nightly

    call_command("migrate", verbosity=0)
    if reused:
        sql("VACUUM ANALYZE")
        print(f"database copied from {TEMPLATE_NAME} in {time.perf_counter() - started:.1f} s\n", flush=True)
    else:
        load(args.accounts)
        print(f"database ready in {time.perf_counter() - started:.1f} s\n", flush=True)
        if args.reuse:
            template_copy(BENCH_URL, source=name, target=TEMPLATE_NAME)

    # 0. Yesterday's run: every account's figures change (the first run ever); then vacuumed,
    #    as autovacuum would leave the table by the next night.
    started = time.perf_counter()
    report = run_nightly(as_of=YESTERDAY)
    print(f"run_nightly {YESTERDAY} (setup: first run ever, every account changes): "
          f"{time.perf_counter() - started:6.2f} s — {report_text(report)}", flush=True)  # fmt: skip
    sql("VACUUM ANALYZE")

    # 1. Tonight's refresh against the hand-written statement: each in a transaction rolled back
    #    afterwards, so both start from the same state; alternated, best of two.
    times, sums, counts = {"baseline": [], "ours": []}, {}, {}
    for order in () if args.runs_only else (("baseline", "ours"), ("ours", "baseline")):
        for name in order:
            if name == "baseline":
                seconds, _, sums[name] = timed_rolled_back(lambda: (work_mem_set(), sql(BASELINE, {"as_of": AS_OF})))
            else:
                seconds, (_, counts), sums[name] = timed_rolled_back(
                    lambda: (work_mem_set(), accounts_refresh(as_of=AS_OF))
                )
            times[name].append(seconds)
            print(f"  {name:<9} refresh {AS_OF}: {seconds:6.2f} s", flush=True)
            sql("VACUUM lending_creditaccount")
    if not args.runs_only:
        baseline, ours = min(times["baseline"]), min(times["ours"])
        delinquent = sum(row[1] for row in sums["ours"] if row[0] != "M0")
        refreshed, moves = counts
        print(f"\nRefresh of {args.accounts:,} accounts for {AS_OF} "
              f"({delinquent:,} delinquent, {100 * delinquent / args.accounts:.1f}%):")  # fmt: skip
        print(f"  baseline (one hand-written UPDATE): {baseline:6.2f} s")
        print(f"  ours (accounts_refresh):            {ours:6.2f} s   ratio {ours / baseline:.2f}x (requirement <= 3x)")
        print(f"  identical figures: {sums['ours'] == sums['baseline']}")
        print(f"  rows written: {refreshed:,}; bucket moves: {sum(moves.values()):,}\n", flush=True)

    # 2. The whole run, twice, for tonight and for the month end (every account snapshotted).
    for day in (AS_OF, MONTH_END):
        for attempt in ("first", "second"):
            started = time.perf_counter()
            report = run_nightly(as_of=day)
            seconds = time.perf_counter() - started
            print(f"run_nightly {day} ({attempt} run): {seconds:6.2f} s (requirement <= 30 s) — {report_text(report)}",
                  flush=True)  # fmt: skip
        sql("VACUUM ANALYZE")
    if not args.keep:
        database_drop(BENCH_URL)


if __name__ == "__main__":
    main()
