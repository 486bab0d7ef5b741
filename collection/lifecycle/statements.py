"""
What every step of the lifecycle shares: the table names its SQL uses, the
open-case condition, and `NightStatements` — one night's parameters (the day,
the run's timestamp, the timeline texts) and the cursor calls that send them.
"""

import datetime

from django.db import connection

from collection.models import (
    Arrangement,
    ArrangementInstallment,
    Case,
    CaseAccount,
    CaseStatus,
    Hold,
    Portfolio,
    PromiseToPay,
    StageChange,
)
from lending.models import Bucket, CreditAccount, CreditProduct, Payment
from lending.services import LENDER_TZ
from lending.sql import Dialect

ANALYZE_AFTER_ROWS = 5000  # a bulk load (the first night) worth re-planning for


def _tables() -> dict[str, str]:
    through = Portfolio.products.through
    return {
        "case": Case._meta.db_table,
        "member": CaseAccount._meta.db_table,
        "stage": StageChange._meta.db_table,
        "promise": PromiseToPay._meta.db_table,
        "arrangement": Arrangement._meta.db_table,
        "installment": ArrangementInstallment._meta.db_table,
        "hold": Hold._meta.db_table,
        "portfolio_product": through._meta.db_table,
        "account": CreditAccount._meta.db_table,
        "product": CreditProduct._meta.db_table,
        "bucket": Bucket._meta.db_table,
        "payment": Payment._meta.db_table,
    }


# Short, because the SQL below names tables on almost every line. (CaseEvent's table: timeline.py.)
T = _tables()
OPEN = f"status <> '{CaseStatus.CLOSED}'"  # an open case, as a condition on a case alias: f"c.{OPEN}"


def day_start(day: datetime.date) -> datetime.datetime:
    """Midnight at the start of `day`, in the lender's time zone."""
    return datetime.datetime.combine(day, datetime.time.min, tzinfo=LENDER_TZ)


class NightStatements:
    """One night's statements, with their shared parameters."""

    def __init__(self, *, as_of: datetime.date, now: datetime.datetime, default_portfolio: int):
        self.dialect = Dialect(connection.vendor)
        self.as_of = as_of
        self.now = now
        self.params = {
            "as_of": as_of.isoformat(),
            "now": connection.ops.adapt_datetimefield_value(now),
            "today_start": connection.ops.adapt_datetimefield_value(day_start(as_of)),
            "default_portfolio": default_portfolio,
        }

    def execute(self, sql: str, params: dict | None = None) -> int:
        """Run `sql` with the night's parameters (and `params`); the rows it changed."""
        with connection.cursor() as cursor:
            cursor.execute(sql, {**self.params, **params} if params else self.params)
            return max(cursor.rowcount, 0)

    def rows(self, sql: str) -> list[tuple]:
        with connection.cursor() as cursor:
            cursor.execute(sql, self.params)
            return cursor.fetchall()

    def analyze(self, table: str, *, rows_added: int) -> None:
        """After a bulk load (the first night), give PostgreSQL's planner the table's new size."""
        if self.dialect.pg and rows_added >= ANALYZE_AFTER_ROWS:
            self.execute(f"ANALYZE {table}")
