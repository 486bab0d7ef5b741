"""
Importing a 100,000-row payments CSV, on PostgreSQL.

    .venv/bin/python bench/import_payments.py [--accounts 20000] [--rows 100000] [--keep]

Creates the database `arrears_bench_intake` on 127.0.0.1:5432 (user postgres,
or BENCH_DATABASE_URL), drops it first if it exists, migrates it and fills it
with set-based SQL (generate_series): N borrowers and N accounts with six
monthly installments each. It writes a payments CSV (five payments per
account by default, in received order, most smaller than an installment, a
few paying ahead or overpaying), then measures, side by side in this run:

1. the baseline: reading the same CSV with the csv module, converting the
   fields (Decimal, aware datetime) and COPYing the rows into a bare table
   with no constraints or indexes: the floor for "get these rows into
   PostgreSQL";
2. the import through the service the `import_csv` command uses
   (lending.intake.services.import_file): store the file, decode it strictly in the
   declared encoding (UTF-8 here), check every row (types, accounts, repeats, known payments),
   then record and allocate every payment in one transaction. Requirement:
   >= 5,000 rows per second end to end;
3. the same file again: nothing changes (every row "unchanged"), and how long
   finding that out takes.

The database is dropped at the end unless --keep is given.
"""

import argparse
import csv
import datetime
import os
import random
import sys
import tempfile
import time
import zoneinfo
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from benchdb import bench_environment, database_drop, database_recreate, django_migrated, sql  # noqa: E402

BENCH_URL = bench_environment("arrears_bench_intake")
os.environ.setdefault("MEDIA_ROOT", tempfile.mkdtemp(prefix="arrears-bench-media-"))

OPENED_ON = datetime.date(2026, 1, 15)
PRINCIPAL = Decimal("1000.00")
INTEREST = Decimal("12.50")
REQUIRED_ROWS_PER_SECOND = 5000


def load(accounts: int) -> int:
    """N borrowers, N accounts, 6 installments each, in three INSERT … SELECT statements."""
    from lending.models import CreditProduct

    product = CreditProduct.objects.create(code="inst-6m", name="6-month installments", kind="installment")
    sql(
        """
        INSERT INTO lending_borrower (external_id, name, national_id, employer, province, city, district,
            language, time_zone, risk_grade, is_deceased, is_bankrupt, is_vulnerable, do_not_contact,
            cease_contact_requested, created_at, updated_at)
        SELECT 'B' || lpad(n::text, 8, '0'), 'Borrower ' || n, '', '', '', '', '', 'zh-hans', 'Asia/Shanghai',
            '', false, false, false, false, false, now(), now()
        FROM generate_series(1, %s) AS n
        """,
        [accounts],
    )
    sql(
        """
        INSERT INTO lending_creditaccount (external_id, borrower_id, product_id, opened_on, credit_limit,
            available_credit, status, days_past_due, bucket, overdue_principal, overdue_interest, overdue_fees,
            overdue_penalty, outstanding_balance, credit_balance)
        SELECT 'A' || substr(b.external_id, 2), b.id, %s, %s, 10000, 4000, 'active', 0, 'M0', 0, 0, 0, 0, 6075, 0
        FROM lending_borrower b
        """,
        [product.pk, OPENED_ON],
    )
    sql(
        """
        INSERT INTO lending_installment (account_id, number, order_reference, lent_on, due_on, principal_due,
            interest_due, fee_due, penalty_accrued, principal_paid, interest_paid, fee_paid, penalty_paid,
            late_fee_charged)
        SELECT a.id, k, '', a.opened_on, (a.opened_on + make_interval(months => k))::date, %s, %s, 0, 0, 0, 0, 0, 0,
            false
        FROM lending_creditaccount a CROSS JOIN generate_series(1, 6) AS k
        """,
        [PRINCIPAL, INTEREST],
    )
    sql("ANALYZE")
    return accounts


def write_csv(path: Path, *, accounts: int, rows: int) -> None:
    """Payments in the order received: per account, one a month-ish, mostly an installment or part of one."""
    rng = random.Random(20260301)
    channels = ["app", "app", "app", "bank_transfer", "agency", "other"]
    per_account = max(1, rows // accounts)
    started = datetime.datetime(2026, 2, 10, 9, 0, tzinfo=zoneinfo.ZoneInfo("Asia/Shanghai"))
    with path.open("w", encoding="utf-8", newline="") as out:
        writer = csv.writer(out)
        writer.writerow(["external_id", "account_external_id", "amount", "received_at", "channel"])
        written = 0
        for k in range(per_account + 1):
            for n in range(1, accounts + 1):
                if written == rows:
                    return
                amount = rng.choice([Decimal("1012.50"), Decimal("500.00"), Decimal("250.00"), Decimal("1500.00")])
                moment = started + datetime.timedelta(days=30 * k, seconds=n)
                writer.writerow([f"P{written:09d}", f"A{n:08d}", amount, moment.isoformat(), rng.choice(channels)])
                written += 1


def baseline(path: Path) -> float:
    """csv module + the same conversions + COPY into a bare table: no checks, no allocation."""
    from django.db import connection
    from django.utils.dateparse import parse_datetime

    sql("DROP TABLE IF EXISTS bench_payment_bare")
    sql(
        "CREATE UNLOGGED TABLE bench_payment_bare (external_id text, account_external_id text, amount numeric(14, 2), "
        "received_at timestamptz, channel text)"
    )
    started = time.perf_counter()
    with path.open(encoding="utf-8", newline="") as source, connection.cursor() as cursor:
        reader = csv.reader(source)
        next(reader)
        with cursor.copy("COPY bench_payment_bare FROM STDIN") as copy:
            for external_id, account, amount, received_at, channel in reader:
                copy.write_row((external_id, account, Decimal(amount), parse_datetime(received_at), channel))
    elapsed = time.perf_counter() - started
    sql("DROP TABLE bench_payment_bare")
    return elapsed


def timed_payment_service() -> dict:
    """
    Measure where the time goes: inside lending.services.payments_record_batch
    (the intake calls it per chunk of 2,000 rows), and in COMMIT, where
    PostgreSQL checks the deferred foreign keys of every row inserted.
    """
    from django.db import connection

    import lending.services

    spent = {"seconds": 0.0, "commit": 0.0}
    original = lending.services.payments_record_batch
    original_commit = connection.commit

    def timed(**kwargs):
        started = time.perf_counter()
        try:
            return original(**kwargs)
        finally:
            spent["seconds"] += time.perf_counter() - started

    def timed_commit():
        started = time.perf_counter()
        try:
            return original_commit()
        finally:
            spent["commit"] += time.perf_counter() - started

    lending.services.payments_record_batch = timed
    connection.commit = timed_commit
    return spent


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--accounts", type=int, default=20_000)
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--keep", action="store_true", help="keep the database afterwards")
    options = parser.parse_args()

    database_recreate(BENCH_URL)
    django_migrated()
    from lending.intake.services import import_file
    from lending.models import Installment, Payment, PaymentAllocation

    try:
        started = time.perf_counter()
        load(options.accounts)
        print(
            f"data: {options.accounts:,} accounts x 6 installments loaded in {time.perf_counter() - started:.1f} s "
            f"(PostgreSQL, {Installment.objects.count():,} installments)"
        )
        with tempfile.TemporaryDirectory() as folder:
            path = Path(folder) / "payments.csv"
            write_csv(path, accounts=options.accounts, rows=options.rows)
            size = path.stat().st_size
            print(f"file: {options.rows:,} payments, {size / 1e6:.1f} MB")

            bare = baseline(path)
            print(f"baseline (csv module + COPY into a bare table): {bare:6.2f} s  {options.rows / bare:9,.0f} rows/s")

            spent = timed_payment_service()
            started = time.perf_counter()
            batch = import_file(kind="payments", path=path)
            ours = time.perf_counter() - started
            in_service, committing = spent["seconds"], spent["commit"]
            own = ours - in_service - committing
            spent.update(seconds=0.0, commit=0.0)
            assert batch.status == "applied", (batch.status, batch.message)
            assert batch.created_count == options.rows, batch.message
            rate = options.rows / ours
            verdict = "OK" if rate >= REQUIRED_ROWS_PER_SECOND else "TOO SLOW"
            print(
                f"import_csv payments (check + record + allocate): {ours:6.2f} s  {rate:9,.0f} rows/s  "
                f"({ours / bare:.1f}x the baseline; requirement >= {REQUIRED_ROWS_PER_SECOND:,} rows/s: {verdict})"
            )
            print(
                f"  of which lending.services.payments_record_batch (record + allocate): {in_service:6.2f} s; "
                f"COMMIT (deferred foreign-key checks of the rows inserted): {committing:6.2f} s;\n"
                f"  the intake's own work (store, read, parse, check, two passes): {own:6.2f} s"
                f" = {options.rows / own:,.0f} rows/s"
            )
            print(
                f"  {Payment.objects.count():,} payments, {PaymentAllocation.objects.count():,} allocations, "
                f"{Installment.objects.filter(paid_off_on__isnull=False).count():,} installments paid off"
            )
            snapshot = (Payment.objects.count(), PaymentAllocation.objects.count())

            started = time.perf_counter()
            again = import_file(kind="payments", path=path)
            repeat = time.perf_counter() - started
            in_service = spent["seconds"]
            assert again.status == "applied" and again.unchanged_count == options.rows, again.message
            assert (Payment.objects.count(), PaymentAllocation.objects.count()) == snapshot
            print(
                f"the same file again (nothing changes, {again.unchanged_count:,} unchanged): {repeat:6.2f} s  "
                f"{options.rows / repeat:9,.0f} rows/s (payments_record_batch: {in_service:.2f} s)"
            )
    finally:
        if not options.keep:
            database_drop(BENCH_URL)


if __name__ == "__main__":
    main()
