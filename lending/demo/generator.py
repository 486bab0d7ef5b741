"""
Turns (seed, as-of date, locale) into the rows of a demo portfolio, a chunk of
accounts at a time, without touching the database.

Everything random comes from one `random.Random(seed)` drawn in a fixed order,
so the same arguments give the same rows whatever the chunk size. Money is
kept in integer cents and dates as day ordinals while generating; rows carry
ready-to-write strings ("1234.50", "2026-03-12") that both PostgreSQL's COPY
and SQLite accept, ints for ids and bools for flags.

Payments and their allocations are not generated here: the writers derive
them in SQL from the installments' paid columns (one payment per account and
paid-off day), which is what keeps a million accounts within minutes.

The generator's parts: `book` holds the fixed terms (products, grades, depths,
habits, lateness reasons), `people` the borrowers and their contact points,
`accounts` the accounts and their schedules; every name is importable from
here as before.
"""

import datetime
import random
from bisect import bisect
from dataclasses import dataclass, field
from itertools import accumulate

from lending.demo import names
from lending.demo.accounts import AccountRows, _due_order
from lending.demo.book import (
    DELINQUENCY_DEPTHS,
    FROZEN_AFTER_DAYS,
    GRADES,
    HABITS,
    INCOME_BASE_YUAN,
    LATENESS_REASONS,
    LINE_CUT_AFTER_DAYS,
    PRODUCT_BY_CODE,
    PRODUCT_NAMES_ZH,
    PRODUCTS,
    RELATIONS,
    REVOLVING_LIMITS_YUAN,
    ZERO,
    ProductSpec,
    lateness_reason,
)
from lending.demo.people import (
    _ZERO_DIGITS_SUM,
    NATIONAL_ID_CHECK,
    NATIONAL_ID_WEIGHTS,
    BorrowerRows,
    national_id_check_char,
    national_id_is_valid,
)

__all__ = [
    "DELINQUENCY_DEPTHS",
    "FROZEN_AFTER_DAYS",
    "GRADES",
    "HABITS",
    "INCOME_BASE_YUAN",
    "LATENESS_REASONS",
    "LINE_CUT_AFTER_DAYS",
    "NATIONAL_ID_CHECK",
    "NATIONAL_ID_WEIGHTS",
    "NEAR_DAYS",
    "PRODUCT_BY_CODE",
    "PRODUCT_NAMES_ZH",
    "PRODUCTS",
    "RELATIONS",
    "REVOLVING_LIMITS_YUAN",
    "ZERO",
    "Chunk",
    "PortfolioGenerator",
    "ProductSpec",
    "_ZERO_DIGITS_SUM",
    "_due_order",
    "lateness_reason",
    "national_id_check_char",
    "national_id_is_valid",
]


# Schedule dates lie within this many days of the as-of date (accounts open
# within two years before it, terms run at most 24 months).
NEAR_DAYS = 1500


def _picker(rng: random.Random, items, weights):
    """A fast weighted choice bound to `rng`: returns a function of no arguments."""
    cumulative = list(accumulate(weights))
    total = cumulative[-1]
    rand = rng.random
    items = list(items)
    return lambda: items[bisect(cumulative, rand() * total)]


@dataclass
class Chunk:
    """The rows of a run of whole borrowers with their accounts."""

    borrowers: list = field(default_factory=list)
    contact_points: list = field(default_factory=list)
    accounts: list = field(default_factory=list)
    limit_changes: list = field(default_factory=list)
    installments: list = field(default_factory=list)
    first_account_id: int = 0
    last_account_id: int = 0


class PortfolioGenerator(BorrowerRows, AccountRows):
    """
    `chunks()` yields Chunk objects. Ids start after `first_ids` (table → last
    id in use), so children reference their parents without a round trip.
    """

    def __init__(
        self,
        *,
        seed: int,
        as_of: datetime.date,
        locale: str,
        product_ids: dict,
        buckets: list,
        last_ids: dict,
        utc_offset_hours: int,
        datetime_suffix: str,
    ):
        self.rng = rng = random.Random(seed)
        self.as_of = as_of
        self.as_of_ord = as_of.toordinal()
        self.locale = locale
        self.product_ids = product_ids
        # (min_days, max_days or None, code) sorted by min_days
        self.buckets = sorted(buckets)
        self.ids = dict(last_ids)
        self.utc_offset_hours = utc_offset_hours
        self.datetime_suffix = datetime_suffix
        self.account_seq = 0
        self.borrower_seq = 0
        self._iso_cache = {}
        self._timestamp_cache = {}
        self.cents_text = {0: ZERO}
        self._month_cache = {}
        self._dues_cache = {}
        self._bucket_by_days = {}
        # ISO text of the days around the as-of date, by ordinal - iso_near_base: the schedules' dates.
        self.iso_near_base = self.as_of_ord - NEAR_DAYS
        self.iso_near = [
            datetime.date.fromordinal(ordinal).isoformat()
            for ordinal in range(self.iso_near_base, self.as_of_ord + NEAR_DAYS + 1)
        ]
        # code → (rate_e4, cap_e4, penalty_e6, grace days, late fee cents)
        self.product_terms = {
            p.code: (p.rate_e4, p.cap_e4, p.penalty_e6, p.grace_days, p.late_fee_cents) for p in PRODUCTS
        }
        self.amount_scale = 1.0 if locale == "zh" else 0.25
        # Chosen reasons for lateness of the accounts in arrears (external id → reason), for a later issue.
        self.lateness_reasons = {}

        self.pick_grade = _picker(rng, [g for g in GRADES], [g[1] for g in GRADES])
        self.pick_depth = _picker(rng, DELINQUENCY_DEPTHS, [d[2] for d in DELINQUENCY_DEPTHS])
        self.pick_habit = _picker(rng, [h[0] for h in HABITS], [h[1] for h in HABITS])
        self.pick_relation = _picker(rng, [r[0] for r in RELATIONS], [r[1] for r in RELATIONS])
        self.term_pickers = {
            p.code: _picker(rng, [t[0] for t in p.terms], [t[1] for t in p.terms]) for p in PRODUCTS if p.terms
        }
        self.pick_installment_product = _picker(rng, ["bnpl-3m", "bnpl-6m", "bnpl-12m", "bnpl-24m"], [45, 35, 15, 5])
        if locale == "zh":
            self.pick_surname = _picker(
                rng, [(s, p) for s, p, _w in names.SURNAMES_ZH], [w for *_x, w in names.SURNAMES_ZH]
            )
            districts = []
            weights = []
            for province, weight, cities in names.REGIONS_ZH:
                city_count = len(cities)
                for city, area_code, city_districts in cities:
                    for district, division in city_districts:
                        districts.append((province, city, district, division, area_code))
                        weights.append(weight / city_count / len(city_districts))
            self.all_districts = districts
            self.pick_district = _picker(rng, districts, weights)
        else:
            self.pick_last_name = _picker(
                rng, [n for n, _w in names.LAST_NAMES_EN], [w for _n, w in names.LAST_NAMES_EN]
            )
            places = []
            weights = []
            for state, abbreviation, weight, cities in names.REGIONS_EN:
                for city, county, time_zone, area_code, zip_prefix in cities:
                    places.append((state, city, county, time_zone, area_code, zip_prefix, abbreviation))
                    weights.append(weight / len(cities))
            self.pick_place = _picker(rng, places, weights)
        # Timestamps the models would stamp "now": fixed to the as-of date so runs repeat exactly.
        self.stamp = self._timestamp(self.as_of_ord, 6, 0)

    # --- small helpers ----------------------------------------------------------

    def _next_id(self, table: str) -> int:
        self.ids[table] += 1
        return self.ids[table]

    def iso(self, ordinal: int) -> str:
        text = self._iso_cache.get(ordinal)
        if text is None:
            text = self._iso_cache[ordinal] = datetime.date.fromordinal(ordinal).isoformat()
        return text

    def money_cached(self, cents: int) -> str:
        """money(), remembered: interest and principal amounts repeat a lot."""
        if len(self.cents_text) > 200_000:
            self.cents_text.clear()
        text = self.cents_text[cents] = f"{cents // 100}.{cents % 100:02d}"
        return text

    def add_months(self, ordinal: int, months: int) -> int:
        key = (ordinal, months)
        result = self._month_cache.get(key)
        if result is None:
            day = datetime.date.fromordinal(ordinal)
            month_index = day.month - 1 + months
            year, month = day.year + month_index // 12, month_index % 12 + 1
            for candidate in (day.day, 30, 29, 28):
                try:
                    result = datetime.date(year, month, candidate).toordinal()
                    break
                except ValueError:
                    continue
            self._month_cache[key] = result
        return result

    def _bucket(self, days_past_due: int) -> str:
        """The code of the bucket of the days past due (the last whose range holds them), remembered."""
        bucket = "M0"
        for min_days, max_days, code in self.buckets:
            if days_past_due >= min_days and (max_days is None or days_past_due <= max_days):
                bucket = code
        self._bucket_by_days[days_past_due] = bucket
        return bucket

    def _dues(self, first_due: int, months: int) -> tuple:
        """The due dates of a purchase in `months` monthly installments from `first_due`."""
        key = (first_due, months)
        dues = self._dues_cache.get(key)
        if dues is None:
            dues = self._dues_cache[key] = tuple(self.add_months(first_due, k) for k in range(months))
        return dues

    def _bill_date(self, earliest: int, bill_day: int) -> int:
        """The first day of the month numbered `bill_day` on or after `earliest` (bill days run 1-28)."""
        day = datetime.date.fromordinal(earliest)
        bill = datetime.date(day.year, day.month, bill_day).toordinal()
        return bill if bill >= earliest else self.add_months(bill, 1)

    def _timestamp(self, ordinal: int, local_hour: int, minute: int) -> str:
        """A local time of day on a date, written in UTC as the database stores it."""
        key = (ordinal, local_hour, minute)
        text = self._timestamp_cache.get(key)
        if text is None:
            text = self._timestamp_cache[key] = self._timestamp_text(ordinal, local_hour, minute)
        return text

    def _timestamp_text(self, ordinal: int, local_hour: int, minute: int) -> str:
        moment = datetime.datetime.fromordinal(ordinal) + datetime.timedelta(
            hours=local_hour - self.utc_offset_hours, minutes=minute
        )
        return moment.strftime("%Y-%m-%d %H:%M:%S") + self.datetime_suffix

    @staticmethod
    def money(cents: int) -> str:
        return f"{cents // 100}.{cents % 100:02d}"

    def digits(self, count: int) -> str:
        return str(self.rng.randrange(10**count)).zfill(count)

    # --- the stream ---------------------------------------------------------------

    def chunks(self, accounts: int, chunk_size: int = 20_000):
        """Yield chunks of about `chunk_size` accounts until `accounts` accounts are made."""
        made = 0
        chunk = Chunk(first_account_id=self.ids["account"] + 1)
        rand = self.rng.random
        while made < accounts:
            roll = rand()
            count = 1 if roll < 0.75 else 2 if roll < 0.95 else 3
            count = min(count, accounts - made)
            self._borrower(chunk, count)
            made += count
            if len(chunk.accounts) >= chunk_size or made >= accounts:
                chunk.last_account_id = self.ids["account"]
                yield chunk
                chunk = Chunk(first_account_id=self.ids["account"] + 1)
