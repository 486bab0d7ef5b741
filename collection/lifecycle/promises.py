"""
Step 1 of the lifecycle: decide the promises to pay whose due date has
passed — kept, partly kept or broken — from the payments received on the
case's accounts between when the promise was taken and the end of its due
date (lender's time zone). The payments are shared out in due-date order, so
one payment never keeps two promises of a series. The few promises due are
read in Python, in a constant number of queries; the decisions and their
timeline lines are written set-based.
"""

import datetime
from collections import Counter, defaultdict
from decimal import Decimal

from django.db.models import Count

from collection.lifecycle.statements import NightStatements, T, day_start
from collection.lifecycle.timeline import case_events_write
from collection.models import Case, CaseAccount, EventKind, PromiseStatus, PromiseToPay
from lending.models import Payment
from lending.sql import chunks

ZERO = Decimal("0.00")
DECISIONS_PER_UPDATE = 3000  # rows of one VALUES list: three parameters each, under SQLite's limit


def promises_decide(run: NightStatements) -> dict[str, int]:
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
    for chunk in chunks(case_ids):
        promises.extend(
            PromiseToPay.objects.filter(case_id__in=chunk, due_on__lt=as_of)
            .exclude(status=PromiseStatus.CANCELLED)
            .order_by("case_id", "due_on", "id")
        )
        for case_id, account_id in CaseAccount.objects.filter(case_id__in=chunk).values_list("case_id", "account_id"):
            accounts_of[case_id].add(account_id)
    start = min(promise.created_at for promise in promises)
    end = day_start(max(promise.due_on for promise in promises) + datetime.timedelta(days=1))
    payments_of_account = defaultdict(list)
    account_ids = sorted({account_id for accounts in accounts_of.values() for account_id in accounts})
    for chunk in chunks(account_ids):
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
            window_end = day_start(promise.due_on + datetime.timedelta(days=1))
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
    for chunk in chunks(case_ids):
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
        for chunk in chunks(ids):
            Case.objects.filter(pk__in=chunk).update(
                broken_promises=count, has_broken_promise=has_broken, updated_at=run.now
            )
    return dict(counts)


def _promises_write(run: NightStatements, decided: list[PromiseToPay]) -> None:
    """The decisions, in one UPDATE from a VALUES list per few thousand promises, and their timeline lines."""
    d = run.dialect
    for chunk in chunks(decided, DECISIONS_PER_UPDATE):
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
            f"decided_on = {d.as_of} FROM {decisions} WHERE p.id = v.column1",
            params,
        )
        fields = {
            "amount": d.money_text("p.amount"),
            "paid": d.money_text("p.paid_amount"),
            "currency": "p.currency",
            "due_on": d.date_text("p.due_on"),
        }
        case_events_write(
            run,
            kind=EventKind.PROMISE,
            code="'promise_' || p.status",  # promise_kept, promise_partly_kept, promise_broken
            case_id="p.case_id",
            data=d.json(promise="p.id", status="p.status", **fields),
            source=f"FROM {T['promise']} p WHERE p.id IN (SELECT v.column1 FROM {decisions})",  # noqa: S608
            params=params,
        )
