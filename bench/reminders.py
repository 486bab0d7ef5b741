"""
Reminders: queuing a run of 100,000 messages for one due date, and sending
through the file and HTTP backends by one worker process and by two.

    flock /tmp/arrears/bench.lock .venv/bin/python bench/reminders.py [--accounts 100000] [--send 3000] [--keep]

Creates the database `arrears_bench_reminders` on 127.0.0.1:5432 (user
postgres, or BENCH_DATABASE_URL); its migrations install the default
schedule and message templates. One borrower (a primary, verified mobile
that consents to SMS) with an account whose installment falls due on DUE is
made with the ORM and cloned in bulk with INSERT ... SELECT. Every figure is
printed beside its baseline, measured in the same run:

(a) reminders_queue for the day three days before DUE (the default
    schedule's -3 SMS: `--accounts` messages), against the bare set-based
    selection of the same rows in raw SQL: <= 15 s; then the same run again
    (nothing new to queue);
(b) sending `--send` messages through the SMS file backend by one worker
    process (messages_dispatch_due until nothing is due), then another
    `--send` by two worker processes at once (disjoint claims, skip_locked):
    messages per second, two >= 1.8x one;
(c) the same through the HTTP backend against a local HTTP server (another
    process) answering 200 at once, which counts the requests by
    idempotency key: every message sent once.

The borrowers' zone is chosen so that it is midday there now, and they have
no address or +86 number that would place them in another zone, so the
guard's contact hours let every message through whatever the hour of the run. The
machine's cores are printed: the worker processes share them with
PostgreSQL and the HTTP server. The database is dropped at the end unless --keep.
"""

import argparse
import datetime
import json
import os
import shutil
import subprocess
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from benchdb import BASE_DIR, bench_environment, database_drop, database_recreate, django_migrated, sql  # noqa: E402

BENCH_URL = bench_environment("arrears_bench_reminders")
os.environ.setdefault("DEBUG", "false")
os.environ.setdefault("STATIC_MANIFEST", "false")
MESSAGES_FOLDER = BASE_DIR / "var" / "bench-reminders-messages"
os.environ["MESSAGES_DIR"] = str(MESSAGES_FOLDER)

DUE = datetime.date(2026, 12, 20)
ON = DUE - datetime.timedelta(days=3)
QUEUE_MOST_SECONDS, TWO_WORKERS_LEAST = 15.0, 1.8
FILE_BACKEND = "collection.messaging.backends.files.SmsFileBackend"
HTTP_BACKEND = "collection.messaging.backends.http.HttpSmsBackend"


def verdict(ok: bool) -> str:
    return "met" if ok else "NOT met"


def midday_zone() -> str:
    """A fixed-offset zone where it is about noon now (Etc/GMT-8 is UTC+8)."""
    offset = 12 - datetime.datetime.now(datetime.UTC).hour
    offset = (offset + 12) % 24 - 12  # -12 .. 11
    return "Etc/GMT" if offset == 0 else f"Etc/GMT{'-' if offset > 0 else '+'}{abs(offset)}"


# --- The data ------------------------------------------------------------------------------


def columns(table: str) -> list[str]:
    from django.db import connection

    with connection.cursor() as cursor:
        return [column.name for column in connection.introspection.get_table_description(cursor, table)]


def clone(table: str, template_id: int, count: int, overrides: dict[str, str]) -> None:
    """`count` copies of row `template_id` of `table`, each column as is unless `overrides` says (SQL, `g` 1..count)."""
    names = columns(table)
    chosen = ", ".join(overrides.get(name, f't."{name}"') for name in names)
    listed = ", ".join(f'"{name}"' for name in names)
    sql(
        f"INSERT INTO {table} ({listed}) SELECT {chosen} FROM {table} t, generate_series(1, %s) g "  # noqa: S608
        "WHERE t.id = %s",
        [count, template_id],
    )
    sql(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT max(id) FROM {table}))")  # noqa: S608


def accounts_made(count: int, zone: str) -> None:
    """One borrower, mobile, account and installment due DUE, made with the ORM, then cloned to `count`."""
    from decimal import Decimal

    from lending.models import Borrower, ContactPoint, CreditAccount, CreditProduct, Installment

    product = CreditProduct.objects.create(code="bench-6m", name="Bench 6 months", kind="installment")
    borrower = Borrower.objects.create(
        external_id="BB0", name="王小明", province="", time_zone=zone, language="zh-hans"
    )
    point = ContactPoint.objects.create(
        external_id="BP0",
        borrower=borrower,
        kind="mobile",
        value="13800000000",
        number_e164="",  # a +86 number would place them in Shanghai too, where it may be night
        is_primary=True,
        is_verified=True,
        consent_sms=True,
        consent_recorded_on=DUE - datetime.timedelta(days=200),
    )
    account = CreditAccount.objects.create(
        external_id="BA0",
        borrower=borrower,
        product=product,
        opened_on=DUE - datetime.timedelta(days=90),
        credit_limit=Decimal("10000"),
        available_credit=Decimal("5000"),
        outstanding_balance=Decimal("3000"),
    )
    installment = Installment.objects.create(
        account=account,
        number=1,
        lent_on=account.opened_on,
        due_on=DUE,
        principal_due=Decimal("1000"),
        interest_due=Decimal("12.50"),
    )
    extra = count - 1
    if extra <= 0:
        return
    b, p, a, i = borrower.pk, point.pk, account.pk, installment.pk
    clone("lending_borrower", b, extra, {"id": f"{b} + g", "external_id": "'BB' || g", "national_id": "'N' || g"})
    clone(
        "lending_contactpoint",
        p,
        extra,
        {
            "id": f"{p} + g",
            "external_id": "'BP' || g",
            "borrower_id": f"{b} + g",
            "value": "(13800000000 + g)::text",
        },
    )
    clone("lending_creditaccount", a, extra, {"id": f"{a} + g", "external_id": "'BA' || g", "borrower_id": f"{b} + g"})
    clone("lending_installment", i, extra, {"id": f"{i} + g", "account_id": f"{a} + g"})
    sql("ANALYZE")


BARE_SELECTION = """
SELECT a.id, a.borrower_id, point.id, membership.case_id, b.language, b.time_zone, b.province, a.product_id
FROM lending_creditaccount a
JOIN lending_borrower b ON b.id = a.borrower_id
JOIN LATERAL (
    SELECT p.id FROM lending_contactpoint p
    WHERE p.borrower_id = a.borrower_id AND p.owner = 'borrower' AND p.is_primary AND NOT p.do_not_contact
      AND p.kind = 'mobile' AND p.is_verified
    ORDER BY p.id LIMIT 1
) point ON true
LEFT JOIN collection_caseaccount membership ON membership.account_id = a.id AND membership.left_on IS NULL
WHERE a.status = 'active' AND NOT b.is_deceased AND NOT b.do_not_contact
  AND EXISTS (SELECT 1 FROM lending_installment i WHERE i.account_id = a.id AND i.due_on = %s
              AND i.paid_off_on IS NULL)
ORDER BY a.id
"""


def bare_selection_seconds() -> tuple[float, int]:
    from django.db import connection

    started = time.perf_counter()
    with connection.cursor() as cursor:
        cursor.execute(BARE_SELECTION, [DUE])
        rows = cursor.fetchall()
    return time.perf_counter() - started, len(rows)


# --- Sending: worker processes and the local provider ----------------------------------------


class _Provider(BaseHTTPRequestHandler):
    """Answers 200 with an id at once; counts the requests by idempotency key."""

    counts: dict[str, int] = {}
    lock = threading.Lock()

    def do_POST(self):  # noqa: N802
        length = int(self.headers.get("Content-Length") or 0)
        self.rfile.read(length)
        key = self.headers.get("Idempotency-Key", "")
        with self.lock:
            self.counts[key] = self.counts.get(key, 0) + 1
            number = len(self.counts)
        body = json.dumps({"id": f"bench-{number}", "status": "accepted"}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self):  # noqa: N802  (the counts, for the bench)
        with self.lock:
            body = json.dumps(self.counts).encode()
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


def provider_main(port: int) -> None:
    ThreadingHTTPServer.daemon_threads = True
    ThreadingHTTPServer(("127.0.0.1", port), _Provider).serve_forever()


def worker_main() -> None:
    """A worker process: the dispatcher until nothing is due, timed from its first claim."""
    import django

    django.setup()
    from collection.reminders.dispatch import messages_dispatch_due

    started, cpu = time.time(), time.process_time()
    handed = messages_dispatch_due()
    print(
        json.dumps({"started": started, "ended": time.time(), "cpu": time.process_time() - cpu, "handed": handed}),
        flush=True,
    )


def run_workers(workers: int, environment: dict) -> tuple[float, float, int]:
    """(seconds from the first worker's start to the last one's end, their CPU seconds, messages handed)."""
    command = [sys.executable, __file__, "--worker"]
    env = {**os.environ, **environment}
    processes = [subprocess.Popen(command, stdout=subprocess.PIPE, text=True, env=env) for _ in range(workers)]
    reports = []
    for process in processes:
        out, _err = process.communicate()
        if process.returncode:
            raise SystemExit(f"a worker failed ({process.returncode})")
        reports.append(json.loads(out.strip().splitlines()[-1]))
    seconds = max(report["ended"] for report in reports) - min(report["started"] for report in reports)
    return seconds, sum(report["cpu"] for report in reports), sum(report["handed"] for report in reports)


def release(count: int) -> list[int]:
    """Make `count` more of the queued messages due now (the rest wait for their moment); their ids."""
    from django.db.models import F  # noqa: F401
    from django.utils import timezone

    from collection.models import OutboundMessage

    ids = list(
        OutboundMessage.objects.filter(status="queued", scheduled_for__gt=timezone.now())
        .order_by("pk")
        .values_list("pk", flat=True)[:count]
    )
    OutboundMessage.objects.filter(pk__in=ids).update(scheduled_for=timezone.now() - datetime.timedelta(minutes=1))
    return ids


def sending(label: str, count: int, environment: dict) -> dict:
    """Send `count` messages by one worker, then `count` others by two; print the rates."""
    from django.db import connections

    from collection.models import OutboundMessage

    rates = {}
    for workers in (1, 2):
        ids = release(count)
        connections.close_all()
        seconds, cpu, handed = run_workers(workers, environment)
        sent = OutboundMessage.objects.filter(pk__in=ids, status__in=("sent", "delivered")).count()
        other = dict(
            OutboundMessage.objects.filter(pk__in=ids)
            .exclude(status__in=("sent", "delivered"))
            .values_list("status", "suppressed_rule")[:3]
        )
        rates[workers] = sent / seconds
        print(
            f"    {label}, {workers} worker process{'es' if workers > 1 else ''}: {sent:,} of {len(ids):,} sent"
            f" ({handed:,} handed) in {seconds:.2f} s -> {rates[workers]:,.0f} messages/s;"
            f" CPU of the workers {cpu:.1f} s{f'; not sent: {other}' if other else ''}",
            flush=True,
        )
    ratio = rates[2] / rates[1] if rates[1] else 0.0
    print(
        f"    {label}: two workers {ratio:.2f}x one (>= {TWO_WORKERS_LEAST}x: {verdict(ratio >= TWO_WORKERS_LEAST)})",
        flush=True,
    )
    return rates


# --- The run -------------------------------------------------------------------------------


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--accounts", type=int, default=100_000)
    parser.add_argument("--send", type=int, default=3000, help="messages each sending run sends")
    parser.add_argument("--port", type=int, default=18765)
    parser.add_argument("--keep", action="store_true")
    parser.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--provider", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        worker_main()
        return
    if args.provider:
        provider_main(args.port)
        return

    database_recreate(BENCH_URL)
    shutil.rmtree(MESSAGES_FOLDER, ignore_errors=True)
    provider = None
    try:
        django_migrated()
        zone = midday_zone()
        print(
            f"cores: {os.cpu_count()}; load average {os.getloadavg()[0]:.1f}; accounts: {args.accounts:,};"
            f" borrowers' zone {zone}",
            flush=True,
        )
        started = time.perf_counter()
        accounts_made(args.accounts, zone)
        print(f"    made {args.accounts:,} accounts in {time.perf_counter() - started:.1f} s", flush=True)

        from django.utils import timezone

        from collection.models import OutboundMessage
        from collection.reminders.queueing import reminders_queue

        bare, rows = bare_selection_seconds()
        # Queued the night before the day, so every message waits for 10:00 on ON (a future moment).
        night = datetime.datetime.combine(ON, datetime.time(1, 30), tzinfo=datetime.UTC)
        night = max(night, timezone.now())
        started = time.perf_counter()
        counts = reminders_queue(on=ON, now=night)
        queue_seconds = time.perf_counter() - started
        started = time.perf_counter()
        again = reminders_queue(on=ON, now=night)
        again_seconds = time.perf_counter() - started
        print(
            f"(a) reminders_queue, {counts['queued']:,} messages for one due date: {queue_seconds:.2f} s"
            f" (<= {QUEUE_MOST_SECONDS:.0f} s: {verdict(queue_seconds <= QUEUE_MOST_SECONDS)});"
            f" the bare set-based selection of the same {rows:,} rows in raw SQL: {bare:.2f} s"
            f" -> {queue_seconds / bare:.1f}x; run again the same day: {again['queued']} new in {again_seconds:.2f} s",
            flush=True,
        )
        assert counts["queued"] == rows == OutboundMessage.objects.count(), (counts, rows)
        # The sending runs take messages "now": their moment is moved to now, a release at a time.
        OutboundMessage.objects.update(scheduled_for=timezone.now() + datetime.timedelta(days=1))

        if not args.send:
            return
        print(f"(b) SMS file backend, {args.send:,} messages a run", flush=True)
        sending("file backend", args.send, {"MESSAGES_SMS_BACKEND": FILE_BACKEND})

        provider = subprocess.Popen([sys.executable, __file__, "--provider", "--port", str(args.port)])
        time.sleep(1)
        url = f"http://127.0.0.1:{args.port}/send"
        print(f"(c) SMS HTTP backend against a local server answering 200, {args.send:,} messages a run", flush=True)
        sending("HTTP backend", args.send, {"MESSAGES_SMS_BACKEND": HTTP_BACKEND, "SMS_HTTP_URL": url})
        import urllib.request

        with urllib.request.urlopen(f"http://127.0.0.1:{args.port}/counts") as answer:  # noqa: S310
            counts_by_key = json.loads(answer.read())
        twice = sum(1 for count in counts_by_key.values() if count > 1)
        print(
            f"    the server saw {len(counts_by_key):,} idempotency keys, {twice} of them more than once",
            flush=True,
        )
    finally:
        if provider is not None:
            provider.terminate()
        if not args.keep:
            database_drop(BENCH_URL)
            shutil.rmtree(MESSAGES_FOLDER, ignore_errors=True)


if __name__ == "__main__":
    main()
