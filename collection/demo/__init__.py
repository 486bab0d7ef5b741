"""
A few months of believable collection history over the demo portfolio, so
that the queues, the case page and the field agent's day look like a working
floor the first time `make run` opens them.

`collection_demo_seed` runs after lending's `seed_demo` and the demo staff:
it sets up the demo teams' work rules and capacities, runs the collection
lifecycle for today (which opens the cases and shares them out), then writes
each case's past: calls with their outcomes, promises kept
and broken (decided from the payments the portfolio really holds), a few
arrangements, holds and field visits, and the matching timeline lines.

History is written in bulk (it is the past: the services' "from now on"
validations do not apply to it), inside contact hours and within the
China profile's daily cap, deterministic for a given seed.

Callers import from here; the code lives in:

- collection.demo.seed     collection_demo_seed and the steps around the history:
                           teams' rules, backdating, the cases' figures afterwards
- collection.demo.history  one case's past: messages, calls, promises, holds
- collection.demo.deals    hardship arrangements and field visits
- collection.demo.rows     _History (the rows collected) and _write (in bulk),
                           the weighted pick and the contact-hours moment
- collection.demo.texts    the refusals, teams' rules, capacities, reasons,
                           call outcome weights and the staff's notes (en, zh)
"""

from collection.demo.deals import _field_visit, _hardship_arrangement
from collection.demo.history import _case_history, _demo_payment, _paid_between
from collection.demo.rows import _History, _local_moment, _pick, _write
from collection.demo.seed import (
    DemoCollectionResult,
    _cases_after_history,
    _cases_backdate,
    collection_demo_seed,
    demo_work_rules_ensure,
)
from collection.demo.texts import (
    CALL_OUTCOMES,
    CAPACITIES,
    DEMO_HISTORY_EXISTS,
    DEMO_NO_STAFF,
    NOT_CONNECTED,
    NOTES,
    REASONS,
    TEAM_RULES,
)

__all__ = [
    "CALL_OUTCOMES",
    "CAPACITIES",
    "DEMO_HISTORY_EXISTS",
    "DEMO_NO_STAFF",
    "NOTES",
    "NOT_CONNECTED",
    "REASONS",
    "TEAM_RULES",
    "DemoCollectionResult",
    "_History",
    "_case_history",
    "_cases_after_history",
    "_cases_backdate",
    "_demo_payment",
    "_field_visit",
    "_hardship_arrangement",
    "_local_moment",
    "_paid_between",
    "_pick",
    "_write",
    "collection_demo_seed",
    "demo_work_rules_ensure",
]
