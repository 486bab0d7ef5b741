"""
Portfolio: what managers use to steer the whole book (issue 14) — dashboards
over aggregate tables the nightly run refreshes, collection scoring,
credit-bureau reporting, write-off and debt sale.

The last app in DESIGN.md's order: it may import every other app, and none
imports it. Scores are written onto cases (`Case.score`), never read back
from here.

- bureau/   the monthly credit-bureau files (Metro 2 fixed width; the
            Chinese credit-reporting CSV layout) built from the month-end
            snapshots, and their layout validators
"""
