"""
Step 9 of the lifecycle: each open case's status from its holds,
arrangements and promises (the set-based twin of
`services.cases.case_status_derive`), each change a timeline line; and the
date of its next pending promise.
"""

from collection.lifecycle.statements import OPEN, NightStatements, T
from collection.lifecycle.timeline import case_events_write
from collection.models import ArrangementStatus, CaseStatus, EventKind, PromiseStatus


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


def statuses_refresh(run: NightStatements) -> int:
    """Each open case's status from its holds, arrangements and promises; how many changed."""
    d = run.dialect
    changes = f"(SELECT c.id, c.status AS old, {_status_sql()} AS new FROM {T['case']} c WHERE c.{OPEN}) x"  # noqa: S608
    case_events_write(
        run,
        kind=EventKind.STATUS,
        code="'status_changed'",
        case_id="x.id",
        data=d.json(**{"from": "x.old"}, to="x.new"),
        source=f"FROM {changes} WHERE x.old <> x.new",
    )
    return run.execute(
        f"UPDATE {T['case']} AS cc SET status = x.new, updated_at = %(now)s "  # noqa: S608
        f"FROM {changes} WHERE cc.id = x.id AND x.old <> x.new"
    )


def promise_dates_refresh(run: NightStatements) -> int:
    """Each open case's `promise_due_on`: its next pending promise's due date; how many changed."""
    next_due = (
        f"(SELECT MIN(p.due_on) FROM {T['promise']} p WHERE p.case_id = c.id AND p.status = '{PromiseStatus.PENDING}')"  # noqa: S608
    )
    return run.execute(
        f"UPDATE {T['case']} AS cc SET promise_due_on = x.next_due, updated_at = %(now)s "  # noqa: S608
        f"FROM (SELECT c.id, c.promise_due_on, {next_due} AS next_due FROM {T['case']} c WHERE c.{OPEN}) x "
        "WHERE cc.id = x.id AND x.promise_due_on IS DISTINCT FROM x.next_due"
    )
