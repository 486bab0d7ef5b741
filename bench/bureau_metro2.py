"""
The Metro 2 file of one month for 1,000,000 accounts with 13 month-ends of
snapshots (`portfolio.bureau.files.metro2_write`: the rows streamed from the
snapshots, the 24-month history merged in, every record built from the layout
table, then the whole file validated), beside the bare query of the same rows
written as 426-character lines in the same run.

    flock /tmp/arrears/bench.lock .venv/bin/python bench/bureau_metro2.py [--accounts 1000000]
        [--database-url postgres://postgres@127.0.0.1:5432/arrears_bench_bureau | sqlite:///var/bench.sqlite3]
        [--keep]

Creates the database (PostgreSQL: drops it first if it exists; SQLite: a new
file), migrates it and fills it with set-based SQL both databases run (a
recursive CTE): N borrowers with one account each, in three products, and a
month-end snapshot of every account at each of the 13 month-ends to May 2026
(one account in five late, its days past due moving month to month, one in a
thousand charged off). Then the May 2026 file, ours and the baseline, each
written to a temporary file.

Requirement (issue 14): ours ≤ 2 minutes. The database is dropped at the end unless --keep.
"""

import argparse
import os
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

LIMIT_SECONDS = 120.0
DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/arrears_bench_bureau"
MONTH = "2026-05"


def parse():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--accounts", type=int, default=1_000_000)
    parser.add_argument("--database-url", default=os.environ.get("BENCH_DATABASE_URL", DEFAULT_URL))
    parser.add_argument("--keep", action="store_true")
    return parser.parse_args()


ARGS = parse()
os.environ["BENCH_DATABASE_URL"] = ARGS.database_url

from benchdb import bench_environment, database_drop, database_recreate, django_migrated, sql  # noqa: E402

BENCH_URL = bench_environment("arrears_bench_bureau")
IS_SQLITE = BENCH_URL.startswith("sqlite")


def sqlite_path() -> Path:
    return Path(BENCH_URL.removeprefix("sqlite:///"))


def thirteen_month_ends() -> list[date]:
    ends, year, month = [], 2026, 5
    for _ in range(13):
        following = date(year + month // 12, month % 12 + 1, 1)
        ends.append(following - timedelta(days=1))
        year, month = (year, month - 1) if month > 1 else (year - 1, 12)
    return ends


def load(accounts: int) -> float:
    from lending.models import CreditProduct

    started = time.perf_counter()
    products = [
        CreditProduct.objects.create(
            code=code, name=code, kind=kind, annual_interest_rate="0.1500", daily_penalty_rate="0.000500",
            late_fee="30.00", grace_days=3,
        ).pk
        for code, kind in (("inst-6m", "installment"), ("revolving", "revolving"), ("cash-6m", "cash_loan"))
    ]  # fmt: skip
    values = {"n": accounts, "p0": products[0], "p1": products[1], "p2": products[2]}
    series = "WITH RECURSIVE s(g) AS (SELECT 1 UNION ALL SELECT g + 1 FROM s WHERE g < %(n)s) "
    sql(
        series  # noqa: S608 (no input: the series and the statement are written here)
        + "INSERT INTO lending_borrower (id, external_id, name, national_id, employer, province, city, "
        "district, language, time_zone, risk_grade, is_deceased, is_bankrupt, is_vulnerable, do_not_contact, "
        "cease_contact_requested, created_at, updated_at) "
        "SELECT g, 'B' || g, 'Borrower ' || g, '', '', 'Beijing', 'Beijing', 'D', 'zh-hans', 'Asia/Shanghai', '', "
        "FALSE, FALSE, FALSE, FALSE, FALSE, CURRENT_TIMESTAMP, CURRENT_TIMESTAMP FROM s",
        values,
    )
    sql(
        series  # noqa: S608 (no input: the series and the statement are written here)
        + "INSERT INTO lending_creditaccount (id, external_id, borrower_id, product_id, opened_on, "
        "credit_limit, available_credit, status, days_past_due, bucket, overdue_principal, overdue_interest, "
        "overdue_fees, overdue_penalty, outstanding_balance, credit_balance) "
        "SELECT g, 'A' || g, g, CASE g %% 3 WHEN 0 THEN %(p0)s WHEN 1 THEN %(p1)s ELSE %(p2)s END, "
        "CAST(CASE WHEN g %% 4 = 0 THEN '2025-09-15' ELSE '2024-01-15' END AS date), 10000, 4000, "
        "CASE WHEN g %% 1000 = 0 THEN 'charged_off' ELSE 'active' END, 0, 'M0', 0, 0, 0, 0, 0, 0 FROM s",
        values,
    )
    ends = ", ".join(f"('{end.isoformat()}', {number})" for number, end in enumerate(thirteen_month_ends()))
    # Each account: one in five late, by 30 days more each month back from its own phase (0 to 200).
    sql(
        f"WITH m(d, k) AS (VALUES {ends}) "  # noqa: S608 (no input: the dates are written here)
        "INSERT INTO lending_delinquencysnapshot (account_id, snapshot_date, is_month_end, days_past_due, bucket, "
        "overdue_principal, overdue_interest, overdue_fees, overdue_penalty, outstanding_balance) "
        "SELECT id, CAST(d AS date), TRUE, dpd, 'M', CASE WHEN dpd > 0 THEN 1000.55 ELSE 0 END, "
        "CASE WHEN dpd > 0 THEN 12.50 ELSE 0 END, 0, 0, 1000 + id %% 9000 + 0.99 "
        "FROM (SELECT a.id, m.d, CASE WHEN a.id %% 5 = 0 THEN (a.id * 7 + 400 - m.k * 30) %% 240 ELSE 0 END AS dpd "
        "FROM lending_creditaccount a CROSS JOIN m WHERE CAST(m.d AS date) >= a.opened_on) x",
        values,
    )
    if not IS_SQLITE:
        for table in ("lending_borrower", "lending_creditaccount"):
            sql(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT max(id) FROM {table}))")  # noqa: S608
        sql("VACUUM ANALYZE")
    else:
        sql("ANALYZE")
    return time.perf_counter() - started


def ours(path: Path) -> tuple[float, int, int]:
    from portfolio.bureau.files import metro2_write

    started = time.perf_counter()
    count, problems = metro2_write(path, month=MONTH)
    return time.perf_counter() - started, count, len(problems)


def baseline(path: Path) -> tuple[float, int]:
    """The bare query of the same rows (snapshot, account, borrower, product), each written as a 426-character line."""
    from django.db import connection

    started = time.perf_counter()
    count = 0
    with connection.cursor() as cursor, open(path, "w", encoding="utf-8") as file:
        cursor.execute(
            "SELECT a.external_id, s.days_past_due, s.outstanding_balance, s.overdue_principal, a.opened_on, "
            "b.name, p.kind FROM lending_delinquencysnapshot s JOIN lending_creditaccount a ON a.id = s.account_id "
            "JOIN lending_borrower b ON b.id = a.borrower_id JOIN lending_creditproduct p ON p.id = a.product_id "
            "WHERE s.is_month_end AND s.snapshot_date >= '2026-05-01' AND s.snapshot_date < '2026-06-01' "
            "ORDER BY s.account_id"
        )
        while rows := cursor.fetchmany(5000):
            for external_id, days, balance, overdue, opened, name, kind in rows:
                line = f"0426{external_id:<30}{days:09d}{int(balance):09d}{int(overdue):09d}{opened}{name:<25}{kind}"
                file.write(line[:426].ljust(426) + "\n")
                count += 1
    return time.perf_counter() - started, count


def main() -> int:
    if IS_SQLITE:
        sqlite_path().parent.mkdir(parents=True, exist_ok=True)
        sqlite_path().unlink(missing_ok=True)
    else:
        database_recreate(BENCH_URL)
    try:
        django_migrated()
        from django.db import connection

        seconds = load(ARGS.accounts)
        print(f"{connection.vendor}: {ARGS.accounts:,} accounts, 13 month-ends of snapshots loaded in {seconds:.1f} s")
        with tempfile.TemporaryDirectory() as directory:
            bare_seconds, bare_count = baseline(Path(directory) / "bare.txt")
            our_seconds, count, problems = ours(Path(directory) / "metro2.txt")
            size = (Path(directory) / "metro2.txt").stat().st_size
        print(f"baseline (bare query, 426-character lines): {bare_seconds:7.1f} s  {bare_count:,} lines")
        print(
            f"ours (metro2_write, validated):              {our_seconds:7.1f} s  {count:,} base segments, "
            f"{problems} problems, {size / 1e6:.0f} MB  ({our_seconds / bare_seconds:.1f}x the baseline)"
        )
        ok = our_seconds <= LIMIT_SECONDS and problems == 0 and count == bare_count
        print(f"requirement ≤ {LIMIT_SECONDS:.0f} s: {'met' if ok else 'NOT met'}")
        return 0 if ok else 1
    finally:
        if not ARGS.keep:
            if IS_SQLITE:
                from django.db import connections

                connections.close_all()
                sqlite_path().unlink(missing_ok=True)
            else:
                database_drop(BENCH_URL)


if __name__ == "__main__":
    sys.exit(main())
