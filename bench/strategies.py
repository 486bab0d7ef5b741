"""
Segments and strategies over 70,000 open cases, on PostgreSQL, beside the
bare set-based selection of the cases each step applies to.

    flock /tmp/arrears/bench.lock .venv/bin/python bench/strategies.py [--cases 70000] [--runs 2] [--keep]

Creates the database `arrears_bench_strategies` on 127.0.0.1:5432 (user
postgres, or BENCH_DATABASE_URL), drops it first if it exists, migrates it
and fills it with set-based SQL: N borrowers with a mobile, one account and
one open case each, days past due spread over 1-180, overdue amounts over
200-12,000, 5% of the cases promised and 2% on hold. Five segments (Early
1-30 with a 30% challenger, High balance ≥ 8,000, Late 31-90, Legal-ready
> 90, the catch-all), with strategies of three to five steps (messages,
calls, stage moves).

1. **First night** (every case enters its segment and does the step its
   days call for): segments_assign + strategies_run, timed once.
2. Every open case is a day later (days past due + 1).
3. **A normal night**: ours (segments_assign + strategies_run, in a
   transaction rolled back afterwards, best of --runs) against the baseline,
   in the same state: one raw SQL SELECT of each open case's segment (a
   CASE over the segments' conditions) and, for every step, one raw SQL
   SELECT of the cases where it is due (version, not paused, after the last
   step done, trigger reached, no later step due, not done since entering),
   best of --runs. Limits: ours ≤ 30 s, and ≤ 3× the baseline.

The database is dropped at the end unless --keep is given.
"""

import argparse
import sys
import time
from datetime import date, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from benchdb import bench_environment, database_drop, database_recreate, django_migrated, scalar, sql  # noqa: E402
from portfolio_sql import borrowers_insert, products_create  # noqa: E402

BENCH_URL = bench_environment("arrears_bench_strategies")

FIRST_NIGHT = date(2026, 6, 14)
NIGHT = FIRST_NIGHT + timedelta(days=1)
LIMIT_SECONDS = 30.0
LIMIT_RATIO = 3.0


def load(cases: int) -> float:
    started = time.perf_counter()
    products = products_create()
    borrowers_insert(borrowers=cases, province="'P' || (g %% 31)")
    sql("UPDATE lending_borrower SET risk_grade = (ARRAY['A','B','C','D'])[1 + id % 4]")
    sql(
        """
        INSERT INTO lending_contactpoint (external_id, borrower_id, kind, value, number_e164, owner,
            third_party_name, relation, is_primary, is_verified, consent_sms, consent_email, do_not_contact)
        SELECT 'M' || g, g, 'mobile', '+86138' || lpad(g::text, 8, '0'), '+86138' || lpad(g::text, 8, '0'),
               'borrower', '', '', TRUE, TRUE, TRUE, FALSE, FALSE
        FROM generate_series(1, %(n)s) g
        """,
        {"n": cases},
    )
    sql(
        """
        INSERT INTO lending_creditaccount (id, external_id, borrower_id, product_id, opened_on, credit_limit,
            available_credit, status, days_past_due, bucket, overdue_principal, overdue_interest, overdue_fees,
            overdue_penalty, outstanding_balance, credit_balance)
        SELECT g, 'A' || g, g, (ARRAY[%(p0)s, %(p1)s, %(p2)s])[1 + g %% 3], CAST(%(on)s AS date) - 400, 10000, 0,
               'active', 1 + (g * 37) %% 180, 'M1', 1000, 0, 0, 0, 6000, 0
        FROM generate_series(1, %(n)s) g
        """,
        {"n": cases, "p0": products[0], "p1": products[1], "p2": products[2], "on": FIRST_NIGHT},
    )
    portfolio = scalar("SELECT id FROM collection_portfolio WHERE is_default")
    sql(
        """
        INSERT INTO collection_case (id, borrower_id, portfolio_id, opened_on, close_outcome, stage, status, reason,
            currency, days_past_due, bucket, overdue_principal, overdue_interest, overdue_fees, overdue_penalty,
            overdue_total, outstanding_balance, priority, broken_promises, has_broken_promise,
            strategy_priority_boost, limitation_restarted_by, created_at, updated_at)
        SELECT g, g, %(portfolio)s, CAST(%(on)s AS date) - dpd, '',
               CASE WHEN dpd <= 30 THEN 'early' ELSE 'late' END,
               CASE WHEN g %% 20 = 0 THEN 'promised' WHEN g %% 50 = 1 THEN 'on_hold' ELSE 'open' END,
               (ARRAY['unknown','lost_income','illness','over_borrowing'])[1 + g %% 4],
               'CNY', dpd,
               CASE WHEN dpd <= 30 THEN 'M1' WHEN dpd <= 60 THEN 'M2' WHEN dpd <= 90 THEN 'M3' ELSE 'M4' END,
               amount, 0, 0, 0, amount, amount * 3, 0, 0, FALSE, 0, '', now(), now()
        FROM (SELECT g, 1 + (g * 37) %% 180 AS dpd, 200 + (g * 7919) %% 11800 AS amount
              FROM generate_series(1, %(n)s) g) s
        """,
        {"n": cases, "portfolio": portfolio, "on": FIRST_NIGHT},
    )
    sql(
        "INSERT INTO collection_caseaccount (case_id, account_id, joined_on) "
        "SELECT id, id, opened_on FROM collection_case"
    )
    sql(
        "INSERT INTO collection_stagechange (case_id, changed_on, from_stage, to_stage) "
        "SELECT id, opened_on, '', stage FROM collection_case"
    )
    for table in ("lending_creditaccount", "collection_case"):
        sql(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT max(id) FROM {table}))")  # noqa: S608
    sql("VACUUM ANALYZE")
    return time.perf_counter() - started


def strategies_create() -> None:
    from collection.models import Segment
    from collection.strategies.services import StepDraft, segment_save, strategy_create

    def steps(*rows):
        return [StepDraft(trigger=t, trigger_days=d, action=a, params=p) for t, d, a, p in rows]

    sms = {"kind": "payment_demand", "channel": "sms"}
    early = strategy_create(
        name="Early",
        steps=steps(
            ("dpd", 1, "send_message", sms),
            ("dpd", 3, "queue_call", {"boost": 50}),
            ("dpd", 7, "send_message", {"kind": "overdue_reminder", "channel": "sms"}),
            ("dpd", 15, "queue_call", {"boost": 100}),
            ("days_in_stage", 20, "send_message", sms),
        ),
        actor=None,
    )
    early_calls = strategy_create(
        name="Early calls first",
        steps=steps(("dpd", 1, "queue_call", {"boost": 80}), ("dpd", 5, "send_message", sms)),
        actor=None,
    )
    high = strategy_create(
        name="High balance",
        steps=steps(
            ("dpd", 1, "queue_call", {"boost": 150}),
            ("dpd", 10, "send_message", sms),
            ("dpd", 30, "queue_call", {"boost": 200}),
        ),
        actor=None,
    )
    late = strategy_create(
        name="Late",
        steps=steps(
            ("dpd", 31, "send_message", sms),
            ("dpd", 35, "queue_call", {"boost": 120}),
            ("dpd", 45, "move_stage", {"stage": "field"}),
            ("dpd", 60, "send_message", {"kind": "overdue_reminder", "channel": "sms"}),
        ),
        actor=None,
    )
    legal = strategy_create(
        name="Legal-ready",
        steps=steps(("dpd", 91, "move_stage", {"stage": "agency"}), ("dpd", 120, "send_message", sms)),
        actor=None,
    )
    for name, strategy, conditions, challenger in (
        ("High balance", high, {"min_balance": 8000}, None),
        ("Early", early, {"min_days_past_due": 1, "max_days_past_due": 30}, early_calls),
        ("Late", late, {"min_days_past_due": 31, "max_days_past_due": 90}, None),
        ("Legal-ready", legal, {"min_days_past_due": 91}, None),
    ):
        segment_save(
            segment=Segment(
                name=name,
                priority=0,
                champion=strategy,
                challenger=challenger,
                challenger_share=30 if challenger else 0,
                **conditions,
            ),
            actor=None,
        )


def night(on: date) -> dict:
    from collection.strategies.engine import strategies_run
    from collection.strategies.segments import segments_assign

    counts = segments_assign(on=on)
    counts.update(strategies_run(on=on))
    return counts


# --- The baseline: the bare set-based selections, in raw SQL ------------------------------------


def _due_sql(step) -> str:
    if step.trigger == "days_in_stage":
        return (
            f"(SELECT MAX(sc.changed_on) FROM collection_stagechange sc WHERE sc.case_id = c.id "  # noqa: S608
            f"AND sc.to_stage = c.stage) <= %(on)s::date - {int(step.trigger_days)}"
        )
    return f"c.days_past_due >= {int(step.trigger_days)}"


def baseline_statements() -> list[str]:
    from collection.models import StrategyStep
    from collection.strategies.segments import segments_in_order

    statements = []
    whens = []
    segments = segments_in_order()
    for segment in segments[:-1]:
        parts = []
        if segment.min_days_past_due is not None:
            parts.append(f"c.days_past_due >= {segment.min_days_past_due}")
        if segment.max_days_past_due is not None:
            parts.append(f"c.days_past_due <= {segment.max_days_past_due}")
        if segment.min_balance is not None:
            parts.append(f"c.overdue_total >= {segment.min_balance}")
        whens.append(f"WHEN {' AND '.join(parts)} THEN {segment.pk}")
    statements.append(
        "SELECT COUNT(*) FROM (SELECT c.id, CASE "  # noqa: S608
        + " ".join(whens)
        + f" ELSE {segments[-1].pk} END AS target FROM collection_case c "
        "JOIN lending_borrower b ON b.id = c.borrower_id WHERE c.status <> 'closed') t"
    )
    steps = list(StrategyStep.objects.order_by("version_id", "position"))
    for step in steps:
        later = [s for s in steps if s.version_id == step.version_id and s.position > step.position]
        not_later = "".join(f" AND NOT ({_due_sql(s)})" for s in later)
        statements.append(
            "SELECT COUNT(*) FROM collection_casestrategy cs JOIN collection_case c ON c.id = cs.case_id "  # noqa: S608
            f"WHERE c.status <> 'closed' AND cs.strategy_version_id = {step.version_id} AND cs.paused_by = '' "
            f"AND cs.last_step_position < {step.position} AND {_due_sql(step)}{not_later} "
            "AND NOT EXISTS (SELECT 1 FROM collection_stepexecution e WHERE e.step_id = "
            f"{step.pk} AND e.case_id = cs.case_id AND e.executed_on >= cs.entered_segment_on)"
        )
    return statements


def baseline_run(statements) -> tuple[float, int]:
    from django.db import connection

    started = time.perf_counter()
    rows = []
    with connection.cursor() as cursor:
        for statement in statements:
            cursor.execute(statement, {"on": NIGHT})
            rows.append(cursor.fetchone()[0])
    # The first statement places the cases; the others are the cases each step applies to.
    return time.perf_counter() - started, sum(rows[1:])


def ours_rolled_back() -> tuple[float, dict]:
    from django.db import transaction

    with transaction.atomic():
        started = time.perf_counter()
        counts = night(NIGHT)
        seconds = time.perf_counter() - started
        transaction.set_rollback(True)
    return seconds, counts


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--cases", type=int, default=70_000)
    parser.add_argument("--runs", type=int, default=2)
    parser.add_argument("--keep", action="store_true", help="keep the database afterwards")
    args = parser.parse_args()

    database_recreate(BENCH_URL)
    try:
        django_migrated()
        seconds = load(args.cases)
        strategies_create()
        print(f"{args.cases:,} open cases loaded in {seconds:.1f} s", flush=True)

        started = time.perf_counter()
        first = night(FIRST_NIGHT)
        first_seconds = time.perf_counter() - started
        print(
            f"first night {FIRST_NIGHT}: {first_seconds:6.2f} s — {first['cases_entered']:,} entered "
            f"({first['challenger_cases']:,} challenger), {first['steps_done']:,} steps done, "
            f"{first['steps_skipped']:,} skipped",
            flush=True,
        )
        sql("UPDATE collection_case SET days_past_due = days_past_due + 1 WHERE status <> 'closed'")
        sql("VACUUM ANALYZE")

        statements = baseline_statements()
        baseline_runs, ours_runs = [], []
        counts, due = {}, 0
        for _ in range(args.runs):
            seconds, due = baseline_run(statements)
            baseline_runs.append(seconds)
            seconds, counts = ours_rolled_back()
            ours_runs.append(seconds)
        baseline, ours = min(baseline_runs), min(ours_runs)
        print(
            f"normal night {NIGHT}: ours {ours:6.2f} s — {counts['cases_moved']:,} changed segment, "
            f"{counts['cases_entered']:,} entered, {counts['steps_done']:,} steps done, "
            f"{counts['steps_skipped']:,} skipped, {counts['steps_refused']:,} refused",
            flush=True,
        )
        print(
            f"baseline (raw SQL: every open case's segment, then {len(statements) - 1} steps' selections, "
            f"{due:,} cases due): {baseline:6.2f} s",
            flush=True,
        )
        ratio = ours / baseline if baseline else float("inf")
        print(
            f"ratio {ratio:.2f}x (limit {LIMIT_RATIO:.0f}x) · ours {ours:.2f} s (limit {LIMIT_SECONDS:.0f} s) · "
            f"first night {first_seconds:.2f} s (limit {LIMIT_SECONDS:.0f} s)",
            flush=True,
        )
        ok = ratio <= LIMIT_RATIO and ours <= LIMIT_SECONDS and first_seconds <= LIMIT_SECONDS
        print("PASS" if ok else "FAIL", flush=True)
    finally:
        if not args.keep:
            database_drop(BENCH_URL)


if __name__ == "__main__":
    main()
