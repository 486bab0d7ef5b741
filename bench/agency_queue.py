"""
The agency portal's queue for an agency with 50,000 active placements among 1,000,000 accounts, on PostgreSQL.

    flock /tmp/arrears/bench.lock .venv/bin/python bench/agency_queue.py [--accounts 1000000]
        [--open-cases 150000] [--closed-cases 30000] [--placed 50000] [--runs 25] [--keep] [--reuse] [--explain]

Creates the database `arrears_bench_agency` on 127.0.0.1:5432 (user postgres,
or BENCH_DATABASE_URL), fills it with bench/queue_page.py's data generation
(N borrowers with one account each, the lender's teams and collectors, open
and closed cases with their accounts), then places, set-based, `--placed`
open cases with agency A (one batch; 25 agents and a supervisor, one
placement in six left in the agency's pool) and half as many with agency B,
as the placement service leaves them (Case.stage agency, Case.agency set, one
active Placement each). Then it measures side by side in this one run, warm,
DEBUG off, round-robin, the median server time and the SQL query count of:

1. agency A's agent, the agency queue's first page (by priority), beside the
   Django admin changelist of the same cases (agency A, open, by priority):
   the project's CaseAdmin where it can filter by agency (it cannot: it is
   listed as skipped) and a minimal ModelAdmin on its own AdminSite with the
   queue's page size (50) and no full count;
2. the same with the bucket filter (M4) sorted by overdue (largest first);
3. pages the admin has no counterpart for: "Mine", the supervisor's page
   (checkboxes and the assign form), sorted by recall due, a name search,
   page 20 as the htmx table swap, and the supervisor's team page.

Requirement (issue 13): the queue <= 12 queries and no slower than the
fastest admin changelist of the same cases. The database is dropped at the
end unless --keep is given (--reuse measures a kept one again).
"""

import argparse
import os
import sys
import time
import types
from datetime import date, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
# queue_page.py sets its own database up when imported: point it at this benchmark's.
os.environ.setdefault("BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/arrears_bench_agency")

from benchdb import database_drop, database_recreate, django_migrated, sql  # noqa: E402
from queue_page import BENCH_URL, PER_PAGE, Page, explain, load, measure, people, report  # noqa: E402

AGENTS = 25


def agencies_place(*, placed: int):
    """Agencies A and B with contracts and members; `placed` open cases placed with A, half as many with B."""
    from accounts.models import User
    from accounts.roles import Role
    from accounts.services import user_apply_role
    from collection.models import Agency, AgencyContract, AgencyMember, PlacementBatch

    today = date.today()

    def member(username, agency, supervisor=False):
        person = User(username=username, role=Role.AGENCY_AGENT, first_name=username.title())
        person.set_unusable_password()
        user_apply_role(person)
        person.save()
        AgencyMember.objects.create(user=person, agency=agency, is_supervisor=supervisor)
        return person

    made = {}
    for code, count, share in (("A", placed, 1), ("B", placed // 2, 2)):
        agency = Agency.objects.create(code=f"AG{code}", name=f"Agency {code}")
        contract = AgencyContract.objects.create(
            agency=agency, reference=f"CT-{code}", starts_on=today - timedelta(days=200),
            ends_on=today + timedelta(days=200), tier_basis="bucket", placement_days=90, max_caseload=10 * placed,
            visible_fields=["phone", "address"],
        )  # fmt: skip
        batch = PlacementBatch.objects.create(
            agency=agency, contract=contract, placed_on=today - timedelta(days=20),
            recall_due_on=today + timedelta(days=70), case_count=count,
        )  # fmt: skip
        agents = [member(f"agent{code.lower()}{n}", agency) for n in range(AGENTS)]
        supervisor = member(f"supervisor{code.lower()}", agency, supervisor=True)
        # Open case c (status not closed) with c % 3 == share; the first `count` of them.
        seconds = sql(
            """
            INSERT INTO collection_placement (batch_id, agency_id, contract_id, case_id, placed_on, placed_at,
                recall_due_on, stage_before, balance_at_placement, overdue_at_placement, bucket_at_placement,
                days_past_due_at_placement, currency, agent_id, status, recall_reason, recall_note)
            SELECT %(batch)s, %(agency)s, %(contract)s, c.id, CAST(%(today)s AS date) - CAST(c.id %% 60 AS int),
                   CAST(%(now)s AS timestamptz) - interval '1 day' * (c.id %% 60),
                   CAST(%(today)s AS date) - CAST(c.id %% 60 AS int) + 90, c.stage, c.outstanding_balance,
                   c.overdue_total, c.bucket, c.days_past_due, c.currency,
                   CASE WHEN (c.id / 3) %% 6 = 0 THEN NULL
                        ELSE (%(agents)s::bigint[])[1 + (c.id / 3) %% %(agent_count)s] END,
                   'active', '', ''
            FROM (
                SELECT id, stage, outstanding_balance, overdue_total, bucket, days_past_due, currency
                FROM collection_case WHERE status <> 'closed' AND id %% 3 = %(share)s ORDER BY id LIMIT %(count)s
            ) c
            """,
            {
                "batch": batch.pk, "agency": agency.pk, "contract": contract.pk, "today": today,
                "now": datetime.now().astimezone(), "agents": [agent.pk for agent in agents],
                "agent_count": AGENTS, "share": share, "count": count,
            },
        )  # fmt: skip
        seconds += sql(
            "UPDATE collection_case SET stage = 'agency', agency_id = %(agency)s WHERE id IN "
            "(SELECT case_id FROM collection_placement WHERE agency_id = %(agency)s AND status = 'active')",
            {"agency": agency.pk},
        )
        print(f"placed {count:,} cases with {agency.name} in {seconds:.1f} s", flush=True)
        made[code] = (agency, agents, supervisor)
    sql("VACUUM ANALYZE collection_case")
    sql("VACUUM ANALYZE collection_placement")
    return made


def bench_admin_urls():
    """A separate AdminSite with a minimal Case changelist that can filter by agency, at /benchadmin/."""
    from django.contrib import admin
    from django.urls import include, path

    from collection.models import Case

    site = admin.AdminSite(name="benchadmin")

    class MinimalCaseAdmin(admin.ModelAdmin):
        list_display = (
            "id", "borrower_name", "bucket", "days_past_due", "overdue_total", "priority", "next_action_at",
            "last_contact_at",
        )  # fmt: skip
        list_filter = ("status", "stage", "agency", "bucket")
        list_select_related = ("borrower",)
        list_per_page = PER_PAGE
        show_full_result_count = False
        ordering = ("-priority", "-id")

        @admin.display(ordering="borrower__name")
        def borrower_name(self, case):
            return case.borrower.name

    site.register(Case, MinimalCaseAdmin)
    module = types.ModuleType("bench_agency_urls")
    module.urlpatterns = [path("benchadmin/", site.urls), path("", include("config.urls"))]
    sys.modules[module.__name__] = module
    return module.__name__, MinimalCaseAdmin.list_display


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--accounts", type=int, default=1_000_000)
    parser.add_argument("--open-cases", type=int, default=150_000)
    parser.add_argument("--closed-cases", type=int, default=30_000)
    parser.add_argument("--placed", type=int, default=50_000)
    parser.add_argument("--runs", type=int, default=25)
    parser.add_argument("--keep", action="store_true", help="keep the database afterwards")
    parser.add_argument("--reuse", action="store_true", help="use the kept database as it is (no reload)")
    parser.add_argument("--explain", action="store_true", help="EXPLAIN ANALYZE each page's slowest query")
    args = parser.parse_args()

    if not args.reuse:
        database_recreate(BENCH_URL)
    django_migrated()
    from django.test import Client, override_settings

    from accounts.models import User
    from collection.models import Agency, Case, Placement

    if not args.reuse:
        started = time.perf_counter()
        teams, collectors, _manager, _admin = people()
        load(
            accounts=args.accounts,
            open_cases=args.open_cases,
            closed_cases=args.closed_cases,
            teams=teams,
            collectors=collectors,
        )
        agencies_place(placed=args.placed)
        print(f"database ready in {time.perf_counter() - started:.1f} s", flush=True)
    agency = Agency.objects.get(code="AGA")
    agent = User.objects.get(username="agenta3")
    supervisor = User.objects.get(username="supervisora")
    admin_user = User.objects.get(username="admin")
    active = Placement.objects.filter(agency=agency, status="active")
    print(
        f"{Case.objects.count():,} cases; {agency.name}: {active.count():,} active placements, "
        f"{active.filter(agent=agent).count():,} of them {agent.username}'s",
        flush=True,
    )

    urlconf, minimal_display = bench_admin_urls()
    from django.contrib import admin as django_admin

    project_admin = django_admin.site._registry.get(Case)
    open_statuses = "open,promised,on_hold,in_arrangement"

    def client_for(user):
        client = Client()
        client.force_login(user)
        return client

    def order(name):
        return f"-{list(minimal_display).index(name) + 1}"

    with override_settings(ROOT_URLCONF=urlconf):
        as_agent, as_supervisor, as_admin = (client_for(user) for user in (agent, supervisor, admin_user))
        admin_base = {"agency__id__exact": agency.pk, "status__in": open_statuses}
        if project_admin is not None and "agency" not in project_admin.list_filter:
            print("(the project's CaseAdmin cannot filter by agency: only the minimal ModelAdmin is a baseline)")
        scenarios = [
            (
                f"Agent ({agent.username}), agency queue: first page, by priority",
                {},
                {**admin_base, "o": order("priority")},
            ),
            (
                f"Agent ({agent.username}), agency queue: bucket M4, sorted by overdue (largest first)",
                {"bucket": "M4", "sort": "-overdue_total"},
                {**admin_base, "bucket": "M4", "o": order("overdue_total")},
            ),
        ]
        for title, params, admin_params in scenarios:
            pages = [
                Page("agency queue /agency/queue/", as_agent, "/agency/queue/", params),
                Page(
                    "admin: minimal ModelAdmin (50 a page, no full count)",
                    as_admin,
                    "/benchadmin/collection/case/",
                    admin_params,
                ),
            ]
            rows = measure(pages, args.runs)
            report(title, rows)
            if args.explain:
                for name, figures in rows:
                    explain(name, figures)

        table_only = {"HTTP_HX_REQUEST": "true", "HTTP_HX_TARGET": "results"}
        rows = measure(
            [
                Page("agent: Mine", as_agent, "/agency/queue/", {"who": "mine"}),
                Page("supervisor: first page (checkboxes, assign form)", as_supervisor, "/agency/queue/", {}),
                Page("agent: sorted by recall due", as_agent, "/agency/queue/", {"sort": "recall_due_on"}),
                Page("agent: search by name prefix", as_agent, "/agency/queue/", {"q": "Borrower 12"}),
                Page("agent: page 20 (htmx: the table only)", as_agent, "/agency/queue/", {"page": 20}, table_only),
                Page(
                    "agent: next action due, M2 (htmx)",
                    as_agent,
                    "/agency/queue/",
                    {"next_action_due": "on", "bucket": "M2"},
                    table_only,
                ),
                Page("supervisor: the team page", as_supervisor, "/agency/team/", {}),
            ],
            args.runs,
        )
        print("\nAgency pages the admin has no counterpart for:")
        for name, figures in rows:
            print(
                f"  {name:<58} {figures['median_ms']:7.1f} ms {figures['queries']:>8} queries {figures['rows']:>5} rows"
            )
        if args.explain:
            for name, figures in rows:
                explain(name, figures)

    if not args.keep:
        database_drop(BENCH_URL)


if __name__ == "__main__":
    main()
