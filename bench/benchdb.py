"""The throw-away PostgreSQL database a benchmark creates, fills and drops."""

import os
import sys
import time
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent


def bench_environment(database: str) -> str:
    """
    Point Django at the benchmark's database (BENCH_DATABASE_URL overrides it)
    and give it the settings a benchmark needs; call before Django is imported.
    """
    url = os.environ.get("BENCH_DATABASE_URL", f"postgres://postgres@127.0.0.1:5432/{database}")
    sys.path.insert(0, str(BASE_DIR))
    os.environ["DATABASE_URL"] = url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    os.environ.setdefault("SECRET_KEY", "bench-only-secret-key-not-for-production")
    os.environ.setdefault("CELERY_BROKER_URL", "memory://")
    os.environ.setdefault("LOG_LEVEL", "WARNING")
    os.environ.setdefault("VAR_DIR", str(BASE_DIR / "var" / f"bench-{database}"))
    return url


def pages_environment() -> None:
    """Production-like, for timing pages over django.test.Client: DEBUG off (cached templates, no query log)."""
    os.environ["DEBUG"] = "false"
    os.environ.setdefault("ALLOWED_HOSTS", "testserver")
    os.environ.setdefault("SECURE_SSL_REDIRECT", "false")
    os.environ.setdefault("STATIC_MANIFEST", "false")


def _admin_connection(url: str):
    import psycopg

    base, _, _name = url.rpartition("/")
    return psycopg.connect(f"{base}/postgres", autocommit=True)


def database_recreate(url: str) -> None:
    """Drop the benchmark's database if it is left over, and create it empty."""
    name = url.rpartition("/")[2]
    with _admin_connection(url) as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        connection.execute(f'CREATE DATABASE "{name}"')


def database_drop(url: str) -> None:
    from django.db import connections

    connections.close_all()
    name = url.rpartition("/")[2]
    with _admin_connection(url) as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def django_migrated() -> None:
    """Set Django up and bring the benchmark's database to the latest migrations."""
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


# --- SQL on Django's connection --------------------------------------------------------


def sql(statement: str, params=None) -> float:
    """Run one statement; return the seconds it took."""
    from django.db import connection

    started = time.perf_counter()
    with connection.cursor() as cursor:
        cursor.execute(statement, params)
    return time.perf_counter() - started


def scalar(statement: str, params=None):
    """The first value of the statement's first row."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(statement, params)
        return cursor.fetchone()[0]


def timed_rolled_back(function, checksum: str, *, before=None) -> tuple[float, object, list]:
    """
    Time `function` in a transaction (after `before`, untimed), take the rows of
    the `checksum` query as it left the tables, and roll it all back: so that
    what is compared starts from the same state. Return the seconds, what
    `function` returned and the checksum.
    """
    from django.db import connection, transaction

    with transaction.atomic():
        if before is not None:
            before()
        started = time.perf_counter()
        result = function()
        seconds = time.perf_counter() - started
        with connection.cursor() as cursor:
            cursor.execute(checksum)
            sums = cursor.fetchall()
        transaction.set_rollback(True)
    return seconds, result, sums


# --- Bulk loads ---------------------------------------------------------------------------


class BulkLoad:
    """
    Loading empty tables with INSERT … SELECT: their foreign keys, unique
    constraints and indexes (not their primary keys) are dropped at the start
    and rebuilt at the end, as building an index once is far faster than
    growing it row by row.
    """

    def __init__(self, tables):
        self.tables = tables
        sql("SET maintenance_work_mem = '512MB'")  # for the index builds at the end
        self.restore_statements = secondary_structures_drop(tables)

    def id_sequences_advance(self) -> None:
        """Move each table's id sequence past the ids the load wrote itself."""
        for table in self.tables:
            sql(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT max(id) FROM {table}))")  # noqa: S608

    def structures_restore(self) -> None:
        for statement in self.restore_statements:
            sql(statement)
        sql("RESET maintenance_work_mem")


def secondary_structures_drop(tables) -> list[str]:
    """Drop the foreign keys, unique constraints and indexes of `tables`; return the SQL that puts them back."""
    from django.db import connection

    restore = []
    with connection.cursor() as cursor:
        for table in tables:
            cursor.execute(
                "SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint "
                "WHERE conrelid = %s::regclass AND contype IN ('u', 'f') ORDER BY contype DESC",
                [table],
            )
            constraints = cursor.fetchall()
            cursor.execute(
                "SELECT indexname, indexdef FROM pg_indexes WHERE tablename = %s AND indexname NOT IN "
                "(SELECT conname FROM pg_constraint WHERE conrelid = %s::regclass)",
                [table, table],
            )
            indexes = cursor.fetchall()
            for name, definition in constraints:
                cursor.execute(f'ALTER TABLE {table} DROP CONSTRAINT "{name}"')
                restore.append(f'ALTER TABLE {table} ADD CONSTRAINT "{name}" {definition}')
            for name, definition in indexes:
                cursor.execute(f'DROP INDEX "{name}"')
                restore.append(definition)
    # Unique constraints first, so that foreign keys find their unique index.
    return sorted(restore, key=lambda statement: "FOREIGN KEY" in statement)
