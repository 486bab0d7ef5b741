"""
What every set-based pass over the portfolio repeats (lending's nightly run
in lending/delinquency.py, collection's lifecycle in collection/lifecycle/):
the few SQL fragments where PostgreSQL and SQLite (3.40, the demo) really
differ, the vendor check, id lists in chunks a query can take, and the
PostgreSQL-only transaction settings and advisory lock a nightly run starts
with; and the bulk look-ups and writes of many rows at once (COPY,
multi-row INSERT, UPDATE ... FROM VALUES) that lending's payment batch uses.

The statements are written once, in the modules that run them; `Dialect`
supplies only the spots that differ — date arithmetic, GREATEST/LEAST,
rounding of SQLite's floating decimals, JSON, text conversions.
"""

import itertools
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager

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


# --- Many rows at once: bulk look-ups and writes (lending's payment batch) ---------------
#
# Look-ups by key on PostgreSQL go through a raw cursor with ONE array
# parameter per query (`= ANY(%s)`), rows as tuples, so that neither the
# ORM's preparation of thousands of parameters nor its row objects cost
# anything. Inserts are COPY on PostgreSQL (several times faster than INSERT)
# and multi-row INSERTs on SQLite; updates of many rows are one
# UPDATE ... FROM (VALUES ...) per chunk.

ARRAY_CHUNK = 50_000  # PostgreSQL: keys per `= ANY(%s)` query, one array parameter however many keys
PARAMETERS_PER_QUERY = 30_000  # under SQLite's 32,766 parameters per statement


def array_literal(keys: Iterable) -> str:
    """Strings or integers as the text of a PostgreSQL array: made here, far faster than psycopg's list adapter."""
    return "{" + ",".join(['"' + str(key).replace("\\", "\\\\").replace('"', '\\"') + '"' for key in keys]) + "}"


def select_any(sql: str, keys: Sequence) -> list[tuple]:
    """
    PostgreSQL: the rows of `sql`, whose one parameter is an array literal of
    the keys (cast in the query, `= ANY(%s::text[])`), fetched chunk by chunk.
    """
    found = []
    with connection.cursor() as cursor:
        for chunk in chunks(keys, ARRAY_CHUNK):
            cursor.execute(sql, [array_literal(chunk)])
            found += cursor.fetchall()
    return found


def insert_rows(*, table: str, columns: Sequence[str], rows: Sequence[tuple], returning=None) -> dict:
    """
    SQLite: INSERT many rows with one multi-row statement per chunk; with
    `returning` (key column, value column), the mapping of key to value of
    the new rows (RETURNING, SQLite 3.35+).
    """
    found = {}
    placeholder = "(" + ", ".join(["%s"] * len(columns)) + ")"
    tail = f" RETURNING {returning[0]}, {returning[1]}" if returning else ""
    with connection.cursor() as cursor:
        for chunk in chunks(rows, max(1, PARAMETERS_PER_QUERY // len(columns))):
            values = ", ".join([placeholder] * len(chunk))
            cursor.execute(
                f"INSERT INTO {table} ({', '.join(columns)}) VALUES {values}{tail}",  # noqa: S608 (names are ours)
                list(itertools.chain.from_iterable(chunk)),
            )
            if returning:
                found.update(cursor.fetchall())
    return found


def ids_draw(table: str, count: int) -> list[int]:
    """
    PostgreSQL: `count` new ids from the table's sequence. COPY returns
    nothing, so when the new rows' ids are wanted they are drawn first and
    written with the rows.
    """
    with connection.cursor() as cursor:
        cursor.execute("SELECT nextval(pg_get_serial_sequence(%s, 'id')) FROM generate_series(1, %s)", [table, count])
        return [row[0] for row in cursor.fetchall()]


# COPY's text format: a line per row, tab-separated, NULL as \N, and these
# characters escaped in text (`value.translate(COPY_ESCAPES)`).
COPY_ESCAPES = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"})
COPY_LINES_PER_WRITE = 2000


@contextmanager
def copy_lines(table: str, columns: Sequence[str]) -> Iterator[Callable[[str], None]]:
    """
    PostgreSQL: a COPY into the table, fed with write(line): lines of COPY
    text are sent a few thousand at a time, and the server stores them while
    Python goes on. (Made by hand, for values whose types are known: twice as
    fast as psycopg's write_row.)
    """
    pending = []
    with connection.cursor() as cursor, cursor.cursor.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:

        def write(line: str) -> None:
            pending.append(line)
            if len(pending) >= COPY_LINES_PER_WRITE:
                copy.write("".join(pending))
                pending.clear()

        yield write
        if pending:
            copy.write("".join(pending))


# The kinds of column values_update takes, as PostgreSQL types. (SQLite keeps
# dates as text and would turn CAST(... AS date) into a number: no casts there.)
VALUE_TYPES = {"id": "bigint", "money": "numeric(14, 2)", "date": "date"}


def cast_parameter(kind: str) -> str:
    """The placeholder of a parameter of this kind ("id", "money", "date"): cast on PostgreSQL, bare on SQLite."""
    if is_postgresql():
        return f"CAST(%s AS {VALUE_TYPES[kind]})"
    return "%s"


def values_update(*, table: str, columns: Sequence[tuple[str, str]], rows: Sequence[tuple], assignments: str) -> None:
    """
    Update many rows of `table` by id, set-based: `columns` are (name, kind)
    pairs, the first one ("id", "id"); each row its values in that order; and
    `assignments` the SET clause, reading the new values as `v.<name>`.

    PostgreSQL: the values are COPYed into a temporary table, then one
    UPDATE ... FROM it. SQLite (3.33+): one UPDATE ... FROM (VALUES ...) per chunk.
    """
    if not rows:
        return
    names = [name for name, _kind in columns]
    if is_postgresql():
        with connection.cursor() as cursor:
            cursor.execute("DROP TABLE IF EXISTS lending_values_update")
            cursor.execute(
                "CREATE TEMPORARY TABLE lending_values_update ("
                + ", ".join(f"{name} {VALUE_TYPES[kind]}" for name, kind in columns)
                + ") ON COMMIT DROP"
            )
        with copy_lines("lending_values_update", names) as write:
            for row in rows:
                # Ids, amounts and dates: their str() is their COPY text.
                write("\t".join(["\\N" if value is None else str(value) for value in row]) + "\n")
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE lending_values_update")
            cursor.execute(
                f"UPDATE {table} SET {assignments} FROM lending_values_update v WHERE {table}.id = v.id"  # noqa: S608
            )
        return
    placeholder = "(" + ", ".join(cast_parameter(kind) for _name, kind in columns) + ")"
    with connection.cursor() as cursor:
        for chunk in chunks(rows, max(1, PARAMETERS_PER_QUERY // len(columns))):
            values = ", ".join([placeholder] * len(chunk))
            sql = (
                f"WITH v({', '.join(names)}) AS (VALUES {values}) "  # noqa: S608 (names are ours)
                f"UPDATE {table} SET {assignments} FROM v WHERE {table}.id = v.id"
            )
            cursor.execute(sql, list(itertools.chain.from_iterable(chunk)))


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
