"""
Step 2 of the lifecycle: track the active arrangements' installments. The
payments since an arrangement was agreed (`requested_at`) up to the start of
the day are allocated to its installments in order. An installment due
before the day is paid, partly paid, or missed when nothing is left for it —
so short payments carry over and the arrangement breaks once the shortfall
reaches a whole installment. A missed installment breaks the arrangement
(the case's status follows in step 9); all paid completes it.

`arrangements_end` is also how closing a case (membership.cases_close) ends
the case's active arrangements.
"""

from collection.lifecycle.statements import NightStatements, T
from collection.lifecycle.timeline import case_events_write
from collection.models import ArrangementInstallment, ArrangementStatus, EventKind
from lending.models import Payment
from lending.sql import Dialect


def _installments_fresh_sql(d: Dialect) -> str:
    """Each installment of an active arrangement, with what the payments since it was agreed pay of it, in order."""
    paid_before = (
        "COALESCE(SUM(i.amount) OVER (PARTITION BY i.arrangement_id ORDER BY i.number "
        "ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING), 0)"
    )
    return f"""
    SELECT x.*,
           CASE WHEN x.paid_amount >= x.amount THEN 'paid'
                WHEN x.due_on >= {d.as_of} THEN 'due'
                WHEN x.paid_amount > 0 THEN 'partly_paid'
                ELSE 'missed' END AS status
    FROM (
        SELECT i.id, i.arrangement_id, r.case_id, r.currency, i.number, i.due_on, i.amount,
               i.status AS old_status, i.paid_amount AS old_paid,
               {d.money(d.greatest("0", d.least("i.amount", f"p.total - {paid_before}")))} AS paid_amount
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


def arrangements_end(
    run: NightStatements, *, condition: str, status: str, code: str, ending: str = ArrangementStatus.ACTIVE
) -> int:
    """
    End the arrangements `r` in status `ending` (active ones, or requests still
    waiting for approval) that meet `condition` with `status`, each with a
    timeline line of `code`; how many ended.
    """
    d = run.dialect
    case_events_write(
        run,
        kind=EventKind.ARRANGEMENT,
        code=f"'{code}'",
        case_id="r.case_id",
        data=d.json(
            arrangement="r.id",
            arrangement_kind="r.kind",
            status=f"'{status}'",
        ),
        source=f"FROM {T['arrangement']} r WHERE r.status = '{ending}' AND {condition}",  # noqa: S608
    )
    return run.execute(
        f"UPDATE {T['arrangement']} AS r SET status = '{status}', ended_on = {d.as_of} "  # noqa: S608
        f"WHERE r.status = '{ending}' AND {condition}"
    )


def arrangements_track(run: NightStatements) -> tuple[dict[str, int], int, int]:
    """Write the installments' new paid amounts and statuses; end the arrangements that broke or completed.

    Returns the changed installments by new status, and how many arrangements completed and broke.
    """
    d = run.dialect
    fresh = _installments_fresh_sql(d)
    Status = ArrangementInstallment.Status
    changed_rows = run.rows(
        f"SELECT f.status, COUNT(*) FROM ({fresh}) f "  # noqa: S608
        "WHERE f.status <> f.old_status OR f.paid_amount <> f.old_paid GROUP BY f.status"
    )
    for status in (Status.PAID, Status.PARTLY_PAID, Status.MISSED):
        case_events_write(
            run,
            kind=EventKind.ARRANGEMENT,
            code=f"'installment_{status}'",
            case_id="f.case_id",
            data=d.json(
                arrangement="f.arrangement_id",
                number="f.number",
                amount=d.money_text("f.amount"),
                paid=d.money_text("f.paid_amount"),
                currency="f.currency",
                due_on=d.date_text("f.due_on"),
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

    installments = f"SELECT 1 FROM {T['installment']} i WHERE i.arrangement_id = r.id"  # noqa: S608
    ending_when = {
        # Broken first: an arrangement with a missed installment never completes.
        ArrangementStatus.BROKEN: f"EXISTS ({installments} AND i.status = '{Status.MISSED}')",
        ArrangementStatus.COMPLETED: (
            f"EXISTS ({installments}) AND NOT EXISTS ({installments} AND i.status <> '{Status.PAID}')"
        ),
    }
    ended = {
        status: arrangements_end(run, condition=condition, status=status, code=f"arrangement_{status}")
        for status, condition in ending_when.items()
    }
    changed = {status: count for status, count in changed_rows}
    return changed, ended[ArrangementStatus.COMPLETED], ended[ArrangementStatus.BROKEN]
