"""
The case timeline lines (CaseEvent rows) the nightly lifecycle writes.

Every CaseEvent row the lifecycle writes goes through `case_events_write`,
one INSERT ... SELECT per kind of line. Each step passes SQL for the line's
code and facts from its own rows — the same codes and facts as
collection/events.py gives the services — and never a sentence: the case page
renders each line for its reader (collection/timeline.py).
"""

from typing import TYPE_CHECKING

from collection.models import CaseEvent

if TYPE_CHECKING:
    from collection.lifecycle.statements import NightStatements

EVENT_TABLE = CaseEvent._meta.db_table


def case_events_write(
    run: "NightStatements", *, kind: str, code: str, case_id: str, data: str, source: str, params=None
) -> int:
    """
    Timeline lines, one per row of `source` (FROM ... WHERE ...): the one
    place the lifecycle writes CaseEvent rows. `code`, `case_id` and `data`
    are SQL over `source`'s rows; no actor (the nightly run), no notes.
    """
    return run.execute(
        f"INSERT INTO {EVENT_TABLE} (case_id, occurred_at, kind, code, actor_id, notes, data) "  # noqa: S608
        f"SELECT {case_id}, %(now)s, '{kind}', {code}, NULL, '', {data} {source}",
        params,
    )
