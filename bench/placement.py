"""
Placing 10,000 cases with an agency in one batch (`cases_place`), on
PostgreSQL or SQLite, beside the bare SQL of the same rows.

    flock /tmp/arrears/bench.lock .venv/bin/python bench/placement.py [--cases 10000] [--runs 3]
        [--database-url postgres://postgres@127.0.0.1:5432/arrears_bench_placement | sqlite:///var/bench.sqlite3]
        [--keep]

Creates the database (PostgreSQL: drops it first if it exists; SQLite: a new
file), migrates it and fills it with set-based SQL that both databases run (a
recursive CTE): N borrowers, one overdue account and one open case each, in
mixed stages, buckets and balances; an agency with a contract in force whose
caseload takes them all, and a manager. Then, side by side in this one run,
each in a transaction rolled back afterwards (best of --runs, taken in turn):

1. **ours**: `cases_place` of every case (the checks — scope, closed, placed,
   held, legal, regions, products, currency, caseload —, the batch, the
   Placement rows, the cases' stage and agency, a StageChange and a timeline
   line per case, the audit event);
2. **baseline**: the bare raw-SQL INSERT ... SELECT of the same Placement rows
   and the UPDATE of the cases (no checks, no history).

Requirement (issue 13): ours ≤ 10 s. The database is dropped at the end unless --keep.
"""

import argparse
import os
import sys
import time
from datetime import date
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

LIMIT_SECONDS = 10.0
DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/arrears_bench_placement"
ON = date(2026, 6, 15)


def parse():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--cases", type=int, default=10_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--database-url", default=os.environ.get("BENCH_DATABASE_URL", DEFAULT_URL))
    parser.add_argument("--keep", action="store_true")
    return parser.parse_args()


ARGS = parse()
os.environ["BENCH_DATABASE_URL"] = ARGS.database_url

from benchdb import bench_environment, database_drop, database_recreate, django_migrated, sql  # noqa: E402

BENCH_URL = bench_environment("arrears_bench_placement")
IS_SQLITE = BENCH_URL.startswith("sqlite")


def sqlite_path() -> Path:
    return Path(BENCH_URL.removeprefix("sqlite:///"))


def load(cases: int):
    from accounts.roles import Role
    from collection.models import Agency, AgencyContract, Portfolio, TierBasis
    from lending.models import CreditProduct
    from tests.factories import UserFactory

    started = time.perf_counter()
    product = CreditProduct.objects.create(
        code="inst-6m", name="inst-6m", kind="installment", annual_interest_rate="0.1500",
        daily_penalty_rate="0.000500", late_fee="30.00", grace_days=3,
    )  # fmt: skip
    portfolio = Portfolio.objects.get(is_default=True)
    # Rows g = 1..n, in SQL both databases run (a recursive CTE rather than PostgreSQL's generate_series).
    values = {"n": cases, "product": product.pk, "portfolio": portfolio.pk}
    sql(
        "WITH RECURSIVE s(g) AS (SELECT 1 UNION ALL SELECT g + 1 FROM s WHERE g < %(n)s) "
        "INSERT INTO lending_borrower (id, external_id, name, national_id, employer, province, city, "
        "district, language, time_zone, risk_grade, is_deceased, is_bankrupt, is_vulnerable, do_not_contact, "
        "cease_contact_requested, created_at, updated_at) "
        "SELECT g, 'B' || g, 'Borrower ' || g, '', '', CASE WHEN g %% 3 = 0 THEN 'Shanghai' ELSE 'Beijing' END, "
        "'C', 'D', 'zh-hans', 'Asia/Shanghai', '', FALSE, FALSE, FALSE, FALSE, FALSE, CURRENT_TIMESTAMP, "
        "CURRENT_TIMESTAMP FROM s",
        values,
    )
    sql(
        "WITH RECURSIVE s(g) AS (SELECT 1 UNION ALL SELECT g + 1 FROM s WHERE g < %(n)s) "
        "INSERT INTO lending_creditaccount (id, external_id, borrower_id, product_id, opened_on, "
        "credit_limit, available_credit, status, days_past_due, bucket, overdue_principal, overdue_interest, "
        "overdue_fees, overdue_penalty, outstanding_balance, credit_balance) "
        "SELECT g, 'A' || g, g, %(product)s, '2025-06-01', 10000, 0, 'active', 31 + g %% 150, 'M2', 1000, 0, 0, 0, "
        "6000, 0 FROM s",
        values,
    )
    sql(
        "WITH RECURSIVE s(g) AS (SELECT 1 UNION ALL SELECT g + 1 FROM s WHERE g < %(n)s) "
        "INSERT INTO collection_case (id, borrower_id, portfolio_id, opened_on, close_outcome, stage, "
        "status, reason, currency, days_past_due, bucket, overdue_principal, overdue_interest, overdue_fees, "
        "overdue_penalty, overdue_total, outstanding_balance, priority, broken_promises, has_broken_promise, "
        "strategy_priority_boost, limitation_restarted_by, created_at, updated_at) "
        "SELECT g, g, %(portfolio)s, '2026-01-15', '', CASE WHEN g %% 4 = 0 THEN 'field' ELSE 'late' END, "
        "'open', 'unknown', 'CNY', 31 + g %% 150, CASE WHEN g %% 150 < 30 THEN 'M2' ELSE 'M3' END, "
        "200 + (g * 7919) %% 11800, 0, 0, 0, 200 + (g * 7919) %% 11800, 3 * (200 + (g * 7919) %% 11800), "
        "g %% 1000, 0, FALSE, 0, '', CURRENT_TIMESTAMP, CURRENT_TIMESTAMP FROM s",
        values,
    )
    sql(
        "INSERT INTO collection_caseaccount (case_id, account_id, joined_on) "
        "SELECT id, id, opened_on FROM collection_case"
    )
    if not IS_SQLITE:
        for table in ("lending_borrower", "lending_creditaccount", "collection_case"):
            sql(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT max(id) FROM {table}))")  # noqa: S608
        sql("VACUUM ANALYZE")
    else:
        sql("ANALYZE")
    agency = Agency.objects.create(code="NORTH", name="North Recoveries")
    contract = AgencyContract.objects.create(
        agency=agency, reference="CT-1", starts_on=date(2026, 1, 1), ends_on=date(2026, 12, 31),
        tier_basis=TierBasis.BUCKET, placement_days=90, max_caseload=cases * 2, regions=["Beijing", "Shanghai"],
    )  # fmt: skip
    contract.products.add(product)
    manager = UserFactory(username="bench-manager", role=Role.MANAGER)
    return agency, contract, manager, time.perf_counter() - started


def ours(agency, manager, case_ids):
    from collection.agencies.placement import cases_place

    def run():
        return cases_place(case_ids=case_ids, agency=agency, actor=manager, placed_on=ON)

    return run


def baseline(agency, contract, manager):
    """The bare SQL: a batch row (untimed), then the INSERT ... SELECT of the placements and the UPDATE of the cases."""
    from collection.models import PlacementBatch

    state = {}

    def before():
        state["batch"] = PlacementBatch.objects.create(
            agency=agency, contract=contract, placed_on=ON, recall_due_on=date(2026, 9, 13), created_by=manager
        )

    def run():
        batch = state["batch"].pk
        params = {"batch": batch, "agency": agency.pk, "contract": contract.pk, "on": ON, "due": date(2026, 9, 13)}
        sql(
            "INSERT INTO collection_placement (batch_id, agency_id, contract_id, case_id, placed_on, placed_at, "
            "recall_due_on, stage_before, balance_at_placement, overdue_at_placement, bucket_at_placement, "
            "days_past_due_at_placement, currency, status, recall_reason, recall_note) "
            "SELECT %(batch)s, %(agency)s, %(contract)s, id, %(on)s, CURRENT_TIMESTAMP, %(due)s, stage, "
            "outstanding_balance, overdue_total, bucket, days_past_due, currency, 'active', '', '' "
            "FROM collection_case WHERE status <> 'closed'",
            params,
        )
        sql(
            "UPDATE collection_case SET stage = 'agency', agency_id = %(agency)s, updated_at = CURRENT_TIMESTAMP "
            "WHERE id IN (SELECT case_id FROM collection_placement WHERE batch_id = %(batch)s)",
            params,
        )

    return before, run


def timed(function, *, before=None) -> tuple[float, int]:
    """Seconds of `function` in a transaction rolled back (after `before`, untimed), and the placements it left."""
    from django.db import transaction

    from collection.models import Placement

    with transaction.atomic():
        if before is not None:
            before()
        started = time.perf_counter()
        function()
        seconds = time.perf_counter() - started
        placed = Placement.objects.count()
        transaction.set_rollback(True)
    return seconds, placed


def main() -> int:
    if IS_SQLITE:
        sqlite_path().parent.mkdir(parents=True, exist_ok=True)
        sqlite_path().unlink(missing_ok=True)
    else:
        database_recreate(BENCH_URL)
    try:
        django_migrated()
        from django.db import connection

        agency, contract, manager, seconds = load(ARGS.cases)
        case_ids = list(range(1, ARGS.cases + 1))
        print(f"{connection.vendor}: {ARGS.cases:,} open cases loaded in {seconds:.1f} s")
        before, bare = baseline(agency, contract, manager)
        ours_runs, bare_runs = [], []
        for _ in range(ARGS.runs):
            seconds, placed = timed(ours(agency, manager, case_ids))
            assert placed == ARGS.cases, placed
            ours_runs.append(seconds)
            seconds, placed = timed(bare, before=before)
            assert placed == ARGS.cases, placed
            bare_runs.append(seconds)
        best, floor = min(ours_runs), min(bare_runs)
        print(f"cases_place, {ARGS.cases:,} cases in one batch: {best:.2f} s (best of {ARGS.runs})")
        print(f"baseline (bare INSERT ... SELECT + UPDATE):       {floor:.2f} s  ({best / floor:.1f}x)")
        verdict = "OK" if best <= LIMIT_SECONDS else "TOO SLOW"
        print(f"requirement: <= {LIMIT_SECONDS:.0f} s  -> {verdict}")
        return 0 if best <= LIMIT_SECONDS else 1
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
