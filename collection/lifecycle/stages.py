"""
Step 8 of the lifecycle: stages. A new case starts early (≤ 30 days past
due) or late (> 30). The lifecycle only escalates early → late; it never
moves a case back to early while it is open (a partial payment that brings it
to 20 days does not undo the late treatment, and cases do not flip between
teams), and never touches field, agency, legal, write-off or sold, which
people and later issues decide. Each change is a StageChange row and a
timeline line.
"""

from collection.lifecycle.statements import OPEN, NightStatements, T
from collection.lifecycle.timeline import case_events_write
from collection.models import CaseStatus, EventKind, Stage
from lending.sql import Dialect

EARLY_STAGE_MAX_DAYS = 30  # early ≤ 30 days past due < late


def _new_cases(d: Dialect) -> str:
    """The cases this run opened (`c`)."""
    return f"c.{OPEN} AND c.created_at = %(now)s AND c.opened_on = {d.as_of}"


def stages_write(run: NightStatements) -> tuple[int, list[int]]:
    """The new cases' first stage; early → late past 30 days. Returns the changes and the escalated cases."""
    d = run.dialect
    opened = f"FROM {T['case']} c WHERE {_new_cases(d)}"  # noqa: S608
    case_events_write(
        run,
        kind=EventKind.STATUS,
        code="'opened'",
        case_id="c.id",
        data=d.json(to=f"'{CaseStatus.OPEN}'", stage="c.stage", days_past_due="c.days_past_due"),
        source=opened,
    )
    first = run.execute(
        f"INSERT INTO {T['stage']} (case_id, changed_on, from_stage, to_stage, actor_id) "  # noqa: S608
        f"SELECT c.id, {d.as_of}, '', c.stage, NULL {opened}"
    )
    late = (
        f"c.{OPEN} AND c.stage = '{Stage.EARLY}' AND c.days_past_due > {EARLY_STAGE_MAX_DAYS} AND NOT ({_new_cases(d)})"
    )
    escalated = [case_id for (case_id,) in run.rows(f"SELECT c.id FROM {T['case']} c WHERE {late}")]  # noqa: S608
    if escalated:
        source = f"FROM {T['case']} c WHERE {late}"  # noqa: S608
        case_events_write(
            run,
            kind=EventKind.STAGE,
            code="'stage_changed'",
            case_id="c.id",
            data=d.json(
                **{"from": "c.stage"},
                to=f"'{Stage.LATE}'",
                days_past_due="c.days_past_due",
            ),
            source=source,
        )
        run.execute(
            f"INSERT INTO {T['stage']} (case_id, changed_on, from_stage, to_stage, actor_id) "  # noqa: S608
            f"SELECT c.id, {d.as_of}, c.stage, '{Stage.LATE}', NULL {source}"
        )
        run.execute(f"UPDATE {T['case']} AS c SET stage = '{Stage.LATE}', updated_at = %(now)s WHERE {late}")  # noqa: S608
    return first + len(escalated), escalated
