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
   (requirement <= 30 s) and again for the same day (must change nothing);
3. the month end, where every account is snapshotted: the paying borrowers
   pay what falls due until then, the night before runs, then the month end
   twice (requirement <= 30 s);
4. the same month end on a copy of the state after step 2, as if fifteen
   nights were missed: one run catching up (not a night of the requirement;
   it shows what such a catch-up costs).

The database is dropped at the end unless --keep is given. With --reuse the
loaded database is kept as the template `arrears_bench_money_loaded` (made
on the first such run) and copied instead of loaded again (seconds instead
of minutes; migrations added since are applied to the copy); --runs-only
skips the refresh comparison (1.), for quick iterations on the whole run.
"""

import argparse
import sys
import time
from datetime import date, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from benchdb import bench_environment, database_drop, database_recreate, django_migrated, sql, timed_rolled_back  # noqa: E402
from portfolio_sql import portfolio_load  # noqa: E402

BENCH_URL = bench_environment("arrears_bench_money")
TEMPLATE_NAME = "arrears_bench_money_loaded"

YESTERDAY = date(2026, 6, 14)
AS_OF = date(2026, 6, 15)
MONTH_END = date(2026, 6, 30)
LATE_PERCENT = 9  # of accounts marked late; those with nothing past due yet stay current: ~7% end up delinquent


def load(accounts: int) -> None:
    bulk, _borrowers, seconds = portfolio_load(
        accounts=accounts, borrowers_per_ten=10, as_of=AS_OF, late_percent=LATE_PERCENT
    )
    print(f"loaded {accounts:,} accounts, {6 * accounts:,} installments in {seconds:.1f} s", flush=True)
    started = time.perf_counter()
    bulk.structures_restore()
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


def settings_set() -> None:
    """The run's planner settings (work_mem, no JIT, no nested loops), for the baseline as for ours."""
    from lending.delinquency import planner_settings_set

    planner_settings_set()


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

    database = BENCH_URL.rpartition("/")[2]
    reused = args.reuse and template_exists(BENCH_URL)
    started = time.perf_counter()
    if reused:
        template_copy(BENCH_URL, source=TEMPLATE_NAME, target=database)
    else:
        database_recreate(BENCH_URL)
    django_migrated()
    from lending.delinquency import accounts_refresh, run_nightly

    if reused:
        sql("VACUUM ANALYZE")
        print(f"database copied from {TEMPLATE_NAME} in {time.perf_counter() - started:.1f} s\n", flush=True)
    else:
        load(args.accounts)
        print(f"database ready in {time.perf_counter() - started:.1f} s\n", flush=True)
        if args.reuse:
            template_copy(BENCH_URL, source=database, target=TEMPLATE_NAME)

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
                seconds, _, sums[name] = timed_rolled_back(
                    lambda: (settings_set(), sql(BASELINE, {"as_of": AS_OF})), CHECKSUM
                )
            else:
                seconds, (_, counts), sums[name] = timed_rolled_back(
                    lambda: (settings_set(), accounts_refresh(as_of=AS_OF)), CHECKSUM
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

    # 2. The whole run, twice, for tonight (a mid-month night: yesterday's run came before it).
    for attempt in ("first", "second"):
        whole_run(AS_OF, attempt)
    sql("VACUUM ANALYZE")
    catch_up = f"{database}_catch_up"
    template_copy(BENCH_URL, source=database, target=catch_up)

    # 3. A month-end night, where every account is snapshotted: the borrowers who were paying
    #    go on paying what falls due until then, the night before runs, then the month end, twice.
    started = time.perf_counter()
    paid = payments_until(MONTH_END)
    report = run_nightly(as_of=MONTH_END - timedelta(days=1))
    print(f"\nsetup: {paid:,} installments falling due until {MONTH_END} paid on time, "
          f"run_nightly {MONTH_END - timedelta(days=1)} ({report_text(report)}): "
          f"{time.perf_counter() - started:.1f} s", flush=True)  # fmt: skip
    sql("VACUUM ANALYZE")
    for attempt in ("first", "second"):
        whole_run(MONTH_END, attempt)

    # 4. The month end again, on the copy left after tonight: as if the runs from tonight to the
    #    month end were missed and nobody paid meanwhile, so one run catches up fifteen days
    #    (~44% of the accounts fall into arrears at once). Not a night of the requirement;
    #    shows what such a catch-up costs.
    from django.db import connection

    connection.close()
    connection.settings_dict["NAME"] = catch_up
    print(f"\nCatch-up on {catch_up} (the state after tonight's run):", flush=True)
    for attempt in ("first", "second"):
        whole_run(MONTH_END, attempt, requirement=False)
    connection.close()
    connection.settings_dict["NAME"] = database
    database_drop(BENCH_URL.rpartition("/")[0] + "/" + catch_up)
    if not args.keep:
        database_drop(BENCH_URL)


def whole_run(day: date, attempt: str, *, requirement: bool = True) -> None:
    from lending.delinquency import run_nightly

    started = time.perf_counter()
    report = run_nightly(as_of=day)
    seconds = time.perf_counter() - started
    print(f"run_nightly {day} ({attempt} run): {seconds:6.2f} s{' (requirement <= 30 s)' if requirement else ''}"
          f" — {report_text(report)}", flush=True)  # fmt: skip


def payments_until(day: date) -> int:
    """Pay in full, the day before it falls due, every installment due from tonight until `day` of the accounts not
    marked late by the load (as the load paid what fell due before tonight); return how many."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            """
            UPDATE lending_installment SET principal_paid = principal_due, interest_paid = interest_due,
                   fee_paid = fee_due, penalty_paid = penalty_accrued, paid_off_on = due_on - 1
            WHERE paid_off_on IS NULL AND due_on >= %(as_of)s AND due_on < %(day)s
              AND NOT (account_id * 7919) %% 100 < %(late)s
            """,
            {"as_of": AS_OF, "day": day, "late": LATE_PERCENT},
        )
        return cursor.rowcount


if __name__ == "__main__":
    main()
