"""
The arithmetic of a limitation period, from plain facts (no queries): when it
started, what restarted it, when it expires.

China (Civil Code): three years (art. 188; LegalPolicy.limitation_years) from
the day the creditor knew of the breach — for a debt paid in installments,
the due date of the last installment (art. 189), so an account whose last
installment is not yet due has no running period at all. A demand, the
debtor's acknowledgement (a payment, a promise to pay, a signed arrangement)
or a filing interrupts it, and it runs again in full from that day (art. 195).
Periods counted in years end on the same day of the last year; a period
that starts on 29 February ends on 28 February (art. 202: no such day in the
last month, its last day instead).

United States: the portfolio's years (LegalPolicy.limitation_years), or the
borrower's state's (StateLimitation), from the date of default — the oldest
installment still unpaid (a payment that clears it moves that date on). We
chose that a payment, a promise or a letter does NOT restart the clock: the
states disagree (many revive a debt on a partial payment, others require a
signed written acknowledgement, some never), and the error that matters is
the late one: a period we think still runs but has in fact expired would let
a letter threaten, or a lawyer sue on, a time-barred debt, which Regulation F
forbids (12 CFR 1006.26(b)). The earlier date is the safe one. A court filing
is recorded as a restart in both laws: the claim is then before the court,
and the date shown is when a new action on the debt would be barred.

Restarts count only while the period runs: one dated before it started (a
payment before the last installment fell due) or after it expired (an
acknowledgement of a time-barred debt, which at most waives the defence
rather than restarting the period) changes nothing.
"""

import datetime
from collections.abc import Iterable
from dataclasses import dataclass

from collection.models import Jurisdiction, LimitationStart

# What restarts a period under each law.
RESTARTS_BY_LAW = {
    Jurisdiction.CHINA: frozenset(
        {
            LimitationStart.PAYMENT,
            LimitationStart.PROMISE,
            LimitationStart.ARRANGEMENT,
            LimitationStart.DEMAND,
            LimitationStart.FILING,
        }
    ),
    Jurisdiction.UNITED_STATES: frozenset({LimitationStart.FILING}),
}


@dataclass(frozen=True, order=True)
class Restart:
    """Something that happened on `on` which may restart a period: `by` is a LimitationStart code."""

    on: datetime.date
    by: str


@dataclass(frozen=True)
class LimitationPeriod:
    """
    One account's period: `expires_on` is the last day an action may be
    brought (None: it has not started), `started_on` and `started_by` the
    day and LimitationStart of its last (re)start.
    """

    account_id: int | None
    law: str
    years: int
    expires_on: datetime.date | None = None
    started_on: datetime.date | None = None
    started_by: str = ""
    state: str = ""

    @property
    def has_started(self) -> bool:
        return self.expires_on is not None

    def is_expired(self, today: datetime.date) -> bool:
        return self.expires_on is not None and self.expires_on < today

    def days_left(self, today: datetime.date) -> int | None:
        return None if self.expires_on is None else (self.expires_on - today).days


def years_after(day: datetime.date, years: int) -> datetime.date:
    """The same day `years` later; 29 February becomes 28 February in a common year (art. 202)."""
    try:
        return day.replace(year=day.year + years)
    except ValueError:
        return day.replace(year=day.year + years, day=28)


def period_compute(
    *,
    account_id: int | None,
    law: str,
    years: int,
    start_on: datetime.date | None,
    restarts: Iterable[Restart] = (),
    today: datetime.date,
    state: str = "",
) -> LimitationPeriod:
    """
    The period from its first start (`start_on`: the last installment's due
    date in China, the date of default in the US) and the restarts the law
    counts, as of `today`.
    """
    if start_on is None or start_on > today:
        return LimitationPeriod(account_id=account_id, law=law, years=years, state=state)
    first_by = LimitationStart.DUE_DATE if law == Jurisdiction.CHINA else LimitationStart.DEFAULT
    started_on, started_by = start_on, first_by
    expires_on = years_after(start_on, years)
    counted = RESTARTS_BY_LAW.get(law, frozenset())
    for restart in sorted(restarts):
        if restart.by not in counted or restart.on <= started_on or restart.on > today:
            continue
        if restart.on > expires_on:
            break  # expired before it: nothing later restarts it
        started_on, started_by, expires_on = restart.on, restart.by, years_after(restart.on, years)
    return LimitationPeriod(
        account_id=account_id,
        law=law,
        years=years,
        expires_on=expires_on,
        started_on=started_on,
        started_by=started_by,
        state=state,
    )


def earliest(periods: Iterable[LimitationPeriod]) -> LimitationPeriod | None:
    """The period that expires first among those that have started (None if none has)."""
    running = [period for period in periods if period.has_started]
    return min(running, key=lambda period: (period.expires_on, period.account_id or 0)) if running else None
