"""
The rows of one month's bureau file, read from lending's month-end snapshots.

Set-based and streamed, for a million accounts: one query for the month's
month-end snapshots joined to their account, borrower and product (values(),
`.iterator()`, ordered by account), one query for the previous 23 month-ends
of every account in the same order, merged with it in one pass (never a query
per account), and two small sets read once: the accounts placed with a
collection agency, and the accounts whose case has a dispute open (or resolved
in the month).
"""

import datetime
from collections.abc import Iterator

from lending.models import DelinquencySnapshot

HISTORY_MONTHS = 23  # before the reported month: 24 months with it
CHUNK = 5000

ROW_FIELDS = {
    "account_id": "account_id",
    "snapshot_date": "snapshot_date",
    "days_past_due": "days_past_due",
    "overdue_principal": "overdue_principal",
    "overdue_interest": "overdue_interest",
    "overdue_fees": "overdue_fees",
    "overdue_penalty": "overdue_penalty",
    "outstanding_balance": "outstanding_balance",
    "external_id": "account__external_id",
    "account_status": "account__status",
    "opened_on": "account__opened_on",
    "credit_limit": "account__credit_limit",
    "borrower_name": "account__borrower__name",
    "national_id": "account__borrower__national_id",
    "date_of_birth": "account__borrower__date_of_birth",
    "province": "account__borrower__province",
    "city": "account__borrower__city",
    "product_kind": "account__product__kind",
    "currency": "account__product__currency",
}


def month_bounds(month: str) -> tuple[datetime.date, datetime.date]:
    """'2026-05' → (2026-05-01, 2026-06-01): the first day of the month and of the next."""
    year, number = (int(part) for part in month.split("-"))
    first = datetime.date(year, number, 1)
    return first, _months_after(first, 1)


def _months_after(day: datetime.date, months: int) -> datetime.date:
    index = day.year * 12 + day.month - 1 + months
    return datetime.date(index // 12, index % 12 + 1, 1)


def _month_index(day: datetime.date) -> int:
    return day.year * 12 + day.month - 1


def placed_account_ids() -> set[int]:
    """Accounts in an open case placed with a collection agency (Metro 2: 93, assigned to collections)."""
    from collection.models import CaseAccount, Stage

    return set(
        CaseAccount.objects.filter(left_on__isnull=True, case__stage=Stage.AGENCY, case__agency__isnull=False)
        .values_list("account_id", flat=True)
        .iterator(chunk_size=CHUNK)
    )


def disputed_account_ids(first: datetime.date, after: datetime.date) -> tuple[set[int], set[int]]:
    """(accounts with a dispute open at the month end, accounts whose dispute was resolved in the month)."""
    from collection.models import Hold, HoldKind

    end = datetime.datetime.combine(after, datetime.time.min, tzinfo=datetime.UTC)
    start = datetime.datetime.combine(first, datetime.time.min, tzinfo=datetime.UTC)
    open_ids: set[int] = set()
    resolved: set[int] = set()
    holds = Hold.objects.filter(kind=HoldKind.DISPUTE, started_at__lt=end, case__case_accounts__isnull=False)
    for account_id, released_at in holds.values_list("case__case_accounts__account_id", "released_at").iterator():
        if released_at is None or released_at >= end:
            open_ids.add(account_id)
        elif released_at >= start:
            resolved.add(account_id)
    return open_ids, resolved - open_ids


def month_rows(month: str) -> Iterator[dict]:
    """
    One dict per account snapshotted at the month's end (`ROW_FIELDS`, plus
    overdue_total, placed, dispute_open, dispute_resolved, and history: the
    23 previous months, most recent first, each a dict of days_past_due and
    balance, or "B" before the account opened, "D" for a month with no
    snapshot after it opened), in account order.
    """
    first, after = month_bounds(month)
    month_ends = DelinquencySnapshot.objects.filter(is_month_end=True)
    current = (
        month_ends.filter(snapshot_date__gte=first, snapshot_date__lt=after)
        .order_by("account_id")
        .values_list(*ROW_FIELDS.values())
        .iterator(chunk_size=CHUNK)
    )
    history = (
        month_ends.filter(snapshot_date__gte=_months_after(first, -HISTORY_MONTHS), snapshot_date__lt=first)
        .order_by("account_id", "-snapshot_date")
        .values_list("account_id", "snapshot_date", "days_past_due", "outstanding_balance")
        .iterator(chunk_size=CHUNK)
    )
    placed = placed_account_ids()
    dispute_open, dispute_resolved = disputed_account_ids(first, after)
    names = tuple(ROW_FIELDS)
    reported = _month_index(first)
    pending = next(history, None)
    for values in current:
        row = dict(zip(names, values, strict=True))
        account_id = row["account_id"]
        months: dict[int, dict] = {}
        while pending is not None and pending[0] < account_id:
            pending = next(history, None)
        while pending is not None and pending[0] == account_id:
            months[reported - _month_index(pending[1])] = {"days_past_due": pending[2], "balance": pending[3]}
            pending = next(history, None)
        opened = _month_index(row["opened_on"])
        row["history"] = [
            months.get(back) or ("B" if reported - back < opened else "D") for back in range(1, HISTORY_MONTHS + 1)
        ]
        row["overdue_total"] = (
            row["overdue_principal"] + row["overdue_interest"] + row["overdue_fees"] + row["overdue_penalty"]
        )
        row["placed"] = account_id in placed
        row["dispute_open"] = account_id in dispute_open
        row["dispute_resolved"] = account_id in dispute_resolved
        yield row
