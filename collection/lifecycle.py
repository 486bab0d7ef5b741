"""
The collection step of the nightly run (docs/nightly-run.md): for one day,
after lending's `run_nightly` has brought every account's days past due,
bucket and overdue amounts to that day, bring the cases to it too. In one
transaction, as a handful of set-based SQL statements (PostgreSQL and
SQLite alike), never a Python loop over accounts or cases:

1. **Promises** pending whose due date has passed are decided from the
   payments received on the case's accounts from when the promise was taken
   to the end of its due date (lender's time zone): kept, partly kept (with
   the amount) or broken. The payments are shared out in due-date order, so
   one payment never keeps two promises of a series. Broken promises count
   on the case (`broken_promises`; `has_broken_promise` until a later promise
   is kept). This step reads the few promises due in Python, in a constant
   number of queries.
2. **Arrangement installments**: the payments since the arrangement was
   agreed (`requested_at`) up to the start of the day are allocated to its
   installments in order. An installment due before the day is paid, partly
   paid, or missed when nothing is left for it — so short payments carry
   over and the arrangement breaks once the shortfall reaches a whole
   installment. A missed installment breaks the arrangement (the case goes
   back to open, promised or on hold); all paid completes it.
3. **Open** a case for each borrower with a delinquent account (days past
   due > 0) and no open case: in the portfolio of the product of the
   borrower's most overdue account (the default portfolio when the product
   is in none), in that product's currency.
4. **Join**: every delinquent account of a borrower with an open case that
   is in no open case joins it (`joined_on`).
5. **Leave**: an account with nothing past due leaves (`left_on`).
6. **Refresh** each open case's figures from its accounts: the most days
   past due and its bucket, the sums of the overdue amounts, their total and
   the outstanding balance (a case whose last accounts left today keeps the
   figures of those accounts) — and, in the same write, its **priority**
   (collection/priority.py), so a case row is written once a night.
7. **Close** a case with no account left — paid in full when nothing is
   outstanding, else cured — or whose settlement was completed (settled;
   its accounts leave, and an account that left a settled case never joins a
   case again: the lender accepted the lump sum, and lending's figures still
   show the forgiven rest until the core system writes it off). Active
   arrangements of a closing case end as completed: the arrears they were
   for are gone.
8. **Stage**: a new case starts early (≤ 30 days past due) or late (> 30).
   The lifecycle only escalates early → late; it never moves a case back to
   early while it is open (a partial payment that brings it to 20 days does
   not undo the late treatment, and cases do not flip between teams), and
   never touches field, agency, legal, write-off or sold, which people and
   later issues decide. Each change is a StageChange row and a timeline line.
9. **Status** of every open case from its holds, arrangements and promises
   (the set-based twin of `services.cases.case_status_derive`), and the next
   pending promise's date.
10. **Distribute** the new cases, and those whose bucket or stage moved, by
    the team work rules (services/assignment.cases_distribute).

Every step writes only what changes, so running the same day twice changes
nothing the second time. On PostgreSQL the run takes an advisory lock (a
second concurrent run is refused), turns JIT off for its transaction (it
cost ~0.4 s per statement, more than the statements themselves) and
ANALYZEs the case tables after a bulk first night. The figures must be lending's for the same day:
the run refuses when lending's latest run was for another day. Run both with
`collection_nightly_run` (the beat task and `manage.py run_collection_nightly`).
"""

import datetime
import logging
import time
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from decimal import Decimal

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Count
from django.utils import timezone, translation
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from collection.errors import CollectionError
from collection.models import (
    Arrangement,
    ArrangementInstallment,
    ArrangementKind,
    ArrangementStatus,
    Case,
    CaseAccount,
    CaseEvent,
    CaseStatus,
    CloseOutcome,
    EventKind,
    Hold,
    Portfolio,
    PromiseStatus,
    PromiseToPay,
    Stage,
    StageChange,
)
from collection.priority import priority_sql
from collection.services.assignment import cases_distribute
from lending.models import Bucket, CreditAccount, CreditProduct, DelinquencyRun, Payment
from lending.services import LENDER_TZ

logger = logging.getLogger("collection.lifecycle")

LENDING_NOT_RUN = _(
    "The accounts' figures are for {figures_day}, not {day}: run lending's nightly run for {day} first "
    "(manage.py run_collection_nightly runs both)."
)
LENDING_NEVER_RUN = _("Lending's nightly run has never run: run it first (manage.py run_collection_nightly runs both).")
NO_DEFAULT_PORTFOLIO = _("There is no default portfolio: mark one portfolio as the default in the admin.")
ALREADY_RUNNING = _("Another collection nightly run is in progress; try again when it has finished.")

EARLY_STAGE_MAX_DAYS = 30  # early ≤ 30 days past due < late
WORK_MEM = "256MB"  # PostgreSQL, this transaction only
ADVISORY_LOCK_KEY = int.from_bytes(b"collect", "big")
CHUNK = 2000
ANALYZE_AFTER_ROWS = 5000
CENT = Decimal("0.01")
ZERO = Decimal("0.00")


# --- The report ---------------------------------------------------------------------------


@dataclass
class LifecycleReport:
    as_of: datetime.date
    cases_opened: int = 0
    accounts_joined: int = 0
    accounts_left: int = 0
    cases_refreshed: int = 0
    cases_closed: dict[str, int] = field(default_factory=dict)  # outcome -> cases
    stage_changes: int = 0
    promises: dict[str, int] = field(default_factory=dict)  # kept / partly_kept / broken -> promises
    installments: dict[str, int] = field(default_factory=dict)  # paid / partly_paid / missed / due -> changed
    arrangements_completed: int = 0
    arrangements_broken: int = 0
    statuses_changed: int = 0
    promise_dates_changed: int = 0
    cases_assigned: int = 0
    seconds: dict[str, float] = field(default_factory=dict)

    @property
    def changes(self) -> int:
        """Every row the run changed (0 when the day was already run)."""
        return (
            self.cases_opened
            + self.accounts_joined
            + self.accounts_left
            + self.cases_refreshed
            + sum(self.cases_closed.values())
            + self.stage_changes
            + sum(self.promises.values())
            + sum(self.installments.values())
            + self.arrangements_completed
            + self.arrangements_broken
            + self.statuses_changed
            + self.promise_dates_changed
            + self.cases_assigned
        )

    def as_dict(self) -> dict:
        return {
            "as_of": self.as_of.isoformat(),
            "cases_opened": self.cases_opened,
            "accounts_joined": self.accounts_joined,
            "accounts_left": self.accounts_left,
            "cases_refreshed": self.cases_refreshed,
            "cases_closed": dict(self.cases_closed),
            "stage_changes": self.stage_changes,
            "promises": dict(self.promises),
            "installments": dict(self.installments),
            "arrangements_completed": self.arrangements_completed,
            "arrangements_broken": self.arrangements_broken,
            "statuses_changed": self.statuses_changed,
            "promise_dates_changed": self.promise_dates_changed,
            "cases_assigned": self.cases_assigned,
            "seconds": dict(self.seconds),
        }

    def lines(self) -> list[str]:
        def by(counts: dict[str, int], names) -> str:
            return " / ".join(str(counts.get(name, 0)) for name in names)

        return [
            f"Collection lifecycle for {self.as_of.isoformat()}:",
            f"  cases opened:           {self.cases_opened}",
            f"  accounts joined / left: {self.accounts_joined} / {self.accounts_left}",
            f"  cases refreshed:        {self.cases_refreshed} (figures or priority)",
            f"  cases closed:           {sum(self.cases_closed.values())} (cured / paid in full / settled: "
            f"{by(self.cases_closed, ('cured', 'paid_in_full', 'settled'))})",
            f"  stage changes:          {self.stage_changes}",
            f"  promises kept / partly kept / broken: {by(self.promises, ('kept', 'partly_kept', 'broken'))}",
            f"  installments paid / partly paid / missed: {by(self.installments, ('paid', 'partly_paid', 'missed'))}",
            f"  arrangements completed / broken: {self.arrangements_completed} / {self.arrangements_broken}",
            f"  statuses changed:       {self.statuses_changed}",
            f"  cases assigned:         {self.cases_assigned}",
            "  seconds: " + ", ".join(f"{step} {value:.2f}" for step, value in self.seconds.items()),
        ]


# --- SQL that differs between PostgreSQL and SQLite -----------------------------------------


class _Sql:
    def __init__(self, vendor: str):
        self.pg = vendor == "postgresql"
        self.as_of = "CAST(%(as_of)s AS date)" if self.pg else "%(as_of)s"
        self.true, self.false = ("TRUE", "FALSE") if self.pg else ("1", "0")

    def greatest(self, *terms: str) -> str:
        return f"{'GREATEST' if self.pg else 'MAX'}({', '.join(terms)})"

    def least(self, *terms: str) -> str:
        return f"{'LEAST' if self.pg else 'MIN'}({', '.join(terms)})"

    def money(self, expression: str) -> str:
        """An amount computed from others: exact on PostgreSQL, back on the cent on SQLite (floats)."""
        return expression if self.pg else f"ROUND({expression}, 2)"

    def money_sum(self, expression: str) -> str:
        return self.money(f"COALESCE(SUM({expression}), 0)")

    def json(self, **pairs: str) -> str:
        function = "jsonb_build_object" if self.pg else "json_object"
        arguments = ", ".join(f"'{key}', {value}" for key, value in pairs.items())
        return f"{function}({arguments})"

    @staticmethod
    def text(expression: str) -> str:
        return f"CAST({expression} AS TEXT)"

    def money_text(self, expression: str) -> str:
        return f"CAST(ROUND({expression}, 2) AS TEXT)" if self.pg else f"printf('%%.2f', {expression})"

    def date_text(self, expression: str) -> str:
        return f"to_char({expression}, 'YYYY-MM-DD')" if self.pg else expression


def _fill(template_param: str, **values: str) -> str:
    """SQL for a translated template (a parameter) with its `{name}` placeholders replaced by SQL values."""
    sql = f"%({template_param})s"
    for name, value in values.items():
        sql = "REPLACE(" + sql + ", '{" + name + "}', " + value + ")"
    return f"SUBSTR({sql}, 1, 300)"


def _label(column: str, prefix: str) -> str:
    """SQL turning a choice code into its label (parameters `label_<prefix>_<code>`)."""
    choices = _LABELLED[prefix]
    whens = " ".join(f"WHEN '{value}' THEN %(label_{prefix}_{value})s" for value in choices.values)
    return f"CASE {column} {whens} ELSE {column} END"


_LABELLED = {"stage": Stage, "status": CaseStatus, "outcome": CloseOutcome, "kind": ArrangementKind}


def _texts() -> dict[str, str]:
    """The timeline's fallback texts in the lender's language (the case page renders lines from their data)."""
    with translation.override(settings.LANGUAGE_CODE):
        texts = {
            "t_opened": gettext("Case opened: {days} days past due, stage {stage}"),
            "t_joined": gettext("Account {account} joined the case ({days} days past due)"),
            "t_left": gettext("Account {account} left the case: nothing past due"),
            "t_left_closed": gettext("Account {account} left the case: the case closed"),
            "t_closed": gettext("Case closed: {outcome}"),
            "t_stage": gettext("Stage: {from} → {to} ({days} days past due)"),
            "t_status": "{from} → {to}",
            "t_installment_paid": gettext("Installment {number} of the arrangement paid: {amount} {currency}"),
            "t_installment_partly_paid": gettext(
                "Installment {number} of the arrangement partly paid: {paid} of {amount} {currency}"
            ),
            "t_installment_missed": gettext(
                "Installment {number} of the arrangement missed: {amount} {currency} were due {due_on}"
            ),
            "t_arrangement_broken": gettext("{kind} broken: an installment was missed"),
            "t_arrangement_completed": gettext("{kind} completed"),
            "t_arrangement_ended": gettext("{kind} ended: the case closed"),
            "t_promise_kept": gettext("Promise kept: {paid} {currency} paid by {due_on}"),
            "t_promise_partly_kept": gettext("Promise partly kept: {paid} of {amount} {currency} paid by {due_on}"),
            "t_promise_broken": gettext("Promise broken: {amount} {currency} were due {due_on}"),
        }
        for prefix, choices in _LABELLED.items():
            for value, label in zip(choices.values, choices.labels, strict=True):
                texts[f"label_{prefix}_{value}"] = str(label)
    return texts


def _tables() -> dict[str, str]:
    through = Portfolio.products.through
    return {
        "case": Case._meta.db_table,
        "member": CaseAccount._meta.db_table,
        "stage": StageChange._meta.db_table,
        "event": CaseEvent._meta.db_table,
        "promise": PromiseToPay._meta.db_table,
        "arrangement": Arrangement._meta.db_table,
        "installment": ArrangementInstallment._meta.db_table,
        "hold": Hold._meta.db_table,
        "portfolio_product": through._meta.db_table,
        "account": CreditAccount._meta.db_table,
        "product": CreditProduct._meta.db_table,
        "bucket": Bucket._meta.db_table,
        "payment": Payment._meta.db_table,
    }


T = _tables()
OPEN = f"status <> '{CaseStatus.CLOSED}'"


class _Run:
    """One night's statements, with their shared parameters."""

    def __init__(self, *, as_of: datetime.date, now: datetime.datetime, default_portfolio: int):
        self.s = _Sql(connection.vendor)
        self.as_of = as_of
        self.now = now
        self.params = {
            "as_of": as_of.isoformat(),
            "now": connection.ops.adapt_datetimefield_value(now),
            "today_start": connection.ops.adapt_datetimefield_value(_day_start(as_of)),
            "default_portfolio": default_portfolio,
            **_texts(),
        }

    def execute(self, sql: str, params: dict | None = None) -> int:
        with connection.cursor() as cursor:
            cursor.execute(sql, {**self.params, **params} if params else self.params)
            return max(cursor.rowcount, 0)

    def rows(self, sql: str) -> list[tuple]:
        with connection.cursor() as cursor:
            cursor.execute(sql, self.params)
            return cursor.fetchall()

    def events(self, *, kind: str, case_id: str, summary: str, data: str, source: str, params=None) -> int:
        """Timeline lines, one per row of `source` (FROM ... WHERE ...)."""
        return self.execute(
            f"INSERT INTO {T['event']} (case_id, occurred_at, kind, actor_id, summary, notes, data) "  # noqa: S608
            f"SELECT {case_id}, %(now)s, '{kind}', NULL, {summary}, '', {data} {source}",
            params,
        )

    def analyze(self, table: str, *, rows_added: int) -> None:
        """After a bulk load (the first night), give PostgreSQL's planner the table's new size."""
        if self.s.pg and rows_added >= ANALYZE_AFTER_ROWS:
            self.execute(f"ANALYZE {table}")


def _day_start(day: datetime.date) -> datetime.datetime:
    return datetime.datetime.combine(day, datetime.time.min, tzinfo=LENDER_TZ)


def _chunks(items, size=CHUNK):
    items = list(items)
    for start in range(0, len(items), size):
        yield items[start : start + size]


# --- 1. Promises ------------------------------------------------------------------------------


def promises_decide(run: _Run) -> dict[str, int]:
    """
    Decide every pending promise whose due date is before the day. The few
    cases concerned are read in bulk; payments are shared out over their
    promises in due-date order, each payment only to promises whose window
    (taken at → end of due date) holds it.
    """
    as_of = run.as_of
    case_ids = sorted(
        set(
            PromiseToPay.objects.filter(status=PromiseStatus.PENDING, due_on__lt=as_of).values_list(
                "case_id", flat=True
            )
        )
    )
    if not case_ids:
        return {}
    promises = []
    accounts_of = defaultdict(set)
    for chunk in _chunks(case_ids):
        promises.extend(
            PromiseToPay.objects.filter(case_id__in=chunk, due_on__lt=as_of)
            .exclude(status=PromiseStatus.CANCELLED)
            .order_by("case_id", "due_on", "id")
        )
        for case_id, account_id in CaseAccount.objects.filter(case_id__in=chunk).values_list("case_id", "account_id"):
            accounts_of[case_id].add(account_id)
    start = min(promise.created_at for promise in promises)
    end = _day_start(max(promise.due_on for promise in promises) + datetime.timedelta(days=1))
    payments_of_account = defaultdict(list)
    account_ids = sorted({account_id for accounts in accounts_of.values() for account_id in accounts})
    for chunk in _chunks(account_ids):
        for account_id, received_at, amount in Payment.objects.filter(
            account_id__in=chunk, status=Payment.Status.APPLIED, received_at__gte=start, received_at__lt=end
        ).values_list("account_id", "received_at", "amount"):
            payments_of_account[account_id].append((received_at, amount))

    by_case = defaultdict(list)
    for promise in promises:
        by_case[promise.case_id].append(promise)
    decided, counts = [], Counter()
    broken_state = {}
    for case_id, case_promises in by_case.items():
        # [received_at, amount not yet used], oldest first.
        payments = sorted(
            [received_at, amount]
            for account_id in accounts_of[case_id]
            for received_at, amount in payments_of_account[account_id]
        )
        for promise in case_promises:
            deciding = promise.status == PromiseStatus.PENDING
            wanted = promise.amount if deciding else promise.paid_amount
            window_end = _day_start(promise.due_on + datetime.timedelta(days=1))
            taken = ZERO
            for payment in payments:
                if taken >= wanted:
                    break
                if promise.created_at <= payment[0] < window_end and payment[1] > 0:
                    part = min(payment[1], wanted - taken)
                    payment[1] -= part
                    taken += part
            if deciding:
                promise.paid_amount = taken
                promise.decided_on = as_of
                if taken >= promise.amount:
                    promise.status = PromiseStatus.KEPT
                elif taken > 0:
                    promise.status = PromiseStatus.PARTLY_KEPT
                else:
                    promise.status = PromiseStatus.BROKEN
                decided.append(promise)
                counts[str(promise.status)] += 1
        # Broken until a later promise is kept in full.
        has_broken = False
        for promise in case_promises:
            if promise.status == PromiseStatus.BROKEN:
                has_broken = True
            elif promise.status == PromiseStatus.KEPT:
                has_broken = False
        broken_state[case_id] = has_broken

    _promises_write(run, decided)
    broken_counts = Counter()
    for chunk in _chunks(case_ids):
        broken_counts.update(
            dict(
                PromiseToPay.objects.filter(case_id__in=chunk, status=PromiseStatus.BROKEN)
                .values("case_id")
                .annotate(count=Count("id"))
                .values_list("case_id", "count")
            )
        )
    groups = defaultdict(list)
    for case_id in by_case:
        groups[(min(broken_counts.get(case_id, 0), 32767), broken_state[case_id])].append(case_id)
    for (count, has_broken), ids in groups.items():
        for chunk in _chunks(ids):
            Case.objects.filter(pk__in=chunk).update(
                broken_promises=count, has_broken_promise=has_broken, updated_at=run.now
            )
    return dict(counts)


def _promises_write(run: _Run, decided: list[PromiseToPay]) -> None:
    """The decisions, in one UPDATE from a VALUES list per few thousand promises, and their timeline lines."""
    s = run.s
    for chunk in _chunks(decided, 3000):
        values, params = [], {}
        for index, promise in enumerate(chunk):
            params.update(
                {f"v{index}_id": promise.pk, f"v{index}_s": str(promise.status), f"v{index}_p": promise.paid_amount}
            )
            if index == 0:  # the first row types the columns
                values.append(
                    "(CAST(%(v0_id)s AS INTEGER), CAST(%(v0_s)s AS VARCHAR(12)), CAST(%(v0_p)s AS NUMERIC(14, 2)))"
                )
            else:
                values.append(f"(%(v{index}_id)s, %(v{index}_s)s, %(v{index}_p)s)")
        decisions = f"(VALUES {', '.join(values)}) AS v"
        run.execute(
            f"UPDATE {T['promise']} AS p SET status = v.column2, paid_amount = v.column3, "  # noqa: S608
            f"decided_on = {s.as_of} FROM {decisions} WHERE p.id = v.column1",
            params,
        )
        fields = {
            "amount": s.money_text("p.amount"),
            "paid": s.money_text("p.paid_amount"),
            "currency": "p.currency",
            "due_on": s.date_text("p.due_on"),
        }
        summary = (
            "CASE p.status "
            + " ".join(
                f"WHEN '{status}' THEN {_fill(f't_promise_{status}', **fields)}"
                for status in (PromiseStatus.KEPT, PromiseStatus.PARTLY_KEPT, PromiseStatus.BROKEN)
            )
            + " END"
        )
        run.events(
            kind=EventKind.PROMISE,
            case_id="p.case_id",
            summary=summary,
            data=s.json(code="'promise_' || p.status", promise="p.id", status="p.status", **fields),
            source=f"FROM {T['promise']} p WHERE p.id IN (SELECT v.column1 FROM {decisions})",  # noqa: S608
            params=params,
        )


# --- 2. Arrangements ----------------------------------------------------------------------------


def _installments_fresh_sql(s: _Sql) -> str:
    """Each installment of an active arrangement, with what the payments since it was agreed pay of it, in order."""
    paid_before = (
        "COALESCE(SUM(i.amount) OVER (PARTITION BY i.arrangement_id ORDER BY i.number "
        "ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING), 0)"
    )
    return f"""
    SELECT x.*,
           CASE WHEN x.paid_amount >= x.amount THEN 'paid'
                WHEN x.due_on >= {s.as_of} THEN 'due'
                WHEN x.paid_amount > 0 THEN 'partly_paid'
                ELSE 'missed' END AS status
    FROM (
        SELECT i.id, i.arrangement_id, r.case_id, r.currency, i.number, i.due_on, i.amount,
               i.status AS old_status, i.paid_amount AS old_paid,
               {s.money(s.greatest("0", s.least("i.amount", f"p.total - {paid_before}")))} AS paid_amount
        FROM {T["installment"]} i
        JOIN {T["arrangement"]} r ON r.id = i.arrangement_id
        JOIN (
            SELECT r2.id,
                   (SELECT COALESCE(SUM(pay.amount), 0) FROM {T["payment"]} pay
                    WHERE pay.status = '{Payment.Status.APPLIED}'
                      AND pay.received_at >= r2.requested_at AND pay.received_at < %(today_start)s
                      AND pay.account_id IN (SELECT m.account_id FROM {T["member"]} m WHERE m.case_id = r2.case_id)
                   ) AS total
            FROM {T["arrangement"]} r2
            WHERE r2.status = '{ArrangementStatus.ACTIVE}'
        ) p ON p.id = r.id
    ) x
    """  # noqa: S608 (only our table names and constants are interpolated)


def arrangements_track(run: _Run) -> tuple[dict[str, int], int, int]:
    s = run.s
    fresh = _installments_fresh_sql(s)
    Status = ArrangementInstallment.Status
    changed_rows = run.rows(
        f"SELECT f.status, COUNT(*) FROM ({fresh}) f "  # noqa: S608
        "WHERE f.status <> f.old_status OR f.paid_amount <> f.old_paid GROUP BY f.status"
    )
    for status in (Status.PAID, Status.PARTLY_PAID, Status.MISSED):
        run.events(
            kind=EventKind.ARRANGEMENT,
            case_id="f.case_id",
            summary=_fill(
                f"t_installment_{status}",
                number=s.text("f.number"),
                amount=s.money_text("f.amount"),
                paid=s.money_text("f.paid_amount"),
                currency="f.currency",
                due_on=s.date_text("f.due_on"),
            ),
            data=s.json(
                code=f"'installment_{status}'",
                arrangement="f.arrangement_id",
                number="f.number",
                amount=s.money_text("f.amount"),
                paid=s.money_text("f.paid_amount"),
                currency="f.currency",
                due_on=s.date_text("f.due_on"),
            ),
            source=f"FROM ({fresh}) f WHERE f.status = '{status}' AND f.old_status <> f.status",
        )
    run.execute(
        f"""
        UPDATE {T["installment"]} AS i SET paid_amount = f.paid_amount, status = f.status
        FROM ({fresh}) f
        WHERE i.id = f.id AND (f.status <> f.old_status OR f.paid_amount <> f.old_paid)
        """  # noqa: S608
    )

    def end(condition: str, status: str, template: str) -> int:
        source = f"FROM {T['arrangement']} r WHERE r.status = '{ArrangementStatus.ACTIVE}' AND {condition}"
        run.events(
            kind=EventKind.ARRANGEMENT,
            case_id="r.case_id",
            summary=_fill(template, kind=_label("r.kind", "kind")),
            data=s.json(
                code=f"'arrangement_{status}'",
                arrangement="r.id",
                arrangement_kind="r.kind",
                status=f"'{status}'",
            ),
            source=source,
        )
        return run.execute(
            f"UPDATE {T['arrangement']} AS r SET status = '{status}', ended_on = {s.as_of} "  # noqa: S608
            f"WHERE r.status = '{ArrangementStatus.ACTIVE}' AND {condition}"
        )

    broken = end(
        f"EXISTS (SELECT 1 FROM {T['installment']} i WHERE i.arrangement_id = r.id AND i.status = '{Status.MISSED}')",  # noqa: S608
        ArrangementStatus.BROKEN,
        "t_arrangement_broken",
    )
    completed = end(
        f"EXISTS (SELECT 1 FROM {T['installment']} i WHERE i.arrangement_id = r.id) AND NOT EXISTS "  # noqa: S608
        f"(SELECT 1 FROM {T['installment']} i WHERE i.arrangement_id = r.id AND i.status <> '{Status.PAID}')",
        ArrangementStatus.COMPLETED,
        "t_arrangement_completed",
    )
    return {status: count for status, count in changed_rows}, completed, broken


# --- 3-5. Open, join, leave ----------------------------------------------------------------------


def _not_settled(account: str) -> str:
    """An account that left a settled case is not collected again (the few settled accounts, read once)."""
    return (
        f"{account}.id NOT IN (SELECT sm.account_id FROM {T['member']} sm "  # noqa: S608
        f"JOIN {T['case']} sc ON sc.id = sm.case_id WHERE sc.close_outcome = '{CloseOutcome.SETTLED}')"
    )


CASE_COLUMNS = (
    "borrower_id, portfolio_id, opened_on, closed_on, close_outcome, stage, status, reason, currency, "
    "days_past_due, bucket, overdue_principal, overdue_interest, overdue_fees, overdue_penalty, overdue_total, "
    "outstanding_balance, team_id, assigned_to_id, assigned_at, worked_by_id, worked_until, next_action_at, "
    "priority, broken_promises, has_broken_promise, promise_due_on, last_contact_at, "
    "last_right_party_contact_at, created_at, updated_at"
)


def cases_open(run: _Run) -> int:
    s = run.s
    return run.execute(
        f"""
        INSERT INTO {T["case"]} ({CASE_COLUMNS})
        SELECT l.borrower_id, COALESCE(l.portfolio_id, %(default_portfolio)s), {s.as_of}, NULL, '',
               CASE WHEN l.days_past_due > {EARLY_STAGE_MAX_DAYS} THEN '{Stage.LATE}' ELSE '{Stage.EARLY}' END,
               '{CaseStatus.OPEN}', 'unknown', l.currency,
               l.days_past_due, '', 0, 0, 0, 0, 0, 0,
               NULL, NULL, NULL, NULL, NULL, NULL,
               0, 0, {s.false}, NULL, NULL,
               NULL, %(now)s, %(now)s
        FROM (
            SELECT a.borrower_id, a.days_past_due, p.currency,
                   (SELECT MIN(pp.portfolio_id) FROM {T["portfolio_product"]} pp
                    WHERE pp.creditproduct_id = a.product_id) AS portfolio_id,
                   ROW_NUMBER() OVER (PARTITION BY a.borrower_id ORDER BY a.days_past_due DESC, a.id) AS lead_order
            FROM {T["account"]} a
            JOIN {T["product"]} p ON p.id = a.product_id
            WHERE a.days_past_due > 0
              AND a.borrower_id NOT IN (SELECT c.borrower_id FROM {T["case"]} c WHERE c.{OPEN})
              AND {_not_settled("a")}
        ) l
        WHERE l.lead_order = 1
        """  # noqa: S608
    )


def _new_cases(s: _Sql) -> str:
    """The cases this run opened (`c`)."""
    return f"c.{OPEN} AND c.created_at = %(now)s AND c.opened_on = {s.as_of}"


def accounts_join(run: _Run) -> int:
    s = run.s
    # NOT IN (...), not NOT EXISTS: PostgreSQL reads the open memberships once, before the INSERT
    # below adds to that same table (probing it row by row while it grows was quadratic on the first night).
    source = f"""
        FROM {T["account"]} a
        JOIN {T["case"]} c ON c.borrower_id = a.borrower_id AND c.{OPEN}
        WHERE a.days_past_due > 0
          AND a.id NOT IN (SELECT m.account_id FROM {T["member"]} m WHERE m.left_on IS NULL)
          AND {_not_settled("a")}
    """  # noqa: S608
    run.events(
        kind=EventKind.ACCOUNT,
        case_id="c.id",
        summary=_fill("t_joined", account="a.external_id", days=s.text("a.days_past_due")),
        data=s.json(
            code="'account_joined'", account="a.external_id", account_id="a.id", days_past_due="a.days_past_due"
        ),
        source=source,
    )
    return run.execute(
        f"INSERT INTO {T['member']} (case_id, account_id, joined_on, left_on) "  # noqa: S608
        f"SELECT c.id, a.id, {s.as_of}, NULL {source}"
    )


def accounts_leave(run: _Run) -> int:
    s = run.s
    cured = f"""
        FROM {T["member"]} m
        JOIN {T["account"]} a ON a.id = m.account_id
        JOIN {T["case"]} c ON c.id = m.case_id
        WHERE m.left_on IS NULL AND a.days_past_due = 0 AND c.{OPEN}
    """  # noqa: S608
    run.events(
        kind=EventKind.ACCOUNT,
        case_id="c.id",
        summary=_fill("t_left", account="a.external_id"),
        data=s.json(code="'account_left'", account="a.external_id", account_id="a.id", days_past_due="0"),
        source=cured,
    )
    return run.execute(
        f"UPDATE {T['member']} AS mm SET left_on = {s.as_of} "  # noqa: S608
        f"FROM (SELECT m.id {cured}) f WHERE mm.id = f.id"
    )


# --- 6. Figures ----------------------------------------------------------------------------------

FIGURES = (
    "days_past_due",
    "bucket",
    "overdue_principal",
    "overdue_interest",
    "overdue_fees",
    "overdue_penalty",
    "overdue_total",
    "outstanding_balance",
)


def _figures_sql(s: _Sql) -> str:
    """Each open case's figures from its accounts (those that left today if none is left), with its bucket."""
    members = (
        f"m.left_on IS NULL OR (m.left_on = {s.as_of} AND NOT EXISTS "  # noqa: S608
        f"(SELECT 1 FROM {T['member']} x WHERE x.case_id = m.case_id AND x.left_on IS NULL))"
    )
    return f"""
    SELECT f.*, b.code AS bucket,
           {s.money("f.overdue_principal + f.overdue_interest + f.overdue_fees + f.overdue_penalty")} AS overdue_total
    FROM (
        SELECT m.case_id, c.bucket AS old_bucket,
               MAX(a.days_past_due) AS days_past_due,
               {s.money_sum("a.overdue_principal")} AS overdue_principal,
               {s.money_sum("a.overdue_interest")} AS overdue_interest,
               {s.money_sum("a.overdue_fees")} AS overdue_fees,
               {s.money_sum("a.overdue_penalty")} AS overdue_penalty,
               {s.money_sum("a.outstanding_balance")} AS outstanding_balance
        FROM {T["case"]} c
        JOIN {T["member"]} m ON m.case_id = c.id
        JOIN {T["account"]} a ON a.id = m.account_id
        WHERE c.{OPEN} AND ({members})
        GROUP BY m.case_id, c.bucket
    ) f
    JOIN {T["bucket"]} b ON f.days_past_due >= b.min_days AND (b.max_days IS NULL OR f.days_past_due <= b.max_days)
    """  # noqa: S608


def cases_refresh(run: _Run) -> tuple[int, list[int]]:
    """
    Write each open case's figures and, from them, its priority, where either
    changes (one write per case a night); return how many cases were written
    and the ids of those whose bucket moved.
    """
    s = run.s
    figures = _figures_sql(s)
    priority = priority_sql(
        today=run.as_of,
        overdue_total="f.overdue_total",
        days_past_due="f.days_past_due",
        broken_promises="c.broken_promises",
        last_contact_at="c.last_contact_at",
    )
    assignments = ", ".join(f"{column} = f.{column}" for column in FIGURES)
    changed = " OR ".join(f"c.{column} IS DISTINCT FROM f.{column}" for column in FIGURES)
    update = (
        f"UPDATE {T['case']} AS c SET {assignments}, priority = {priority}, updated_at = %(now)s "  # noqa: S608
        f"FROM ({figures}) f WHERE c.id = f.case_id AND ({changed} OR c.priority <> {priority})"
    )
    if s.pg:
        # One pass: the UPDATE hands its rows (old and new bucket) on.
        rows = run.rows(f"WITH changed AS ({update} RETURNING c.id, f.old_bucket, f.bucket) SELECT * FROM changed")  # noqa: S608
        return len(rows), [case_id for case_id, old, new in rows if old != new]
    # SQLite has no UPDATE inside WITH: find the moves first, then update.
    moved = [
        case_id
        for (case_id,) in run.rows(f"SELECT f.case_id FROM ({figures}) f WHERE f.old_bucket <> f.bucket")  # noqa: S608
    ]
    return run.execute(update), moved


# --- 7. Close ---------------------------------------------------------------------------------------


def cases_close(run: _Run) -> dict[str, int]:
    s = run.s
    settled = (
        f"EXISTS (SELECT 1 FROM {T['arrangement']} r WHERE r.case_id = c.id "  # noqa: S608
        f"AND r.kind = '{ArrangementKind.SETTLEMENT}' AND r.status = '{ArrangementStatus.COMPLETED}')"
    )
    closing = (
        f"c.{OPEN} AND (NOT EXISTS (SELECT 1 FROM {T['member']} m WHERE m.case_id = c.id AND m.left_on IS NULL) "  # noqa: S608
        f"OR {settled})"
    )
    outcome = (
        f"CASE WHEN {settled} THEN '{CloseOutcome.SETTLED}' "
        f"WHEN c.outstanding_balance <= 0 THEN '{CloseOutcome.PAID_IN_FULL}' ELSE '{CloseOutcome.CURED}' END"
    )
    cases = f"(SELECT c.id, c.status, {outcome} AS outcome FROM {T['case']} c WHERE {closing}) x"  # noqa: S608
    counts = dict(run.rows(f"SELECT x.outcome, COUNT(*) FROM {cases} GROUP BY x.outcome"))  # noqa: S608
    if not counts:
        return {}
    run.events(
        kind=EventKind.STATUS,
        case_id="x.id",
        summary=_fill("t_closed", outcome=_label("x.outcome", "outcome")),
        data=s.json(code="'closed'", **{"from": "x.status"}, to=f"'{CaseStatus.CLOSED}'", outcome="x.outcome"),
        source=f"FROM {cases}",
    )
    run.execute(
        f"""
        UPDATE {T["case"]} AS c SET status = '{CaseStatus.CLOSED}', close_outcome = {outcome},
               closed_on = {s.as_of}, next_action_at = NULL, worked_by_id = NULL, worked_until = NULL,
               updated_at = %(now)s
        WHERE {closing}
        """  # noqa: S608
    )
    closed_today = f"SELECT c.id FROM {T['case']} c WHERE c.status = '{CaseStatus.CLOSED}' AND c.closed_on = {s.as_of}"  # noqa: S608
    # What is still attached to the cases closed today: their active arrangements end, their accounts leave.
    ending = (
        f"FROM {T['arrangement']} r WHERE r.status = '{ArrangementStatus.ACTIVE}' AND r.case_id IN ({closed_today})"
    )
    run.events(
        kind=EventKind.ARRANGEMENT,
        case_id="r.case_id",
        summary=_fill("t_arrangement_ended", kind=_label("r.kind", "kind")),
        data=s.json(
            code="'arrangement_ended'",
            arrangement="r.id",
            arrangement_kind="r.kind",
            status=f"'{ArrangementStatus.COMPLETED}'",
        ),
        source=ending,
    )
    run.execute(
        f"UPDATE {T['arrangement']} AS r SET status = '{ArrangementStatus.COMPLETED}', ended_on = {s.as_of} "  # noqa: S608
        f"WHERE r.status = '{ArrangementStatus.ACTIVE}' AND r.case_id IN ({closed_today})"
    )
    leaving = (
        f"FROM {T['member']} m JOIN {T['account']} a ON a.id = m.account_id "
        f"WHERE m.left_on IS NULL AND m.case_id IN ({closed_today})"
    )
    run.events(
        kind=EventKind.ACCOUNT,
        case_id="m.case_id",
        summary=_fill("t_left_closed", account="a.external_id"),
        data=s.json(code="'account_left'", account="a.external_id", account_id="a.id", days_past_due="a.days_past_due"),
        source=leaving,
    )
    run.execute(
        f"UPDATE {T['member']} AS mm SET left_on = {s.as_of} "  # noqa: S608
        f"WHERE mm.left_on IS NULL AND mm.case_id IN ({closed_today})"
    )
    return counts


# --- 8. Stage ------------------------------------------------------------------------------------------


def stages_write(run: _Run) -> tuple[int, list[int]]:
    """The new cases' first stage; early → late past 30 days. Returns the changes and the escalated cases."""
    s = run.s
    opened = f"FROM {T['case']} c WHERE {_new_cases(s)}"  # noqa: S608
    run.events(
        kind=EventKind.STATUS,
        case_id="c.id",
        summary=_fill("t_opened", days=s.text("c.days_past_due"), stage=_label("c.stage", "stage")),
        data=s.json(code="'opened'", to=f"'{CaseStatus.OPEN}'", stage="c.stage", days_past_due="c.days_past_due"),
        source=opened,
    )
    first = run.execute(
        f"INSERT INTO {T['stage']} (case_id, changed_on, from_stage, to_stage, actor_id) "  # noqa: S608
        f"SELECT c.id, {s.as_of}, '', c.stage, NULL {opened}"
    )
    late = (
        f"c.{OPEN} AND c.stage = '{Stage.EARLY}' AND c.days_past_due > {EARLY_STAGE_MAX_DAYS} AND NOT ({_new_cases(s)})"
    )
    escalated = [case_id for (case_id,) in run.rows(f"SELECT c.id FROM {T['case']} c WHERE {late}")]  # noqa: S608
    if escalated:
        source = f"FROM {T['case']} c WHERE {late}"  # noqa: S608
        run.events(
            kind=EventKind.STAGE,
            case_id="c.id",
            summary=_fill(
                "t_stage",
                **{"from": _label("c.stage", "stage")},
                to=f"%(label_stage_{Stage.LATE})s",
                days=s.text("c.days_past_due"),
            ),
            data=s.json(
                code="'stage_changed'",
                **{"from": "c.stage"},
                to=f"'{Stage.LATE}'",
                days_past_due="c.days_past_due",
            ),
            source=source,
        )
        run.execute(
            f"INSERT INTO {T['stage']} (case_id, changed_on, from_stage, to_stage, actor_id) "  # noqa: S608
            f"SELECT c.id, {s.as_of}, c.stage, '{Stage.LATE}', NULL {source}"
        )
        run.execute(f"UPDATE {T['case']} AS c SET stage = '{Stage.LATE}', updated_at = %(now)s WHERE {late}")  # noqa: S608
    return first + len(escalated), escalated


# --- 9. Status, next promise, priority ------------------------------------------------------------------


def _status_sql() -> str:
    """The set-based twin of services.cases.case_status_derive for an open case `c`."""
    return (
        f"CASE WHEN EXISTS (SELECT 1 FROM {T['hold']} h WHERE h.case_id = c.id AND h.released_at IS NULL) "  # noqa: S608
        f"THEN '{CaseStatus.ON_HOLD}' "
        f"WHEN EXISTS (SELECT 1 FROM {T['arrangement']} r WHERE r.case_id = c.id "
        f"AND r.status = '{ArrangementStatus.ACTIVE}') THEN '{CaseStatus.IN_ARRANGEMENT}' "
        f"WHEN EXISTS (SELECT 1 FROM {T['promise']} p WHERE p.case_id = c.id "
        f"AND p.status = '{PromiseStatus.PENDING}') THEN '{CaseStatus.PROMISED}' "
        f"ELSE '{CaseStatus.OPEN}' END"
    )


def statuses_refresh(run: _Run) -> int:
    s = run.s
    changes = f"(SELECT c.id, c.status AS old, {_status_sql()} AS new FROM {T['case']} c WHERE c.{OPEN}) x"  # noqa: S608
    run.events(
        kind=EventKind.STATUS,
        case_id="x.id",
        summary=_fill("t_status", **{"from": _label("x.old", "status")}, to=_label("x.new", "status")),
        data=s.json(**{"from": "x.old"}, to="x.new"),
        source=f"FROM {changes} WHERE x.old <> x.new",
    )
    return run.execute(
        f"UPDATE {T['case']} AS cc SET status = x.new, updated_at = %(now)s "  # noqa: S608
        f"FROM {changes} WHERE cc.id = x.id AND x.old <> x.new"
    )


def promise_dates_refresh(run: _Run) -> int:
    next_due = (
        f"(SELECT MIN(p.due_on) FROM {T['promise']} p WHERE p.case_id = c.id AND p.status = '{PromiseStatus.PENDING}')"  # noqa: S608
    )
    return run.execute(
        f"UPDATE {T['case']} AS cc SET promise_due_on = x.next_due, updated_at = %(now)s "  # noqa: S608
        f"FROM (SELECT c.id, c.promise_due_on, {next_due} AS next_due FROM {T['case']} c WHERE c.{OPEN}) x "
        "WHERE cc.id = x.id AND x.promise_due_on IS DISTINCT FROM x.next_due"
    )


# --- The run ---------------------------------------------------------------------------------------------


def _lending_check(as_of: datetime.date) -> None:
    figures_day = DelinquencyRun.objects.order_by("-finished_at", "-id").values_list("as_of", flat=True).first()
    if figures_day is None:
        raise CollectionError(LENDING_NEVER_RUN)
    if figures_day != as_of:
        raise CollectionError(LENDING_NOT_RUN.format(figures_day=figures_day.isoformat(), day=as_of.isoformat()))


def lifecycle_run(*, as_of: datetime.date) -> LifecycleReport:
    """Bring the cases to the day (see the module's docstring), in one transaction; safe to run again."""
    report = LifecycleReport(as_of=as_of)
    default_portfolio = Portfolio.objects.filter(is_default=True).values_list("pk", flat=True).first()
    if default_portfolio is None:
        raise CollectionError(NO_DEFAULT_PORTFOLIO)
    with transaction.atomic():
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_try_advisory_xact_lock(%s)", [ADVISORY_LOCK_KEY])
                if not cursor.fetchone()[0]:
                    raise CollectionError(ALREADY_RUNNING)
                cursor.execute(f"SET LOCAL work_mem = '{WORK_MEM}'")
                # The statements are many and short; compiling each (~0.4 s apiece) costs more than it saves.
                cursor.execute("SET LOCAL jit = off")
        _lending_check(as_of)
        run = _Run(as_of=as_of, now=timezone.now(), default_portfolio=default_portfolio)
        clock = _Clock(report)
        report.promises = promises_decide(run)
        clock.lap("promises")
        report.installments, report.arrangements_completed, report.arrangements_broken = arrangements_track(run)
        clock.lap("arrangements")
        report.cases_opened = cases_open(run)
        run.analyze(T["case"], rows_added=report.cases_opened)
        clock.lap("open")
        report.accounts_joined = accounts_join(run)
        run.analyze(T["member"], rows_added=report.accounts_joined)
        clock.lap("join")
        report.accounts_left = accounts_leave(run)
        clock.lap("leave")
        report.cases_refreshed, bucket_moved = cases_refresh(run)
        clock.lap("figures")
        report.cases_closed = cases_close(run)
        clock.lap("close")
        report.stage_changes, escalated = stages_write(run)
        clock.lap("stages")
        report.statuses_changed = statuses_refresh(run)
        report.promise_dates_changed = promise_dates_refresh(run)
        clock.lap("statuses")
        new_cases = list(
            Case.objects.filter(created_at=run.now, opened_on=as_of).order_by("id").values_list("pk", flat=True)
        )
        moved = set(bucket_moved) | set(escalated)
        report.cases_assigned = cases_distribute(case_ids=[*new_cases, *moved])
        clock.lap("assignment")
    _log(report)
    return report


class _Clock:
    def __init__(self, report: LifecycleReport):
        self.report = report
        self.last = time.perf_counter()

    def lap(self, step: str) -> None:
        now = time.perf_counter()
        self.report.seconds[step] = round(now - self.last, 3)
        self.last = now


def _log(report: LifecycleReport) -> None:
    day = report.as_of.isoformat()
    logger.info(
        "collection lifecycle %s: %d cases opened, %d accounts joined, %d left, %d cases refreshed, "
        "%d closed %s, %d stage changes",
        day,
        report.cases_opened,
        report.accounts_joined,
        report.accounts_left,
        report.cases_refreshed,
        sum(report.cases_closed.values()),
        report.cases_closed,
        report.stage_changes,
    )
    logger.info(
        "collection lifecycle %s: promises %s, installments %s, arrangements %d completed %d broken, "
        "%d statuses changed, %d cases assigned",
        day,
        report.promises,
        report.installments,
        report.arrangements_completed,
        report.arrangements_broken,
        report.statuses_changed,
        report.cases_assigned,
    )


def collection_nightly_run(*, as_of: datetime.date):
    """Lending's nightly run, then the lifecycle, for the day: what beat and the command run. Safe to run twice."""
    from lending.delinquency import run_nightly

    lending_report = run_nightly(as_of=as_of)
    return lending_report, lifecycle_run(as_of=as_of)
