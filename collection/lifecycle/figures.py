"""
Step 6 of the lifecycle: refresh each open case's figures from its accounts —
the most days past due and its bucket, the sums of the overdue amounts, their
total and the outstanding balance (a case whose last accounts left today
keeps the figures of those accounts) — and, in the same write, its priority
(collection/priority.py), so a case row is written once a night.
"""

from collection.lifecycle.statements import OPEN, NightStatements, T
from collection.priority import priority_sql
from lending.sql import Dialect

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


def _figures_sql(d: Dialect) -> str:
    """Each open case's figures from its accounts (those that left today if none is left), with its bucket."""
    members = (
        f"m.left_on IS NULL OR (m.left_on = {d.as_of} AND NOT EXISTS "  # noqa: S608
        f"(SELECT 1 FROM {T['member']} x WHERE x.case_id = m.case_id AND x.left_on IS NULL))"
    )
    return f"""
    SELECT f.*, b.code AS bucket,
           {d.money("f.overdue_principal + f.overdue_interest + f.overdue_fees + f.overdue_penalty")} AS overdue_total
    FROM (
        SELECT m.case_id, c.bucket AS old_bucket,
               MAX(a.days_past_due) AS days_past_due,
               {d.money_sum("a.overdue_principal")} AS overdue_principal,
               {d.money_sum("a.overdue_interest")} AS overdue_interest,
               {d.money_sum("a.overdue_fees")} AS overdue_fees,
               {d.money_sum("a.overdue_penalty")} AS overdue_penalty,
               {d.money_sum("a.outstanding_balance")} AS outstanding_balance
        FROM {T["case"]} c
        JOIN {T["member"]} m ON m.case_id = c.id
        JOIN {T["account"]} a ON a.id = m.account_id
        WHERE c.{OPEN} AND ({members})
        GROUP BY m.case_id, c.bucket
    ) f
    JOIN {T["bucket"]} b ON f.days_past_due >= b.min_days AND (b.max_days IS NULL OR f.days_past_due <= b.max_days)
    """  # noqa: S608


def cases_refresh(run: NightStatements) -> tuple[int, list[int]]:
    """
    Write each open case's figures and, from them, its priority, where either
    changes (one write per case a night); return how many cases were written
    and the ids of those whose bucket moved.
    """
    d = run.dialect
    figures = _figures_sql(d)
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
    if d.pg:
        # One pass: the UPDATE hands its rows (old and new bucket) on.
        rows = run.rows(f"WITH changed AS ({update} RETURNING c.id, f.old_bucket, f.bucket) SELECT * FROM changed")  # noqa: S608
        return len(rows), [case_id for case_id, old, new in rows if old != new]
    # SQLite has no UPDATE inside WITH: find the moves first, then update.
    moved = [
        case_id
        for (case_id,) in run.rows(f"SELECT f.case_id FROM ({figures}) f WHERE f.old_bucket <> f.bucket")  # noqa: S608
    ]
    return run.execute(update), moved
