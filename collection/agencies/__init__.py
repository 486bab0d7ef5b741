"""
Outside collection agencies: the agencies and their contracts, placing cases
with them and recalling them, the agency portal, the file exchange with an
agency's own system, commission and its monthly statements, and the
agencies' performance side by side.

A subpackage of collection rather than an app of its own: a placement moves
a case's stage, hides it from the lender's queues, must be recalled by
collection's own events (a dispute or a hardship hold, a case closing), and
every agency contact goes through collection's guard and services. An app to
the right of collection would need collection to call back into it for each
of those. The models are collection's (collection/models/agencies.py).

- members.py     which agency a user works for (the scope reads it)
- services.py    agencies, contracts, tiers, evaluations and members
- placement.py   placing cases (one agency, or several by a rule)
- recall.py      recalling them (by hand, at the period's end, forced by events)
- portal.py      what an agency agent sees of a case (the contract's fields)
- commission.py  payments attributed to placements; commission and clawback
- statements.py  the monthly commission statement (PDF and CSV)
- exchange.py    the placement file out, the return file in
- performance.py the agencies and batches side by side
"""
