"""
The collection lifecycle over a million accounts, on PostgreSQL.

    flock /tmp/arrears/bench.lock .venv/bin/python bench/collection_nightly.py [--accounts 1000000] [--keep]

Creates the database `arrears_bench_collection` on 127.0.0.1:5432 (user
postgres, or BENCH_DATABASE_URL), drops it first if it exists, migrates it and
fills it with set-based SQL (generate_series), as bench/nightly_refresh.py
does: N accounts with six monthly installments each (nine borrowers for every
ten accounts, so some borrowers have two), about 7% of them delinquent; three
teams of 50 collectors with work rules (early, late, anything else). Then:

1. lending's run for yesterday and the lifecycle's **first run ever**, which
   opens every case (~70,000) and shares them out;
2. a night's work for today: promises falling due (5% of the cases, half of
   them paid), repayment plans with an installment falling due (2%, half of
   them paid), lending's run for today;
3. the open-case refresh for today, side by side with one hand-written SQL
   UPDATE computing the same figures (the baseline), each in a transaction
   rolled back afterwards, alternated, best of two, with a checksum that
   they leave the same figures;
4. the lifecycle for today (**a normal night**), then again (**second run**:
   must change nothing).

The database is dropped at the end unless --keep is given.
"""

import argparse
import sys
import time
from datetime import date
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from benchdb import bench_environment, database_drop, database_recreate, django_migrated, scalar, sql, timed_rolled_back  # noqa: E402
from portfolio_sql import portfolio_load  # noqa: E402

BENCH_URL = bench_environment("arrears_bench_collection")

YESTERDAY = date(2026, 6, 14)
AS_OF = date(2026, 6, 15)
LATE_PERCENT = 9  # of accounts marked late; ~7% end up delinquent
TEAMS = (("Early", ["early"], 1), ("Late", ["late"], 2), ("Anything", [], 3))
COLLECTORS_PER_TEAM = 50


def load(accounts: int) -> None:
    bulk, borrowers, seconds = portfolio_load(
        accounts=accounts, borrowers_per_ten=9, as_of=AS_OF, late_percent=LATE_PERCENT, province="'P' || (g %% 31)"
    )
    print(f"loaded {accounts:,} accounts of {borrowers:,} borrowers in {seconds:.1f} s", flush=True)
    started = time.perf_counter()
    bulk.structures_restore()
    sql("VACUUM ANALYZE")
    print(f"indexes, constraints, VACUUM ANALYZE in {time.perf_counter() - started:.1f} s", flush=True)


def staff_create() -> None:
    from accounts.models import Team, User
    from collection.models import CollectorCapacity, TeamWorkRule

    for name, stages, order in TEAMS:
        team = Team.objects.create(name=name, kind=Team.Kind.EARLY)
        TeamWorkRule.objects.create(team=team, order=order, stages=stages)
        users = User.objects.bulk_create(
            User(username=f"{name.lower()}{number}", role="collector", team=team, password="!")  # noqa: S106 (unusable)
            for number in range(COLLECTORS_PER_TEAM)
        )
        # A fifth of each team works part time.
        CollectorCapacity.objects.bulk_create(CollectorCapacity(user=user, capacity=150) for user in users[::5])


def night_work_create() -> None:
    """What a day on the floor leaves for tonight: promises and plan installments falling due, some paid."""
    seconds = sql(
        """
        INSERT INTO collection_promisetopay (case_id, amount, currency, due_on, status, paid_amount, created_at)
        SELECT c.id, 500.00, c.currency, CAST(%(yesterday)s AS date), 'pending', 0, %(taken)s
        FROM collection_case c WHERE c.status <> 'closed' AND c.id %% 20 = 0
        """,
        {"yesterday": YESTERDAY, "taken": f"{YESTERDAY.isoformat()} 02:00:00+00"},
    )
    seconds += sql(
        """
        INSERT INTO collection_arrangement (case_id, kind, status, currency, balance_at_start, total_to_pay,
            concession, waived_penalty, waived_fees, waived_interest, notes, requested_at, decided_at,
            decision_note)
        SELECT c.id, 'repayment_plan', 'active', c.currency, c.outstanding_balance, 1500.00, 0, 0, 0, 0, '',
               %(taken)s, %(taken)s, ''
        FROM collection_case c WHERE c.status <> 'closed' AND c.id %% 50 = 1
        """,
        {"taken": f"{(YESTERDAY.replace(day=1)).isoformat()} 02:00:00+00"},
    )
    seconds += sql(
        """
        INSERT INTO collection_arrangementinstallment (arrangement_id, number, due_on, amount, paid_amount, status)
        SELECT r.id, n, CAST(%(yesterday)s AS date) + 30 * (n - 1), 500.00, 0, 'due'
        FROM collection_arrangement r CROSS JOIN generate_series(1, 3) n
        """,
        {"yesterday": YESTERDAY},
    )
    # Half of those cases paid 500 on one of their accounts yesterday.
    seconds += sql(
        """
        INSERT INTO lending_payment (external_id, account_id, amount, received_at, channel, status,
            unapplied_amount, reversal_reason, recorded_at)
        SELECT 'BENCH-' || c.id, MIN(m.account_id), 500.00, %(paid)s, 'app', 'applied', 0, '', now()
        FROM collection_case c JOIN collection_caseaccount m ON m.case_id = c.id
        WHERE c.status <> 'closed' AND (c.id %% 40 = 0 OR c.id %% 100 = 1)
        GROUP BY c.id
        """,
        {"paid": f"{YESTERDAY.isoformat()} 04:00:00+00"},
    )
    sql("VACUUM ANALYZE")
    print(
        f"tonight's work: {scalar('SELECT COUNT(*) FROM collection_promisetopay'):,} promises, "  # noqa: S608
        f"{scalar('SELECT COUNT(*) FROM collection_arrangement'):,} plans, "
        f"{scalar('SELECT COUNT(*) FROM lending_payment'):,} payments ({seconds:.1f} s)",
        flush=True,
    )


# The baseline: the open-case refresh as one would write it by hand, in one statement.
BASELINE = """
UPDATE collection_case c SET
    days_past_due = f.dpd,
    bucket = CASE WHEN f.dpd = 0 THEN 'M0' WHEN f.dpd <= 30 THEN 'M1' WHEN f.dpd <= 60 THEN 'M2'
                  WHEN f.dpd <= 90 THEN 'M3' WHEN f.dpd <= 120 THEN 'M4' WHEN f.dpd <= 150 THEN 'M5'
                  WHEN f.dpd <= 180 THEN 'M6' ELSE 'M6+' END,
    overdue_principal = f.op, overdue_interest = f.oi, overdue_fees = f.of, overdue_penalty = f.opn,
    overdue_total = f.op + f.oi + f.of + f.opn, outstanding_balance = f.ob, updated_at = now()
FROM (
    SELECT m.case_id, MAX(a.days_past_due) AS dpd, SUM(a.overdue_principal) AS op, SUM(a.overdue_interest) AS oi,
           SUM(a.overdue_fees) AS of, SUM(a.overdue_penalty) AS opn, SUM(a.outstanding_balance) AS ob
    FROM collection_caseaccount m JOIN lending_creditaccount a ON a.id = m.account_id
    WHERE m.left_on IS NULL
    GROUP BY m.case_id
) f
WHERE c.id = f.case_id AND c.status <> 'closed'
  AND (c.days_past_due, c.overdue_principal, c.overdue_interest, c.overdue_fees, c.overdue_penalty,
       c.outstanding_balance)
      IS DISTINCT FROM (f.dpd, f.op, f.oi, f.of, f.opn, f.ob)
"""

CHECKSUM = """
SELECT bucket, COUNT(*), SUM(days_past_due), SUM(overdue_principal), SUM(overdue_interest), SUM(overdue_fees),
       SUM(overdue_penalty), SUM(overdue_total), SUM(outstanding_balance)
FROM collection_case WHERE status <> 'closed' GROUP BY bucket ORDER BY bucket
"""


def work_mem_set() -> None:
    """The lifecycle's work_mem, for the baseline as for ours (not timed)."""
    from collection.lifecycle import WORK_MEM

    sql(f"SET LOCAL work_mem = '{WORK_MEM}'")


def ours_refresh():
    from django.utils import timezone

    from collection.lifecycle import _Run, cases_refresh
    from collection.models import Portfolio

    run = _Run(as_of=AS_OF, now=timezone.now(), default_portfolio=Portfolio.objects.get(is_default=True).pk)
    return cases_refresh(run)[0]


def lifecycle_timed(label: str):
    from collection.lifecycle import lifecycle_run

    started = time.perf_counter()
    report = lifecycle_run(as_of=report_day(label))
    seconds = time.perf_counter() - started
    closed = sum(report.cases_closed.values())
    print(
        f"lifecycle {report.as_of} ({label}): {seconds:6.2f} s — {report.cases_opened:,} opened, "
        f"{report.accounts_joined:,} joined, {report.accounts_left:,} left, {report.cases_refreshed:,} refreshed, "
        f"{closed:,} closed, {report.stage_changes:,} stage changes, promises {report.promises}, "
        f"installments {report.installments}, {report.arrangements_broken:,} plans broken, "
        f"{report.statuses_changed:,} statuses, "
        f"{report.cases_assigned:,} assigned; {report.changes:,} changes",
        flush=True,
    )
    print("    steps: " + ", ".join(f"{step} {value:.2f}" for step, value in report.seconds.items()), flush=True)
    return seconds, report


def report_day(label: str) -> date:
    return YESTERDAY if label.startswith("first") else AS_OF


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--accounts", type=int, default=1_000_000)
    parser.add_argument("--keep", action="store_true", help="keep the database afterwards")
    parser.add_argument(
        "--setup-only", action="store_true", help="stop (and keep the database) before the lifecycle's first run"
    )
    args = parser.parse_args()

    database_recreate(BENCH_URL)
    django_migrated()
    from lending.delinquency import run_nightly

    started = time.perf_counter()
    load(args.accounts)
    staff_create()
    print(f"database ready in {time.perf_counter() - started:.1f} s\n", flush=True)

    started = time.perf_counter()
    run_nightly(as_of=YESTERDAY)
    print(f"lending run_nightly {YESTERDAY} (setup): {time.perf_counter() - started:.1f} s", flush=True)
    sql("VACUUM ANALYZE")
    if args.setup_only:
        return
    lifecycle_timed("first run ever: every case opens")
    open_cases = scalar("SELECT COUNT(*) FROM collection_case WHERE status <> 'closed'")
    delinquent = scalar("SELECT COUNT(*) FROM lending_creditaccount WHERE days_past_due > 0")
    print(f"    {open_cases:,} open cases over {delinquent:,} delinquent accounts\n", flush=True)
    sql("VACUUM ANALYZE")

    night_work_create()
    started = time.perf_counter()
    run_nightly(as_of=AS_OF)
    print(f"lending run_nightly {AS_OF}: {time.perf_counter() - started:.1f} s\n", flush=True)
    sql("VACUUM ANALYZE")

    times, sums, counts = {"baseline": [], "ours": []}, {}, {}
    for order in (("baseline", "ours"), ("ours", "baseline")):
        for name in order:
            function = (lambda: sql(BASELINE)) if name == "baseline" else ours_refresh
            seconds, counts[name], sums[name] = timed_rolled_back(function, CHECKSUM, before=work_mem_set)
            times[name].append(seconds)
            print(f"  {name:<9} open-case refresh {AS_OF}: {seconds:6.2f} s", flush=True)
            sql("VACUUM collection_case")
    baseline, ours = min(times["baseline"]), min(times["ours"])
    print(f"\nOpen-case refresh of {open_cases:,} cases for {AS_OF}:")
    print(f"  baseline (one hand-written UPDATE): {baseline:6.2f} s")
    print(f"  ours (lifecycle.cases_refresh):     {ours:6.2f} s   ratio {ours / baseline:.2f}x")
    print(f"  identical figures: {sums['ours'] == sums['baseline']}; cases written by ours: {counts['ours']:,}\n")

    lifecycle_timed("a normal night")
    _seconds, second = lifecycle_timed("second run, same day")
    print(f"    second run changed nothing: {second.changes == 0}", flush=True)
    if not args.keep:
        database_drop(BENCH_URL)


if __name__ == "__main__":
    main()
