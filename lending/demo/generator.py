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
"""

import datetime
import hashlib
import random
from bisect import bisect
from dataclasses import dataclass, field
from itertools import accumulate
from operator import itemgetter, mul

from lending.demo import names

ZERO = "0.00"

# GB 11643: weights of the first 17 digits and the check characters by remainder.
NATIONAL_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
NATIONAL_ID_CHECK = "10X98765432"
_ZERO_DIGITS_SUM = ord("0") * sum(NATIONAL_ID_WEIGHTS)


def national_id_check_char(first17: str) -> str:
    # The weighted sum of the digits, from their character codes (ord("7") - ord("0") == 7).
    return NATIONAL_ID_CHECK[(sum(map(mul, first17.encode(), NATIONAL_ID_WEIGHTS)) - _ZERO_DIGITS_SUM) % 11]


def national_id_is_valid(national_id: str) -> bool:
    return (
        len(national_id) == 18
        and national_id[:17].isdigit()
        and national_id_check_char(national_id[:17]) == national_id[17]
    )


@dataclass(frozen=True)
class ProductSpec:
    code: str
    name: str
    kind: str
    annual_interest_rate: str
    daily_penalty_rate: str
    late_fee_cents: int
    grace_days: int
    charges_cap_annual_rate: str
    # (months, weight): the terms a purchase or loan on this product is split into.
    terms: tuple = ()

    @property
    def rate_e4(self) -> int:
        return round(float(self.annual_interest_rate) * 10_000)

    @property
    def cap_e4(self) -> int:
        return round(float(self.charges_cap_annual_rate) * 10_000)

    @property
    def penalty_e6(self) -> int:
        return round(float(self.daily_penalty_rate) * 1_000_000)


# Installment purchases and the revolving line follow a JD Baitiao-like book
# (0.05 % a day penalty, cap 24 % a year); the cash loan is capped at four
# times the one-year LPR (3.10 % → 12.40 %).
PRODUCTS = (
    ProductSpec("bnpl-3m", "3-month installments (interest-free)", "installment", "0.0000", "0.000500", 1500, 3, "0.2400", ((3, 1),)),  # noqa: E501
    ProductSpec("bnpl-6m", "6-month installments", "installment", "0.1200", "0.000500", 3000, 3, "0.2400", ((6, 1),)),
    ProductSpec("bnpl-12m", "12-month installments", "installment", "0.1500", "0.000500", 3000, 3, "0.2400", ((12, 1),)),  # noqa: E501
    ProductSpec("bnpl-24m", "24-month installments", "installment", "0.1800", "0.000500", 3000, 3, "0.2400", ((24, 1),)),  # noqa: E501
    ProductSpec(
        "credit-line", "Revolving credit line", "revolving", "0.1500", "0.000500", 3000, 3, "0.2400",
        ((1, 45), (3, 30), (6, 15), (12, 10)),
    ),
    ProductSpec(
        "cash-loan", "Cash loan", "cash_loan", "0.1080", "0.000300", 0, 1, "0.1240",
        ((3, 20), (6, 45), (12, 30), (24, 5)),
    ),
)  # fmt: skip
PRODUCT_BY_CODE = {product.code: product for product in PRODUCTS}
# What a Chinese lender calls them (the names above are a US lender's).
PRODUCT_NAMES_ZH = {
    "bnpl-3m": "3期分期（免息）",
    "bnpl-6m": "6期分期",
    "bnpl-12m": "12期分期",
    "bnpl-24m": "24期分期",
    "credit-line": "循环信用额度",
    "cash-loan": "现金借款",
}

# Share of accounts per risk grade, the chance that a borrower of the grade
# fell into arrears (at the depth drawn below: an account with nothing due by
# then stays clean, so about half of these show), and the credit score range.
GRADES = (("A", 25, 0.032, 750, 950), ("B", 30, 0.08, 650, 749), ("C", 25, 0.17, 550, 649),
          ("D", 13, 0.33, 450, 549), ("E", 7, 0.55, 350, 449))  # fmt: skip
INCOME_BASE_YUAN = {"A": 16000, "B": 11000, "C": 8000, "D": 5500, "E": 4000}
REVOLVING_LIMITS_YUAN = {"A": (20000, 30000, 50000), "B": (10000, 15000, 20000), "C": (5000, 8000, 10000),
                         "D": (3000, 5000), "E": (1000, 2000, 3000)}  # fmt: skip
# How deep an account in arrears is, as (days past due from, to, weight): most
# are early, a tail lies beyond 180 days.
DELINQUENCY_DEPTHS = ((1, 30, 40), (31, 60, 13), (61, 90, 9), (91, 120, 8), (121, 150, 6), (151, 180, 5),
                      (181, 540, 19))  # fmt: skip
# Payment habits of borrowers who are not in arrears now: (habit, weight).
HABITS = (("on_time", 70), ("sometimes_late", 20), ("curer", 10))
FROZEN_AFTER_DAYS = 60  # an account this far past due is frozen
LINE_CUT_AFTER_DAYS = 90  # a revolving line this far past due has its limit cut to zero

RELATIONS = (("spouse", 30), ("parent", 30), ("sibling", 15), ("friend", 12), ("colleague", 10), ("relative", 3))

# The reasons for lateness that a later issue (the collection app) will
# record; lending has no model for them. lateness_reason() gives each
# account in arrears one; nothing is written for them yet.
LATENESS_REASONS = (
    ("lost_income", 30),
    ("illness", 10),
    ("over_borrowing", 20),
    ("reminder_missed", 15),
    ("dispute_goods", 8),
    ("forgot", 12),
    ("unreachable", 5),
)


def lateness_reason(account_external_id: str) -> str:
    """
    The demo's reason why an account is late, a pure function of its external
    id, so that the collection app can attach reasons to a loaded portfolio
    without the seed.
    """
    point = int(hashlib.sha256(account_external_id.encode()).hexdigest()[:8], 16) / 0x1_0000_0000
    total = sum(weight for _reason, weight in LATENESS_REASONS)
    cumulative = 0
    for reason, weight in LATENESS_REASONS:
        cumulative += weight / total
        if point < cumulative:
            return reason
    return LATENESS_REASONS[-1][0]


# Installments in the order they fall due: (due_on, number).
_due_order = itemgetter(3, 0)

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


class PortfolioGenerator:
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

    # --- borrowers ------------------------------------------------------------------

    def _borrower(self, chunk: Chunk, account_count: int) -> None:
        rng = self.rng
        rand = rng.random
        as_of = self.as_of_ord
        self.borrower_seq += 1
        borrower_id = self._next_id("borrower")
        external_id = f"B{self.borrower_seq:09d}"
        grade, _weight, arrears_chance, score_low, score_high = self.pick_grade()
        score = score_low + int(rand() * (score_high - score_low + 1))
        male = rand() < 0.52
        age = 20 + int(42 * rand() ** 1.7)
        birth = as_of - age * 365 - int(rand() * 365)
        is_deceased = rand() < 0.002
        is_bankrupt = rand() < 0.003
        is_vulnerable = rand() < 0.01
        do_not_contact = rand() < 0.005
        cease_contact = rand() < 0.005
        person = self._person_zh(male, birth) if self.locale == "zh" else self._person_en(male, birth)
        income_base = INCOME_BASE_YUAN[grade]
        income_yuan = max(1800, int(income_base * self.amount_scale * (0.45 + rand() * 1.3) / 100) * 100)
        monthly_income = None if rand() < 0.05 else self.money(income_yuan * 100)

        # The borrower's accounts: a first one opened within the last two
        # years (recent ones more likely), later ones after it.
        first_opened = as_of - 1 - int(729 * rand() ** 1.5)
        in_trouble = is_deceased or is_bankrupt or rand() < arrears_chance
        depth = self.pick_depth() if in_trouble else None
        target_dpd = depth[0] + int(rand() * (depth[1] - depth[0] + 1)) if depth else 0
        habit = "curer" if in_trouble else self.pick_habit()
        if grade in ("D", "E") and habit == "on_time" and rand() < 0.4:
            habit = "sometimes_late"
        roll = rand()
        first_kind = "revolving" if roll < 0.45 else "installment" if roll < 0.85 else "cash_loan"
        kinds = [first_kind]
        if account_count >= 2:
            if first_kind == "revolving":
                kinds.append("installment" if rand() < 0.6 else "cash_loan")
            else:
                kinds.append(
                    "revolving" if rand() < 0.7 else ("cash_loan" if first_kind == "installment" else "installment")
                )
        if account_count >= 3:
            kinds.append("installment")
        opened = [first_opened] + [first_opened + int(rand() * (as_of - first_opened)) for _ in kinds[1:]]

        chunk.borrowers.append(
            (
                borrower_id, external_id, person["name"], person["national_id"], self.iso(birth),
                person["employer"], monthly_income, person["province"], person["city"], person["district"],
                person["language"], person["time_zone"], grade, score, is_deceased, is_bankrupt, is_vulnerable,
                do_not_contact, cease_contact, self.stamp, self.stamp,
            )
        )  # fmt: skip
        self._contact_points(chunk, borrower_id, external_id, person, first_opened, age)
        for kind, opened_on in zip(kinds, opened, strict=True):
            self._account(chunk, borrower_id, kind, opened_on, grade, habit, target_dpd)

    def _person_zh(self, male: bool, birth: int) -> dict:
        rng = self.rng
        rand = rng.random
        surname, pinyin = self.pick_surname()
        chars = names.GIVEN_CHARS_MALE if male else names.GIVEN_CHARS_FEMALE
        given = chars[int(rand() * len(chars))]
        if rand() < 0.7:
            given += chars[int(rand() * len(chars))]
        province, city, district, division, area_code = self.pick_district()
        # One in five was born elsewhere: the id's region is their place of birth.
        birth_division = division if rand() < 0.8 else self.all_districts[int(rand() * len(self.all_districts))][3]
        sequence = int(rand() * 500) * 2 + (1 if male else 0)
        first17 = f"{birth_division}{self.iso(birth).replace('-', '')}{sequence:03d}"
        roll = rand()
        if roll < 0.08:
            employer = names.SELF_EMPLOYED_ZH[int(rand() * 2)]
        elif roll < 0.22:
            employer = names.EMPLOYERS_WELL_KNOWN_ZH[int(rand() * len(names.EMPLOYERS_WELL_KNOWN_ZH))]
        else:
            word = names.EMPLOYER_WORDS_ZH[int(rand() * len(names.EMPLOYER_WORDS_ZH))]
            trade = names.EMPLOYER_TRADES_ZH[int(rand() * len(names.EMPLOYER_TRADES_ZH))]
            employer = f"{city.removesuffix('市')}{word}{trade}有限公司"
        street = names.STREETS_ZH[int(rand() * len(names.STREETS_ZH))]
        compound = names.COMPOUNDS_ZH[int(rand() * len(names.COMPOUNDS_ZH))]
        home = (
            f"{province}{city if city != province else ''}{district}{street}{1 + int(rand() * 300)}号"
            f"{compound}{1 + int(rand() * 30)}栋{1 + int(rand() * 4)}单元{1 + int(rand() * 30)}0{1 + int(rand() * 4)}室"
        )
        work_street = names.STREETS_ZH[int(rand() * len(names.STREETS_ZH))]
        building = names.OFFICE_BUILDINGS_ZH[int(rand() * len(names.OFFICE_BUILDINGS_ZH))]
        work = (
            f"{province}{city if city != province else ''}{district}{work_street}{1 + int(rand() * 500)}号"
            f"{building}{1 + int(rand() * 28)}层"
        )
        return {
            "name": surname + given,
            "surname": surname,
            "pinyin": pinyin,
            "national_id": first17 + national_id_check_char(first17),
            "employer": employer,
            "province": province,
            "city": city,
            "district": district,
            "area_code": area_code,
            "language": "zh-hans",
            "time_zone": "Asia/Shanghai",
            "home_address": home,
            "work_address": work,
        }

    def _person_en(self, male: bool, birth: int) -> dict:
        rng = self.rng
        rand = rng.random
        first_names = names.FIRST_NAMES_MALE_EN if male else names.FIRST_NAMES_FEMALE_EN
        first = first_names[int(rand() * len(first_names))]
        last = self.pick_last_name()
        state, city, county, time_zone, area_code, zip_prefix, abbreviation = self.pick_place()
        street = names.STREETS_EN[int(rand() * len(names.STREETS_EN))]
        zip_code = f"{zip_prefix}{int(rand() * 100):02d}"
        home = f"{1 + int(rand() * 9800)} {street}, {city}, {abbreviation} {zip_code}"
        if rand() < 0.3:
            home = home.replace(",", f", Apt {1 + int(rand() * 40)},", 1)
        work_street = names.STREETS_EN[int(rand() * len(names.STREETS_EN))]
        suite = 100 + int(rand() * 900)
        work = f"{100 + int(rand() * 9000)} {work_street}, Suite {suite}, {city}, {abbreviation} {zip_code}"
        # A taxpayer number in the 9xx range, which is never issued as an SSN.
        taxpayer = f"9{int(rand() * 100):02d}-{70 + int(rand() * 18)}-{int(rand() * 10000):04d}"
        return {
            "name": f"{first} {last}",
            "surname": last,
            "pinyin": f"{first}.{last}".lower().replace("'", ""),
            "national_id": taxpayer,
            "employer": names.EMPLOYERS_EN[int(rand() * len(names.EMPLOYERS_EN))],
            "province": state,
            "city": city,
            "district": county,
            "area_code": area_code,
            "language": "en",
            "time_zone": time_zone,
            "home_address": home,
            "work_address": work,
        }

    def _phone(self, person: dict, mobile: bool) -> str:
        rand = self.rng.random
        if self.locale == "zh":
            if mobile:
                prefixes = names.MOBILE_PREFIXES_ZH
                return f"{prefixes[int(rand() * len(prefixes))]}{int(rand() * 100_000_000):08d}"
            return f"{person['area_code']}-{2 + int(rand() * 8)}{int(rand() * 10_000_000):07d}"
        return f"+1 {person['area_code']} {200 + int(rand() * 800)} {int(rand() * 10000):04d}"

    def _e164(self, kind: str, value: str) -> str:
        """The number as lending.phones.number_e164 gives it, without parsing (the shapes _phone makes)."""
        if kind not in ("mobile", "home_phone", "work_phone"):
            return ""
        if value.startswith("+"):
            return "+" + "".join(char for char in value if char.isdigit())
        return "+86" + value.replace("-", "").removeprefix("0")

    def _third_party_name(self, person: dict, relation: str) -> str:
        rand = self.rng.random
        if self.locale == "zh":
            surname = (
                person["surname"] if relation in ("parent", "sibling") and rand() < 0.8 else self.pick_surname()[0]
            )
            chars = names.GIVEN_CHARS_MALE if rand() < 0.5 else names.GIVEN_CHARS_FEMALE
            given = chars[int(rand() * len(chars))]
            if rand() < 0.7:
                given += chars[int(rand() * len(chars))]
            return surname + given
        first_names = names.FIRST_NAMES_MALE_EN if rand() < 0.5 else names.FIRST_NAMES_FEMALE_EN
        last = person["surname"] if relation in ("parent", "sibling") and rand() < 0.8 else self.pick_last_name()
        return f"{first_names[int(rand() * len(first_names))]} {last}"

    def _contact_points(self, chunk: Chunk, borrower_id: int, external_id: str, person: dict, first_opened, age):
        rand = self.rng.random
        consent_on = self.iso(first_opened)
        rows = chunk.contact_points
        first_id = self.ids["contact_point"]

        def add(kind, value, primary=False, verified=False, sms=False, email=False, dnc=False,
                owner="borrower", third_party_name="", relation=""):  # fmt: skip
            number = len(rows) - start + 1
            rows.append(
                (
                    first_id + number, f"{external_id}-{number}", borrower_id, kind, value, owner,
                    third_party_name, relation, primary, verified, sms, email,
                    consent_on if (sms or email) else None, dnc, self._e164(kind, value),
                )
            )  # fmt: skip

        start = len(rows)
        add("mobile", self._phone(person, True), True, rand() < 0.9, rand() < 0.85, False, rand() < 0.01)
        if rand() < 0.1:
            add("mobile", self._phone(person, True), False, False, rand() < 0.5)
        if rand() < 0.55:
            if self.locale == "zh" and rand() < 0.5:
                address = f"{10000 + int(rand() * 2_000_000_000)}@qq.com"
            else:
                domains = names.EMAIL_DOMAINS_ZH if self.locale == "zh" else names.EMAIL_DOMAINS_EN
                address = f"{person['pinyin']}{int(rand() * 10000)}@{domains[int(rand() * len(domains))]}"
            add("email", address, primary=True, verified=rand() < 0.7, email=rand() < 0.7)
        if rand() < 0.15:
            add("home_phone", self._phone(person, False))
        if rand() < 0.25:
            add("work_phone", self._phone(person, False), verified=rand() < 0.5)
        if rand() < 0.9:
            add("home_address", person["home_address"], primary=True, verified=rand() < 0.6)
        if rand() < 0.5:
            add("work_address", person["work_address"], verified=rand() < 0.4)
        for _ in range(1 if rand() < 0.6 else 2):
            relation = self.pick_relation()
            if relation == "spouse" and age < 24:
                relation = "parent"
            add(
                "mobile", self._phone(person, True), owner="third_party",
                third_party_name=self._third_party_name(person, relation), relation=relation,
                dnc=rand() < 0.03,
            )  # fmt: skip
        self.ids["contact_point"] += len(rows) - start

    # --- accounts and their schedules -----------------------------------------------------

    def _order_reference(self, lent_on: int) -> str:
        day = self.iso(lent_on).replace("-", "")
        if self.locale == "zh":
            return f"JD{day}{self.digits(8)}"
        return f"ORD-{day}-{self.digits(6)}"

    def _account(self, chunk: Chunk, borrower_id, kind, opened_on, grade, habit, target_dpd):
        rng = self.rng
        rand = rng.random
        as_of = self.as_of_ord
        money = self.money
        scale = self.amount_scale
        self.account_seq += 1
        account_id = self._next_id("account")
        external_id = f"A{self.account_seq:09d}"

        # What was lent: (lent_on, amount in cents, months, order reference)
        purchases = []
        bill_day = None
        if kind == "revolving":
            # A revolving line has one bill a month: every purchase's installments fall due on its day.
            bill_day = 1 + int(rand() * 28)
            product = PRODUCT_BY_CODE["credit-line"]
            limits = REVOLVING_LIMITS_YUAN[grade]
            limit = int(limits[int(rand() * len(limits))] * scale) * 100
            months_open = (as_of - opened_on) / 30.4
            count = 1 + int(min(months_open, 24) / 6 * rand())
            pick_term = self.term_pickers[product.code]
            for index in range(count):
                lent_on = opened_on if index == 0 else opened_on + int(rand() * (as_of - opened_on))
                amount = int(50 * 100 * scale * (1 + 59 * rand() ** 2.2))
                purchases.append((lent_on, min(amount, limit // count), pick_term(), self._order_reference(lent_on)))
            purchases.sort()
        elif kind == "installment":
            product = PRODUCT_BY_CODE[self.pick_installment_product()]
            amount = int(300 * 100 * scale * (1 + 60 * rand() ** 2.5))
            purchases.append((opened_on, amount, product.terms[0][0], self._order_reference(opened_on)))
            limit = -(-amount // 10_000) * 10_000  # the purchase, rounded up to 100
        else:
            product = PRODUCT_BY_CODE["cash-loan"]
            amount = int(1000 * scale * (2 + 48 * rand() ** 2)) * 100
            purchases.append((opened_on, amount, self.term_pickers[product.code](), ""))
            limit = amount

        rate_e4, cap_e4, penalty_e6, grace, late_fee = self.product_terms[product.code]
        # Each installment: (number, reference, lent_on, due_on, principal, interest), in number order.
        schedule = []
        add = schedule.append
        number = 0
        for lent_on, amount, months, reference in purchases:
            base, extra = divmod(amount, months)
            first_due = self.add_months(lent_on, 1) if bill_day is None else self._bill_date(lent_on + 20, bill_day)
            charged = rate_e4 and months > 1
            for k, due_on in enumerate(self._dues(first_due, months), 1):
                number += 1
                principal = base + 1 if k <= extra else base
                # Simple interest on the installment's own principal from the day it was lent.
                interest = (principal * rate_e4 * (due_on - lent_on) * 2 + 3_650_000) // 7_300_000 if charged else 0
                add((number, reference, lent_on, due_on, principal, interest))
        # A single purchase falls due in number order; a revolving line's purchases interleave.
        by_due = sorted(schedule, key=_due_order) if len(purchases) > 1 else schedule

        # Who pays what when. An account in arrears stops paying at the
        # installment that makes its days past due about the target.
        cutoff = None
        if target_dpd:
            past = [row[3] for row in by_due if row[3] < as_of]
            if past:
                # The due date whose days past due come nearest the target.
                cutoff = min(past, key=lambda due: abs(as_of - due - target_dpd))
                if abs(as_of - cutoff - target_dpd) > 31:
                    # Nothing fell due at the right time (say a purchase paid off long ago): this account stays clean.
                    cutoff = None
        # The day each installment (by number) was paid off, or None.
        paid_on_by_number = [None] * (number + 1)
        previous = 0
        last_due = last_paid = None
        # Installments due up to here can be paid: the as-of date, or the day before the cutoff.
        payable_until = as_of if cutoff is None else min(as_of, cutoff - 1)
        for row in by_due:
            due_on = row[3]
            if due_on == last_due:
                # The same bill (a revolving line's purchases fall due together): paid together or not at all.
                if last_paid is not None:
                    paid_on_by_number[row[0]] = last_paid
                continue
            if due_on > payable_until:
                break  # not yet due, or the account stopped paying here: nothing later is paid
            last_due, last_paid = due_on, None
            if due_on == as_of:
                if rand() < 0.5:
                    paid_on_by_number[row[0]] = last_paid = previous = as_of
                continue
            roll = rand()
            if habit == "on_time":
                lateness = -int(rand() * 6)
            elif habit == "sometimes_late":
                lateness = -int(rand() * 4) if roll < 0.85 else 1 + int(rand() * 10)
            else:
                lateness = (
                    -int(rand() * 3) if roll < 0.65 else 1 + int(rand() * 14) if roll < 0.9 else 15 + int(rand() * 75)
                )
            paid_on = max(due_on + lateness, previous, row[2] + 1)
            if paid_on > as_of:
                break  # still unpaid: so is everything after it
            paid_on_by_number[row[0]] = last_paid = previous = paid_on

        near = self.iso_near
        near_base = self.iso_near_base
        cents = self.cents_text
        money_cached = self.money_cached
        rows = chunk.installments
        add = rows.append
        unpaid_principal = 0
        outstanding = 0
        overdue_principal = overdue_interest = 0
        oldest_unpaid = None
        next_id = self.ids["installment"]
        self.ids["installment"] += len(schedule)
        for number, reference, lent_on, due_on, principal, interest in schedule:
            next_id += 1
            paid_on = paid_on_by_number[number]
            principal_text = cents.get(principal) or money_cached(principal)
            interest_text = cents.get(interest) or money_cached(interest)
            if paid_on is None:
                unpaid_principal += principal
                outstanding += principal + interest
                if due_on < as_of:
                    overdue_principal += principal
                    overdue_interest += interest
                    if oldest_unpaid is None or due_on < oldest_unpaid:
                        oldest_unpaid = due_on
                # Penalty and the late fee of what is unpaid are the nightly run's to accrue.
                add(
                    (
                        next_id, account_id, number, reference, near[lent_on - near_base], near[due_on - near_base],
                        principal_text, interest_text, ZERO, ZERO, ZERO, ZERO, ZERO, ZERO, False, None, None,
                    )
                )  # fmt: skip
                continue
            days_late = paid_on - due_on
            if days_late > grace:
                # Charges of a late installment, within the cap on interest + fees + penalty,
                # as the nightly run charges them: the fee once, penalty for the days after the grace days.
                room = max(0, (principal * cap_e4 * (paid_on - lent_on) * 2 + 3_650_000) // 7_300_000 - interest)
                fee = min(late_fee, room)
                penalty = min((principal * penalty_e6 * (days_late - grace) * 2 + 1_000_000) // 2_000_000, room - fee)
                fee_text, penalty_text = money(fee), money(penalty)
                paid_text = near[paid_on - near_base]
                add(
                    (
                        next_id, account_id, number, reference, near[lent_on - near_base], near[due_on - near_base],
                        principal_text, interest_text, fee_text, penalty_text, principal_text, interest_text,
                        fee_text, penalty_text, True, paid_text, paid_text,
                    )
                )  # fmt: skip
            else:
                add(
                    (
                        next_id, account_id, number, reference, near[lent_on - near_base], near[due_on - near_base],
                        principal_text, interest_text, ZERO, ZERO, principal_text, interest_text, ZERO, ZERO, False,
                        None, near[paid_on - near_base],
                    )
                )  # fmt: skip

        # The account's figures as the nightly run computes them before accruing anything, so that its run
        # for the as-of date rewrites only the accounts whose penalty and fees it accrues.
        days_past_due = as_of - oldest_unpaid if oldest_unpaid is not None else 0
        status = "active"
        new_limit = limit
        if days_past_due > FROZEN_AFTER_DAYS:
            status = "frozen"
        elif kind != "revolving" and unpaid_principal == 0:
            status = "closed"
        if kind == "revolving" and days_past_due > LINE_CUT_AFTER_DAYS:
            new_limit = 0
        available = 0 if status != "active" else max(0, new_limit - unpaid_principal)
        if days_past_due:
            self.lateness_reasons[external_id] = lateness_reason(external_id)
        bucket = self._bucket_by_days.get(days_past_due) or self._bucket(days_past_due)

        def text(cents_value):
            return cents.get(cents_value) or money_cached(cents_value)

        chunk.accounts.append(
            (
                account_id, external_id, borrower_id, self.product_ids[product.code], near[opened_on - near_base],
                text(new_limit), text(available), status, days_past_due, bucket,
                near[oldest_unpaid - near_base] if oldest_unpaid is not None else None,
                text(overdue_principal), text(overdue_interest), ZERO, ZERO, text(outstanding), ZERO,
            )
        )  # fmt: skip
        if kind != "revolving":
            return  # the limit of a single purchase or loan is its amount: set once, never changed
        limit_rows = chunk.limit_changes
        limit_rows.append(
            (
                self._next_id("limit_change"), account_id, self._timestamp(opened_on, 10, 0), ZERO, money(limit),
                "intake", "", None,
            )
        )  # fmt: skip
        if new_limit != limit:
            cut_on = oldest_unpaid + LINE_CUT_AFTER_DAYS + 1
            limit_rows.append(
                (
                    self._next_id("limit_change"), account_id, self._timestamp(cut_on, 2, 0), money(limit), "0.00",
                    "delinquency", f"Line cut at {LINE_CUT_AFTER_DAYS} days past due", None,
                )
            )  # fmt: skip
