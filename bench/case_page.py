"""
The case page on a realistic portfolio, on PostgreSQL.

    flock /tmp/arrears/bench.lock .venv/bin/python bench/case_page.py [--accounts 1000000] [--cases 40]
        [--runs 15] [--keep] [--reuse]

Creates the database `arrears_bench_case` on 127.0.0.1:5432 (user postgres, or
BENCH_DATABASE_URL), loads `seed_demo --accounts N` (borrowers, contact points,
accounts, schedules, payments with their allocations, the nightly run), the
demo staff, then opens the cases with the collection lifecycle and writes the
demo's collection history (calls, promises, holds, arrangements, visits,
timeline) for them. It then measures, side by side in this run, for
`--cases` open cases picked evenly by id, as the case's own collector (warm,
DEBUG off, django.test.Client):

1. the case page: median server time and SQL queries (issue 4: <= 25 queries,
   median <= 150 ms);
2. the baseline: the Django admin change page of the same case (the project's
   read-only CaseAdmin), which shows far less.

The database is dropped at the end unless --keep (--reuse measures a kept one).
"""

import argparse
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from benchdb import bench_environment, database_drop, database_recreate, django_migrated, pages_environment  # noqa: E402

BENCH_URL = bench_environment("arrears_bench_case")
pages_environment()
REQUIRED_QUERIES, REQUIRED_MS = 25, 150


def load(accounts: int, sample: int) -> None:
    import datetime

    from django.utils import timezone

    from accounts.demo import demo_staff_ensure
    from collection.demo import collection_demo_seed
    from collection.lifecycle import collection_nightly_run
    from lending.demo.services import demo_portfolio_seed

    today = timezone.localdate()
    started = time.perf_counter()
    demo_portfolio_seed(accounts=accounts, seed=1, as_of=today)
    print(f"seed_demo --accounts {accounts:,}: {time.perf_counter() - started:.1f} s", flush=True)
    demo_staff_ensure()
    started = time.perf_counter()
    # A history for about `sample` cases (writing one for all 70,000 would take the demo's Python a long while).
    every = max(1, int(accounts * 0.07) // sample)
    result = collection_demo_seed(seed=1, today=today, lifecycle=collection_nightly_run, every=every)
    print(
        f"collection demo: {result.cases:,} cases with history {result.rows} in {time.perf_counter() - started:.1f} s"
        f" (as of {today.isoformat()}, {datetime.datetime.now():%H:%M})",
        flush=True,
    )


def timed(client, url, runs):
    from django.db import connection

    for _ in range(2):
        response = client.get(url)
        assert response.status_code == 200, (url, response.status_code)
    queries = []

    def record(execute, sql_text, params, many, context):
        queries.append(sql_text)
        return execute(sql_text, params, many, context)

    with connection.execute_wrapper(record):
        client.get(url)
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        client.get(url)
        times.append(time.perf_counter() - started)
    return statistics.median(times), len(queries)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--accounts", type=int, default=1_000_000)
    parser.add_argument("--cases", type=int, default=40)
    parser.add_argument("--runs", type=int, default=15)
    parser.add_argument("--keep", action="store_true")
    parser.add_argument("--reuse", action="store_true")
    args = parser.parse_args()

    if not args.reuse:
        database_recreate(BENCH_URL)
    django_migrated()
    from django.test import Client
    from django.urls import reverse

    from accounts.models import User
    from collection.models import Case, CaseEvent

    try:
        if not args.reuse:
            load(args.accounts, sample=3 * args.cases)
        # The cases with a history (the demo wrote one for a sample).
        open_cases = (
            Case.objects.exclude(status="closed")
            .exclude(assigned_to__isnull=True)
            .filter(contacts__isnull=False)
            .distinct()
        )
        ids = list(open_cases.order_by("id").values_list("id", flat=True))
        step = max(1, len(ids) // args.cases)
        picked = ids[::step][: args.cases]
        print(f"{len(ids):,} open assigned cases; measuring {len(picked)} of them, {args.runs} runs each", flush=True)
        admin = Client()
        admin.force_login(User.objects.get(username="admin"))
        clients = {}
        ours, baseline, query_counts, events = [], [], [], []
        for case in Case.objects.filter(pk__in=picked).select_related("assigned_to"):
            if case.assigned_to_id not in clients:
                clients[case.assigned_to_id] = Client()
                clients[case.assigned_to_id].force_login(case.assigned_to)
            median, queries = timed(
                clients[case.assigned_to_id], reverse("collection:case_detail", args=[case.pk]), args.runs
            )
            ours.append(median)
            query_counts.append(queries)
            events.append(CaseEvent.objects.filter(case=case).count())
            median, _queries = timed(admin, reverse("admin:collection_case_change", args=[case.pk]), args.runs)
            baseline.append(median)
        page_ms, admin_ms = 1000 * statistics.median(ours), 1000 * statistics.median(baseline)
        verdict = "ok" if page_ms <= REQUIRED_MS and max(query_counts) <= REQUIRED_QUERIES else "NOT MET"
        print(
            f"\ncase page ({len(picked)} cases, {min(events)}-{max(events)} timeline lines each):"
            f" median {page_ms:.1f} ms (slowest case's median {1000 * max(ours):.1f} ms),"
            f" queries {min(query_counts)}-{max(query_counts)}"
        )
        print(f"baseline, the admin change page of the same cases: median {admin_ms:.1f} ms")
        print(f"requirement <= {REQUIRED_QUERIES} queries and median <= {REQUIRED_MS} ms: {verdict}")
    finally:
        if not args.keep:
            database_drop(BENCH_URL)


if __name__ == "__main__":
    main()
