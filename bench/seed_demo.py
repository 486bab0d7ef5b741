"""
Benchmark: `manage.py seed_demo --accounts 1000000` on PostgreSQL (issue 3: at most 5 minutes, memory bounded).

    .venv/bin/python bench/seed_demo.py                 # a million accounts
    .venv/bin/python bench/seed_demo.py --accounts 100000   # a quick run

It (re)creates the database arrears_bench_seed on the local PostgreSQL
(BENCH_PG_URL, default postgres://postgres@127.0.0.1:5432, trust auth),
migrates it, runs seed_demo in this process and prints the elapsed time and
the process's peak memory (ru_maxrss) beside a baseline measured in the same
run: PostgreSQL itself generating the same number of rows into the same
tables with INSERT ... SELECT generate_series (constant values of the same
shape: every table, its indexes and constraints), i.e. the cost of merely
storing what seed_demo stores, with no generation and no network. The
database is dropped at the end unless --keep.
"""

import argparse
import os
import resource
import sys
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from benchdb import bench_environment, database_drop, database_recreate  # noqa: E402

DB_NAME = "arrears_bench_seed"
BENCH_URL = bench_environment(DB_NAME)
# seed_demo refuses to run with DEBUG off (it makes well-known demo passwords).
os.environ.setdefault("DEBUG", "true")

# The baseline: each table's rows made inside PostgreSQL. {n} is the row count
# seed_demo wrote to the table; {a} the number of accounts, {b} of borrowers.
BASELINE = [
    (
        "lending_borrower",
        "INSERT INTO lending_borrower (id, external_id, name, national_id, date_of_birth, employer, monthly_income,"
        " province, city, district, language, time_zone, risk_grade, credit_score, is_deceased, is_bankrupt,"
        " is_vulnerable, do_not_contact, cease_contact_requested, created_at, updated_at)"
        " SELECT g, 'B' || lpad(g::text, 9, '0'), '王小明', '11010119900101123X', '1990-01-01',"
        " '深圳市华鑫电子科技有限公司',"
        " 8800.00, '广东省', '深圳市', '南山区', 'zh-hans', 'Asia/Shanghai', 'B', 700, false, false, false, false,"
        " false, now(), now() FROM generate_series(1, {n}) g",
    ),
    (
        "lending_contactpoint",
        "INSERT INTO lending_contactpoint (id, external_id, borrower_id, kind, value, owner, third_party_name,"
        " relation, is_primary, is_verified, consent_sms, consent_email, consent_recorded_on, do_not_contact,"
        " number_e164)"
        " SELECT g, 'C' || g, 1 + g % {b}, 'mobile', '138' || lpad(g::text, 8, '0'), 'borrower', '', '', true, true,"
        " true, false, '2026-01-01', false, '+86138' || lpad(g::text, 8, '0') FROM generate_series(1, {n}) g",
    ),
    (
        "lending_creditaccount",
        "INSERT INTO lending_creditaccount (id, external_id, borrower_id, product_id, opened_on, credit_limit,"
        " available_credit, status, days_past_due, bucket, oldest_unpaid_due_on, overdue_principal, overdue_interest,"
        " overdue_fees, overdue_penalty, outstanding_balance, credit_balance)"
        " SELECT g, 'A' || lpad(g::text, 9, '0'), 1 + g % {b}, (SELECT min(id) FROM lending_creditproduct),"
        " '2026-01-15', 10000.00, 4000.00, 'active', 0, 'M0', NULL, 0, 0, 0, 0, 6000.00, 0"
        " FROM generate_series(1, {n}) g",
    ),
    (
        "lending_creditlimitchange",
        "INSERT INTO lending_creditlimitchange (id, account_id, changed_at, previous_limit, new_limit, reason, note,"
        " actor_id) SELECT g, 1 + g % {a}, now(), 0, 10000.00, 'intake', '', NULL FROM generate_series(1, {n}) g",
    ),
    (
        "lending_installment",
        "INSERT INTO lending_installment (id, account_id, number, order_reference, lent_on, due_on, principal_due,"
        " interest_due, fee_due, penalty_accrued, principal_paid, interest_paid, fee_paid, penalty_paid,"
        " late_fee_charged, penalty_accrued_through, paid_off_on)"
        " SELECT g, 1 + g % {a}, 1 + g / {a}, 'JD2026031212345678', '2026-01-15', '2026-02-15', 1000.00, 12.50, 0, 0,"
        " 1000.00, 12.50, 0, 0, false, NULL, '2026-02-14' FROM generate_series(1, {n}) g",
    ),
    (
        "lending_payment",
        "INSERT INTO lending_payment (id, external_id, account_id, amount, received_at, channel, status,"
        " unapplied_amount, reversed_at, reversal_reason, import_batch_id, recorded_at)"
        " SELECT g, 'P' || g, 1 + g % {a}, 1012.50, now(), 'app', 'applied', 0, NULL, '', NULL, now()"
        " FROM generate_series(1, {n}) g",
    ),
    (
        "lending_paymentallocation",
        "INSERT INTO lending_paymentallocation (id, payment_id, installment_id, component, amount)"
        " SELECT g, 1 + g / 2, 1 + g / 2, CASE WHEN g % 2 = 0 THEN 'interest' ELSE 'principal' END, 500.00"
        " FROM generate_series(1, {n}) g",
    ),
]


class PostgresCpu:
    """
    The CPU time of the PostgreSQL processes serving the benchmark's database
    (its sessions and their parallel workers), sampled from /proc while
    seed_demo runs: a figure that other work on the machine disturbs less
    than the elapsed time. A process's last fraction of a second before it
    ends escapes it. Zero where /proc does not show them (another host).
    """

    def __init__(self, database: str):
        self.database = database
        self.seen = {}  # pid → whether it serves the database (a process's command line is read once)
        self.ticks = {}  # pid → utime + stime at its last sample
        self.before = {}  # pid → utime + stime when the measure began
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)

    def _run(self):
        while not self.stop.wait(0.5):
            self.sample()

    def _serves(self, pid: int) -> bool:
        try:
            command = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            return False
        if not command.startswith("postgres:"):
            return False
        ours = [other for other, serves in self.seen.items() if serves]
        return f" {self.database} " in command or any(f"for PID {other}" in command for other in ours)

    def sample(self):
        for name in os.listdir("/proc"):
            if name.isdigit() and int(name) not in self.seen:
                self.seen[int(name)] = self._serves(int(name))
        for pid, serves in self.seen.items():
            if not serves:
                continue
            try:
                fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue  # ended: its last sample stands
            self.ticks[pid] = int(fields[11]) + int(fields[12])

    def __enter__(self):
        self.sample()
        self.before = dict(self.ticks)
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.stop.set()
        self.thread.join()
        self.sample()

    @property
    def seconds(self) -> float:
        spent = sum(ticks - self.before.get(pid, 0) for pid, ticks in self.ticks.items())
        return spent / os.sysconf("SC_CLK_TCK")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[1])
    parser.add_argument("--accounts", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--as-of", default="2026-11-28")
    parser.add_argument("--keep", action="store_true", help="Keep the database afterwards.")
    args = parser.parse_args()

    database_recreate(BENCH_URL)
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection, transaction

    from lending.demo import writers

    call_command("migrate", verbosity=0)

    rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    cpu_before = resource.getrusage(resource.RUSAGE_SELF)
    started = time.perf_counter()
    with PostgresCpu(DB_NAME) as postgres_cpu:
        call_command("seed_demo", accounts=args.accounts, seed=args.seed, as_of=args.as_of, force=True)
    elapsed = time.perf_counter() - started
    cpu_after = resource.getrusage(resource.RUSAGE_SELF)
    python_cpu = cpu_after.ru_utime + cpu_after.ru_stime - cpu_before.ru_utime - cpu_before.ru_stime
    peak_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss

    counts = {}
    with connection.cursor() as cursor:
        for _model, name in [(m, m._meta.db_table) for m in writers.PORTFOLIO_MODELS]:
            cursor.execute(f"SELECT COUNT(*) FROM {name}")  # noqa: S608
            counts[name] = cursor.fetchone()[0]
    borrowers = counts["lending_borrower"]

    # Baseline: the same row counts generated inside PostgreSQL, into the same
    # tables (emptied first), in one transaction rolled back at the end.
    baseline_seconds = {}
    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL synchronous_commit = off")
            writers.portfolio_delete()
            for table, sql in BASELINE:
                step = time.perf_counter()
                cursor.execute(sql.format(n=counts[table], a=args.accounts, b=borrowers))
                baseline_seconds[table] = time.perf_counter() - step
        transaction.set_rollback(True)
    baseline = sum(baseline_seconds.values())

    print()
    print(f"seed_demo --accounts {args.accounts:,} on PostgreSQL ({DB_NAME})")
    for table, count in counts.items():
        extra = f"   baseline {baseline_seconds[table]:6.1f} s" if table in baseline_seconds else ""
        print(f"  {table:<28} {count:>12,} rows{extra}")
    rows = sum(counts[table] for table in baseline_seconds)
    print(f"  seed_demo (generation, COPY, payments in SQL, ANALYZE, nightly run, demo staff): {elapsed:7.1f} s")
    print(f"  baseline (INSERT ... SELECT generate_series of the same {rows:,} rows):          {baseline:7.1f} s")
    print(f"  ratio: {elapsed / baseline:.2f}x the baseline; target: <= 300 s for 1,000,000 accounts")
    print(f"  CPU: this process {python_cpu:.1f} s, PostgreSQL (its sessions) {postgres_cpu.seconds:.1f} s")
    print(f"  peak memory (ru_maxrss): {peak_kib / 1024:.0f} MiB (before seeding {rss_before / 1024:.0f} MiB)")
    connection.close()
    if not args.keep:
        database_drop(BENCH_URL)


if __name__ == "__main__":
    main()
