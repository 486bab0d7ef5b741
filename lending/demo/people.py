"""
The borrowers of the demo portfolio: who each one is (name, national id or
taxpayer number, employer, addresses, by locale), the contact points they and
the people close to them are reached on, and the accounts each one holds.
`BorrowerRows` is a part of `PortfolioGenerator`; its methods draw from the
generator's one random stream in the same order as ever.
"""

from __future__ import annotations

from operator import mul
from typing import TYPE_CHECKING

from lending.demo import names
from lending.demo.book import INCOME_BASE_YUAN

if TYPE_CHECKING:
    from lending.demo.generator import Chunk

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


class BorrowerRows:
    """The borrower, contact point and (through `_account`) account rows of `PortfolioGenerator`."""

    def _borrower(self, chunk: Chunk, account_count: int) -> None:
        rand = self.rng.random
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
