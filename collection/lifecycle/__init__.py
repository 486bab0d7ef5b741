"""
The collection step of the nightly run (docs/nightly-run.md): for one day,
after lending's `run_nightly` has brought every account's days past due,
bucket and overdue amounts to that day, bring the cases to it too. In one
transaction, as a handful of set-based SQL statements (PostgreSQL and SQLite
alike), never a Python loop over accounts or cases. The steps, in order, and
where each lives:

1. promises.py      — decide the promises due before the day: kept, partly
                      kept or broken (and the case's broken-promise count).
2. arrangements.py  — allocate payments to arrangement installments; a missed
                      one breaks the arrangement, all paid completes it.
3-5. membership.py  — open a case per newly delinquent borrower; accounts
                      join their borrower's open case; cured accounts leave.
6. figures.py       — each open case's figures from its accounts, and its
                      priority, in one write.
7. membership.py    — close cases with no account left or a completed
                      settlement (cured, paid in full, settled).
8. stages.py        — a new case's first stage; early → late past 30 days.
9. statuses.py      — each open case's status and next promise date.
10. run.py          — the new and moved cases are shared out by the team work
                      rules (services/assignment.cases_distribute).

And what the steps share:
- run.py         — `lifecycle_run` (the steps in order, the checks, the
                   PostgreSQL lock and settings) and `collection_nightly_run`
                   (lending's run, then this).
- statements.py  — `NightStatements`: the night's parameters and cursor
                   calls; the table names `T`; `OPEN`.
- timeline.py    — every CaseEvent row the lifecycle writes
                   (`case_events_write`), by code and facts.
- report.py      — `LifecycleReport`, step timing, the log lines.
- The SQL that differs between PostgreSQL and SQLite: lending/sql.py.

Every step writes only what changes, so running the same day twice changes
nothing the second time. On PostgreSQL the run takes an advisory lock (a
second concurrent run is refused), turns JIT off for its transaction (it cost
~0.4 s per statement, more than the statements themselves) and ANALYZEs the
case tables after a bulk first night. The figures must be lending's for the
same day: the run refuses when lending's latest run was for another day. Run
both with `collection_nightly_run` (the beat task and `manage.py
run_collection_nightly`).
"""

from collection.lifecycle.arrangements import arrangements_end, arrangements_track
from collection.lifecycle.figures import FIGURES, cases_refresh
from collection.lifecycle.membership import CASE_COLUMNS, accounts_join, accounts_leave, cases_close, cases_open
from collection.lifecycle.promises import promises_decide
from collection.lifecycle.report import LifecycleReport
from collection.lifecycle.run import (
    ADVISORY_LOCK_KEY,
    ALREADY_RUNNING,
    LENDING_NEVER_RUN,
    LENDING_NOT_RUN,
    NO_DEFAULT_PORTFOLIO,
    WORK_MEM,
    collection_nightly_run,
    lifecycle_run,
)
from collection.lifecycle.stages import EARLY_STAGE_MAX_DAYS, stages_write
from collection.lifecycle.statements import OPEN, NightStatements, T
from collection.lifecycle.statuses import promise_dates_refresh, statuses_refresh
from collection.lifecycle.timeline import case_events_write

# bench/collection_nightly.py builds one night's statements under the old name.
_Run = NightStatements

__all__ = [
    "ADVISORY_LOCK_KEY",
    "ALREADY_RUNNING",
    "CASE_COLUMNS",
    "EARLY_STAGE_MAX_DAYS",
    "FIGURES",
    "LENDING_NEVER_RUN",
    "LENDING_NOT_RUN",
    "NO_DEFAULT_PORTFOLIO",
    "OPEN",
    "T",
    "WORK_MEM",
    "LifecycleReport",
    "NightStatements",
    "accounts_join",
    "accounts_leave",
    "arrangements_end",
    "arrangements_track",
    "case_events_write",
    "cases_close",
    "cases_open",
    "cases_refresh",
    "collection_nightly_run",
    "lifecycle_run",
    "promise_dates_refresh",
    "promises_decide",
    "stages_write",
    "statuses_refresh",
]
