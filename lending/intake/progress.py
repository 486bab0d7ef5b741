"""
The progress of an import's applying pass, made visible while it runs.

The applying pass is one transaction, so its own writes stay invisible to
the progress page until it commits. On PostgreSQL the count of rows applied
is written through a second connection of its own, in autocommit: the one
raw SQL of the intake. (Taking only a key-share lock on the batch row, the
pass's inserts never block it.) SQLite allows one writer at a time, so there
the page shows an indeterminate bar until the pass ends.
"""

import time

from django.db import DEFAULT_DB_ALIAS, connection, connections

from lending.models import ImportBatch

PROGRESS_EVERY_SECONDS = 0.5


class ApplyProgress:
    def __init__(self, batch: ImportBatch):
        self.batch_id = batch.pk
        self.side = None
        self.reported_at = 0.0

    def __enter__(self):
        if connection.vendor == "postgresql":
            self.side = connections.create_connection(DEFAULT_DB_ALIAS)
        return self

    def report(self, processed: int) -> None:
        if self.side is None or time.monotonic() - self.reported_at < PROGRESS_EVERY_SECONDS:
            return
        self.reported_at = time.monotonic()
        table = ImportBatch._meta.db_table
        with self.side.cursor() as cursor:
            cursor.execute(f"UPDATE {table} SET processed_rows = %s WHERE id = %s", [processed, self.batch_id])  # noqa: S608

    def __exit__(self, *exc_info):
        if self.side is not None:
            self.side.close()
        return False
