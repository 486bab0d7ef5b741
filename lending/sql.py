"""
What every set-based pass over the portfolio repeats (lending's nightly run
in lending/delinquency.py, collection's lifecycle in collection/lifecycle/):
the few SQL fragments where PostgreSQL and SQLite (3.40, the demo) really
differ, the vendor check, id lists in chunks a query can take, and the
PostgreSQL-only transaction settings and advisory lock a nightly run starts
with.

The statements are written once, in the modules that run them; `Dialect`
supplies only the spots that differ — date arithmetic, GREATEST/LEAST,
rounding of SQLite's floating decimals, JSON, text conversions.
"""

from collections.abc import Iterable, Sequence

from django.db import connection

CHUNK = 2000  # ids per query: under SQLite's 32,766 parameters, small enough for PostgreSQL's planner


def is_postgresql() -> bool:
    return connection.vendor == "postgresql"


def chunks(items: Iterable, size: int = CHUNK) -> Iterable[Sequence]:
    """The items in lists of at most `size`, in order."""
    items = list(items)
    for start in range(0, len(items), size):
        yield items[start : start + size]


class Dialect:
    """The SQL fragments that differ between PostgreSQL and SQLite."""

    def __init__(self, vendor: str):
        self.pg = vendor == "postgresql"
        # Dates: a parameter cast to date on PostgreSQL, ISO text on SQLite.
        self.as_of = "CAST(%(as_of)s AS date)" if self.pg else "%(as_of)s"
        self.true, self.false = ("TRUE", "FALSE") if self.pg else ("1", "0")

    # --- dates ---

    def days(self, later: str, earlier: str) -> str:
        if self.pg:
            return f"({later} - {earlier})"
        return f"CAST(julianday({later}) - julianday({earlier}) AS INTEGER)"

    def add_days(self, day: str, days: str) -> str:
        if self.pg:
            return f"({day} + {days})"
        return f"date({day}, '+' || {days} || ' days')"

    # --- comparisons ---

    def greatest(self, *terms: str) -> str:
        return f"{'GREATEST' if self.pg else 'MAX'}({', '.join(terms)})"

    def least(self, *terms: str) -> str:
        return f"{'LEAST' if self.pg else 'MIN'}({', '.join(terms)})"

    # --- money ---

    def cents(self, expression: str) -> str:
        """Round a non-negative amount to cents, half up (SQLite's are floats: nudge them past x.xx4999…)."""
        if self.pg:
            return f"ROUND({expression}, 2)"
        return f"ROUND(({expression}) + 0.0000001, 2)"

    def money(self, expression: str) -> str:
        """An amount computed from others: exact on PostgreSQL, back on the cent on SQLite (floats)."""
        return expression if self.pg else f"ROUND({expression}, 2)"

    def money_sum(self, expression: str, *, where: str = "") -> str:
        """A sum of amounts: exact on PostgreSQL; rounded to cents on SQLite so that it compares equal next time."""
        total = f"SUM({expression})" + (f" FILTER (WHERE {where})" if where else "")
        return self.money(f"COALESCE({total}, 0)")

    # --- JSON and text ---

    def json(self, **pairs: str) -> str:
        function = "jsonb_build_object" if self.pg else "json_object"
        arguments = ", ".join(f"'{key}', {value}" for key, value in pairs.items())
        return f"{function}({arguments})"

    @staticmethod
    def text(expression: str) -> str:
        return f"CAST({expression} AS TEXT)"

    def money_text(self, expression: str) -> str:
        return f"CAST(ROUND({expression}, 2) AS TEXT)" if self.pg else f"printf('%%.2f', {expression})"

    def date_text(self, expression: str) -> str:
        return f"to_char({expression}, 'YYYY-MM-DD')" if self.pg else expression


# --- PostgreSQL only: the start of a nightly run's transaction ---------------------------


def advisory_xact_lock_try(key: int) -> bool:
    """Take the transaction-scoped advisory lock `key`; False when another transaction holds it."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_try_advisory_xact_lock(%s)", [key])
        return cursor.fetchone()[0]


def settings_set_local(**values: str) -> None:
    """SET LOCAL each setting (this transaction only), in order; the values are SQL (`"'256MB'"`, `"off"`)."""
    with connection.cursor() as cursor:
        for name, value in values.items():
            cursor.execute(f"SET LOCAL {name} = {value}")
