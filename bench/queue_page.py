"""
The queue page and Next case over ~70,000 open cases and 1,000,000 accounts, on PostgreSQL.

    flock /tmp/arrears/bench.lock .venv/bin/python bench/queue_page.py [--accounts 1000000]
        [--open-cases 70000] [--closed-cases 30000] [--runs 25] [--keep] [--reuse] [--explain]

Creates the database `arrears_bench_queues` on 127.0.0.1:5432 (user postgres,
or BENCH_DATABASE_URL), drops it first if it exists, migrates it and fills,
set-based (generate_series), only what the queues read: N borrowers with one
account each, 10 teams of 20 collectors and a lead, and the cases (open ones
spread over the teams, one in ten unassigned, with mixed stages, statuses,
buckets, priorities, next actions, promises and last contacts; closed ones
beside them) with their case accounts. Then it measures, side by side in
this one run, the median server time (django.test.Client, warm, DEBUG off)
and the SQL query count of:

1. the team lead's team queue, first page, filtered (bucket) and sorted
   (overdue, largest first), beside the Django admin changelist of the same
   cases with the same filter and order: the project's CaseAdmin
   (collection/admin.py) and a minimal ModelAdmin on a separate AdminSite
   with the queue's page size (50) and no full-count query;
2. the collector's own queue, the same way;
3. the manager's team queue (every open case) the same way;
4. the queue with every filter the admin cannot express (next action due,
   no contact in 3 days, product) — no admin counterpart;
5. Next case: `next_case_take` (the service) and the button (the view),
   median time; requirement <= 20 ms.

Requirements (issue 4): the queue page <= 12 queries and no slower than the
admin changelist. The pages are timed in turn (round-robin), so that the
machine's noise falls on all of them alike. The database is dropped at the
end unless --keep is given (--reuse measures a kept one again; --explain
prints the plan of each page's slowest query).
"""

import argparse
import statistics
import sys
import time
import types
from datetime import date, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from benchdb import (  # noqa: E402
    BulkLoad,
    bench_environment,
    database_drop,
    database_recreate,
    django_migrated,
    pages_environment,
    sql,
)
from portfolio_sql import products_create  # noqa: E402

BENCH_URL = bench_environment("arrears_bench_queues")
pages_environment()

TEAMS = 10
COLLECTORS_PER_TEAM = 20
PER_PAGE = 50
PROVINCES = ["广东省", "浙江省", "江苏省", "山东省", "河南省", "四川省", "湖北省", "福建省"]
CITIES = ["广州市", "杭州市", "南京市", "济南市", "郑州市", "成都市", "武汉市", "福州市"]
LOADED_TABLES = ("lending_borrower", "lending_creditaccount", "collection_case", "collection_caseaccount")


def people():
    """Ten teams of twenty collectors with their leads, a manager and an administrator."""
    from accounts.models import Team, User
    from accounts.roles import Role
    from accounts.services import user_apply_role

    def user(username, role, team=None):
        person = User(username=username, role=role, team=team, first_name=username.title())
        person.set_unusable_password()
        user_apply_role(person)
        person.save()
        return person

    teams, collectors = [], []
    for number in range(TEAMS):
        lead = user(f"lead{number}", Role.TEAM_LEAD)
        team = Team.objects.create(name=f"Team {number}", kind=Team.Kind.EARLY, lead=lead)
        lead.team = team
        lead.save(update_fields=["team"])
        teams.append(team)
        collectors.extend(
            user(f"collector{number}_{k}", Role.COLLECTOR, team) for k in range(COLLECTORS_PER_TEAM)
        )  # fmt: skip
    return teams, collectors, user("manager", Role.MANAGER), user("admin", Role.ADMIN)


def load(*, accounts: int, open_cases: int, closed_cases: int, teams, collectors) -> None:
    from collection.models import Portfolio

    products = products_create()
    total = open_cases + closed_cases
    step = max(1, accounts // total)
    params = {
        "n": accounts,
        "total": total,
        "open": open_cases,
        "step": step,
        "today": date.today(),
        "now": datetime.now().astimezone(),
        "products": products,
        "teams": [team.pk for team in teams],
        "collectors": [collector.pk for collector in collectors],
        "per_team": COLLECTORS_PER_TEAM,
        "portfolio": Portfolio.objects.get(is_default=True).pk,
        "provinces": PROVINCES,
        "cities": CITIES,
    }
    bulk = BulkLoad(LOADED_TABLES)
    seconds = sql(
        """
        INSERT INTO lending_borrower (id, external_id, name, national_id, employer, province, city, district,
            language, time_zone, risk_grade, is_deceased, is_bankrupt, is_vulnerable, do_not_contact,
            cease_contact_requested, created_at, updated_at)
        SELECT g, 'B' || g, 'Borrower ' || g, '', '', (%(provinces)s::text[])[1 + g %% 8],
               (%(cities)s::text[])[1 + g %% 8], '', 'zh-hans', 'Asia/Shanghai', '',
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
        SELECT g, 'A' || g, g, (%(products)s::bigint[])[1 + g %% 3], CAST(%(today)s AS date) - 300,
               10000, 4000, 'active', 0, 'M0', 0, 0, 0, 0, 0, 0
        FROM generate_series(1, %(n)s) g
        """,
        params,
    )
    # Case c is borrower c * step's; the first `open` are open, the rest closed. h spreads the facts.
    seconds += sql(
        """
        INSERT INTO collection_case (id, borrower_id, portfolio_id, opened_on, closed_on, close_outcome, stage,
            status, reason, currency, days_past_due, bucket, overdue_principal, overdue_interest, overdue_fees,
            overdue_penalty, overdue_total, outstanding_balance, team_id, assigned_to_id, assigned_at,
            worked_by_id, worked_until, next_action_at, priority, broken_promises, has_broken_promise,
            promise_due_on, last_contact_at, last_right_party_contact_at, created_at, updated_at)
        SELECT c, c * %(step)s, %(portfolio)s, CAST(%(today)s AS date) - dpd,
               CASE WHEN closed THEN CAST(%(today)s AS date) - 1 END,
               CASE WHEN closed THEN 'cured' ELSE '' END,
               CASE WHEN dpd <= 30 THEN 'early' WHEN dpd <= 90 THEN 'late' ELSE 'field' END,
               CASE WHEN closed THEN 'closed' WHEN h %% 100 < 4 THEN 'on_hold' WHEN h %% 100 < 14 THEN 'promised'
                    WHEN h %% 100 < 17 THEN 'in_arrangement' ELSE 'open' END,
               (ARRAY['lost_income', 'illness', 'over_borrowing', 'reminder_not_received', 'dispute_goods',
                      'suspected_fraud', 'refuses_to_pay', 'unknown'])[1 + (h / 100) %% 8],
               'CNY', dpd,
               CASE WHEN dpd <= 30 THEN 'M1' WHEN dpd <= 60 THEN 'M2' WHEN dpd <= 90 THEN 'M3'
                    WHEN dpd <= 120 THEN 'M4' WHEN dpd <= 150 THEN 'M5' WHEN dpd <= 180 THEN 'M6' ELSE 'M6+' END,
               amount, round(amount * 0.05, 2), 30, round(amount * 0.02, 2),
               amount + round(amount * 0.05, 2) + 30 + round(amount * 0.02, 2), amount * 3,
               (%(teams)s::bigint[])[1 + team_index],
               CASE WHEN c %% 10 = 0 THEN NULL
                    ELSE (%(collectors)s::bigint[])[1 + team_index * %(per_team)s + (h / 11) %% %(per_team)s] END,
               CAST(%(now)s AS timestamptz) - interval '20 days', NULL, NULL,
               CASE WHEN (h / 13) %% 10 < 4 THEN NULL
                    WHEN (h / 13) %% 10 < 7 THEN CAST(%(now)s AS timestamptz) - interval '1 hour' * (1 + h %% 72)
                    ELSE CAST(%(now)s AS timestamptz) + interval '1 hour' * (1 + h %% 96) END,
               (c * 48271) %% 1000,
               CASE WHEN (h / 17) %% 10 = 0 THEN 1 ELSE 0 END, (h / 17) %% 10 = 0,
               CASE WHEN NOT closed AND h %% 100 BETWEEN 4 AND 13 THEN CAST(%(today)s AS date) + (h %% 5) - 2 END,
               CASE WHEN (h / 19) %% 5 = 0 THEN NULL
                    ELSE CAST(%(now)s AS timestamptz) - interval '1 hour' * ((h / 23) %% 720) END,
               NULL, now(), now()
        FROM (
            SELECT c, c > %(open)s AS closed, CAST(1 + (c * 7919) %% 240 AS int) AS dpd,
                   CAST((c * 2654435761) %% 1000003 AS int) AS h,
                   CAST(((c * 2654435761) %% 1000003) %% 10 AS int) AS team_index,
                   round(200 + ((c * 104729) %% 20000), 2) AS amount
            FROM generate_series(CAST(1 AS bigint), %(total)s) c
        ) s
        """,
        params,
    )
    seconds += sql(
        """
        INSERT INTO collection_caseaccount (case_id, account_id, joined_on, left_on)
        SELECT id, borrower_id, opened_on, closed_on FROM collection_case
        """
    )
    bulk.id_sequences_advance()
    print(f"loaded {accounts:,} borrowers and accounts, {total:,} cases ({open_cases:,} open) in {seconds:.1f} s")
    started = time.perf_counter()
    bulk.structures_restore()
    sql("VACUUM ANALYZE")
    print(f"indexes, constraints, VACUUM ANALYZE in {time.perf_counter() - started:.1f} s", flush=True)


# --- The admin baselines -----------------------------------------------------------------


def bench_admin_urls():
    """A separate AdminSite with a minimal Case changelist (the queue's page size, no full count) at /benchadmin/."""
    from django.contrib import admin
    from django.urls import include, path

    from collection.models import Case

    site = admin.AdminSite(name="benchadmin")

    class MinimalCaseAdmin(admin.ModelAdmin):
        list_display = (
            "id", "borrower_name", "province", "stage", "status", "bucket", "days_past_due", "overdue_total",
            "priority", "next_action_at", "promise_due_on", "last_contact_at", "assigned_to",
        )  # fmt: skip
        list_filter = ("status", "stage", "team")
        list_select_related = ("borrower", "assigned_to")
        list_per_page = PER_PAGE
        show_full_result_count = False
        ordering = ("-priority", "-id")

        @admin.display(ordering="borrower__name")
        def borrower_name(self, case):
            return case.borrower.name

        @admin.display(ordering="borrower__province")
        def province(self, case):
            return f"{case.borrower.province} · {case.borrower.city}"

    site.register(Case, MinimalCaseAdmin)
    module = types.ModuleType("bench_queue_urls")
    module.urlpatterns = [path("benchadmin/", site.urls), path("", include("config.urls"))]
    sys.modules[module.__name__] = module
    return module.__name__, MinimalCaseAdmin.list_display


def admin_order(list_display, name: str, descending=True) -> str:
    return f"{'-' if descending else ''}{list_display.index(name) + 1}"


# --- Measuring ----------------------------------------------------------------------------


class Page:
    """One page to time: who asks (a logged-in client), what, and with which headers."""

    def __init__(self, name, client, url, params, headers=None):
        self.name, self.client, self.url, self.params, self.headers = name, client, url, params, headers or {}
        self.times, self.queries, self.response = [], [], None

    def get(self):
        return self.client.get(self.url, self.params, **self.headers)

    def figures(self) -> dict:
        return {
            "median_ms": 1000 * statistics.median(self.times),
            "queries": len(self.queries),
            "counts": sum("COUNT(" in sql_text.upper() for sql_text, _params, _seconds in self.queries),
            "status": self.response.status_code,
            "rows": self.response.content.count(b"<tr") - 1,
            "sql": self.queries,
        }


def measure(pages, runs) -> list[tuple[str, dict]]:
    """Warm each page, record its SQL once, then time them in turn (round-robin, so noise hits all alike)."""
    from django.db import connection

    for page in pages:
        for _ in range(3):
            page.response = page.get()
        assert page.response.status_code == 200, (page.url, page.response.status_code, page.response.get("Location"))

        def record(execute, sql_text, params, many, context, page=page):
            started = time.perf_counter()
            try:
                return execute(sql_text, params, many, context)
            finally:
                page.queries.append((sql_text, params, time.perf_counter() - started))

        with connection.execute_wrapper(record):
            page.response = page.get()
    for _ in range(runs):
        for page in pages:
            started = time.perf_counter()
            page.get()
            page.times.append(time.perf_counter() - started)
    return [(page.name, page.figures()) for page in pages]


def report(title, rows):
    print(f"\n{title}")
    print(f"  {'page':<58} {'median':>9} {'queries':>8} {'COUNTs':>7} {'<tr>s':>5}")
    for name, figures in rows:
        print(
            f"  {name:<58} {figures['median_ms']:7.1f} ms {figures['queries']:>8} {figures['counts']:>7} "
            f"{figures['rows']:>5}"
        )
    ours, baselines = rows[0][1], [figures for _name, figures in rows[1:]]
    if baselines:
        best = min(figures["median_ms"] for figures in baselines)
        verdict = "ok" if ours["median_ms"] <= best and ours["queries"] <= 12 else "NOT MET"
        print(
            f"  queue / fastest admin: {ours['median_ms'] / best:.2f}x; queries {ours['queries']} (<= 12): {verdict}",
            flush=True,
        )


def explain(title, figures):
    from django.db import connection

    sql_text, params, seconds = max(figures["sql"], key=lambda query: query[2])
    print(f"\n-- {title}: slowest query ({1000 * seconds:.1f} ms)\n{sql_text}\n{params}")
    with connection.cursor() as cursor:
        cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + sql_text, params)
        print("\n".join(row[0] for row in cursor.fetchall()))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--accounts", type=int, default=1_000_000)
    parser.add_argument("--open-cases", type=int, default=70_000)
    parser.add_argument("--closed-cases", type=int, default=30_000)
    parser.add_argument("--runs", type=int, default=25)
    parser.add_argument("--keep", action="store_true", help="keep the database afterwards")
    parser.add_argument("--reuse", action="store_true", help="use the kept database as it is (no reload)")
    parser.add_argument("--explain", action="store_true", help="EXPLAIN ANALYZE each page's slowest query")
    args = parser.parse_args()

    if not args.reuse:
        database_recreate(BENCH_URL)
    django_migrated()
    from django.test import Client, override_settings

    from accounts.models import Team, User
    from collection.models import Case
    from collection.services.next_case import next_case_take

    if not args.reuse:
        started = time.perf_counter()
        teams, collectors, manager, admin_user = people()
        load(
            accounts=args.accounts,
            open_cases=args.open_cases,
            closed_cases=args.closed_cases,
            teams=teams,
            collectors=collectors,
        )
        print(f"database ready in {time.perf_counter() - started:.1f} s", flush=True)
    teams = list(Team.objects.order_by("id"))
    lead = teams[3].lead
    collector = User.objects.filter(team=teams[3], role="collector").order_by("id").first()
    manager = User.objects.get(username="manager")
    admin_user = User.objects.get(username="admin")
    open_cases = Case.objects.exclude(status="closed")
    open_count = open_cases.count()
    in_team, mine = open_cases.filter(team=teams[3]).count(), open_cases.filter(assigned_to=collector).count()
    print(f"{open_count:,} open cases; {teams[3]}: {in_team:,} open; {collector.username}: {mine:,} open", flush=True)

    urlconf, minimal_display = bench_admin_urls()
    from django.contrib import admin as django_admin

    project_admin = django_admin.site._registry.get(Case)
    open_statuses = "open,promised,on_hold,in_arrangement"

    def client_for(user):
        client = Client()
        client.force_login(user)
        return client

    with override_settings(ROOT_URLCONF=urlconf):
        as_lead, as_collector, as_manager, as_admin = (
            client_for(user) for user in (lead, collector, manager, admin_user)
        )
        scenarios = [
            (
                f"Team lead ({lead.username}), team queue: bucket M2, sorted by overdue (largest first)",
                (as_lead, "/cases/team/", {"bucket": "M2", "sort": "-overdue_total"}),
                {"bucket": "M2", "team__id__exact": teams[3].pk, "status__in": open_statuses},
            ),
            (
                f"Collector ({collector.username}), my queue: bucket M1, sorted by days past due (most first)",
                (as_collector, "/cases/mine/", {"bucket": "M1", "sort": "-days_past_due"}),
                {"bucket": "M1", "assigned_to": collector.pk, "status__in": open_statuses},
            ),
            (
                "Manager, team queue (every open case): bucket M2, sorted by overdue (largest first)",
                (as_manager, "/cases/team/", {"bucket": "M2", "sort": "-overdue_total"}),
                {"bucket": "M2", "status__in": open_statuses},
            ),
        ]
        for title, (client, url, params), admin_filter in scenarios:
            order_field = "overdue_total" if "overdue" in params["sort"] else "days_past_due"
            pages = [Page(f"queue {url}", client, url, params)]
            if project_admin is not None:
                order = admin_order(list(project_admin.list_display), order_field)
                pages.append(
                    Page(
                        "admin: collection/admin.py CaseAdmin",
                        as_admin,
                        "/admin/collection/case/",
                        {**admin_filter, "o": order},
                    )
                )
            order = admin_order(list(minimal_display), order_field)
            pages.append(
                Page(
                    "admin: minimal ModelAdmin (50 a page, no full count)",
                    as_admin,
                    "/benchadmin/collection/case/",
                    {**admin_filter, "o": order},
                )
            )
            rows = measure(pages, args.runs)
            report(title, rows)
            if args.explain:
                for name, figures in rows:
                    explain(name, figures)

        everything = {
            "bucket": "M2",
            "next_action_due": "on",
            "no_contact_days": 3,
            "product": Case.objects.first().case_accounts.first().account.product_id,
            "days_past_due_min": 40,
            "sort": "-priority",
        }
        table_only = {"HTTP_HX_REQUEST": "true", "HTTP_HX_TARGET": "results"}
        rows = measure(
            [
                Page("lead: team queue, every filter", as_lead, "/cases/team/", everything),
                Page("collector: my queue, every filter", as_collector, "/cases/mine/", everything),
                Page("manager: team queue, every filter", as_manager, "/cases/team/", everything),
                Page("lead: unassigned pool, first page", as_lead, "/cases/unassigned/", {}),
                Page("manager: unassigned pool, first page", as_manager, "/cases/unassigned/", {}),
                Page("lead: team queue, search by name prefix", as_lead, "/cases/team/", {"q": "Borrower 12"}),
                Page(
                    "lead: team queue, page 20 (htmx: the table only)",
                    as_lead,
                    "/cases/team/",
                    {"page": 20},
                    table_only,
                ),
                Page(
                    "lead: team queue, sorted by borrower (htmx)",
                    as_lead,
                    "/cases/team/",
                    {"sort": "borrower"},
                    table_only,
                ),
            ],
            args.runs,
        )
        print("\nQueue pages the admin has no counterpart for:")
        for name, figures in rows:
            print(
                f"  {name:<58} {figures['median_ms']:7.1f} ms {figures['queries']:>8} queries {figures['rows']:>5} rows"
            )
        if args.explain:
            for name, figures in rows:
                explain(name, figures)

        # Next case: each call claims one case for 15 minutes, as collectors of one team would.
        team_collectors = list(User.objects.filter(team=teams[5], role="collector").order_by("id"))
        times = []
        for index in range(max(args.runs * 2, 40)):
            user = team_collectors[index % len(team_collectors)]
            started = time.perf_counter()
            case = next_case_take(user=user)
            times.append(time.perf_counter() - started)
            assert case is not None
        service = 1000 * statistics.median(times)
        # A team lead has no cases of their own: every take comes from the team's unassigned pool (tier 2).
        pool_times = []
        for _ in range(max(args.runs, 20)):
            started = time.perf_counter()
            case = next_case_take(user=teams[7].lead)
            pool_times.append(time.perf_counter() - started)
            assert case is not None and case.assigned_to_id is None
        pool = 1000 * statistics.median(pool_times)
        view_times = []
        for index in range(max(args.runs, 20)):
            client = client_for(team_collectors[index % len(team_collectors)])
            started = time.perf_counter()
            response = client.post("/cases/next/")
            view_times.append(time.perf_counter() - started)
            assert response.status_code == 302
        view = 1000 * statistics.median(view_times)
        verdict = "ok" if service <= 20 else "NOT MET"
        print(f"\nNext case over {open_count:,} open cases (requirement <= 20 ms median):")
        print(f"  next_case_take (service)      {service:7.2f} ms median, max {1000 * max(times):.2f} ms: {verdict}")
        print(f"  next_case_take, team lead     {pool:7.2f} ms median (from the team's unassigned pool)")
        print(f"  POST /cases/next/ (the view)  {view:7.2f} ms median (a redirect to the case page)")

    if not args.keep:
        database_drop(BENCH_URL)


if __name__ == "__main__":
    main()
