"""
The intake formats: ONE definition per kind of import, shared by the browser
upload, the `import_csv` command and the JSON payments endpoint.

A column is named as the model field it fills (English snake_case); columns
that point at other records carry the other record's external id
(`borrower_external_id`, `account_external_id`) or code (`product_code`).
Each column parses one text cell into a Python value or raises `CellError`
with the reason. docs/intake.md documents these tables (a test keeps them in
step).
"""

import datetime
import re
import unicodedata
import zoneinfo
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from functools import cache
from typing import Any

from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from lending.models import ContactPoint, CreditAccount, ImportBatch, Payment

CENT = Decimal("0.01")
MONEY_MAX = Decimal("999999999999.99")  # max_digits=14, decimal_places=2

# Reasons a cell is refused. Tests assert against these.
REQUIRED_VALUE = _("A value is required.")
TOO_LONG = _("Longer than {max_length} characters.")
NOT_DECIMAL = _("Not an amount: write ASCII digits with at most one dot and two decimals, e.g. 1234.50.")
TOO_MANY_DECIMALS = _("More than two decimal places.")
MONEY_TOO_LARGE = _("Too large an amount.")
NEGATIVE = _("Must not be negative.")
NOT_POSITIVE = _("Must be greater than zero.")
NOT_DATE = _("Not a date (write YYYY-MM-DD).")
DATE_OUT_OF_RANGE = _("Not a date between {low} and {high}.")
DATE_IN_FUTURE = _("A date in the future.")
NOT_DATETIME = _("Not a date and time with its zone (write YYYY-MM-DDTHH:MM:SS+08:00 or …Z).")
DATETIME_IN_FUTURE = _("A time in the future.")
NOT_INTEGER = _("Not a whole number.")
OUT_OF_RANGE = _("Must be between {low} and {high}.")
NOT_BOOLEAN = _("Not true or false (write true/false, 1/0 or yes/no).")
NOT_CHOICE = _("Not one of: {choices}.")
NOT_TIME_ZONE = _("Not a time zone name (write e.g. Asia/Shanghai).")
NAME_UNEXPECTED_CHARACTERS = _(
    "Characters a name does not hold ({characters}): Chinese characters, Latin letters, spaces, "
    "· - and ' only. Was the file saved in the encoding chosen?"
)
NAME_LOOKS_MISDECODED = _(
    "Looks like UTF-8 text read in another encoding (mojibake): {fixed}? Save the file as UTF-8 and choose UTF-8."
)
RIC_NOT_18 = _("A resident identity number of China has 18 characters (17 digits and a digit or X).")
RIC_FORMAT = _("A resident identity number is 17 digits then a digit or X.")
RIC_CHECK_DIGIT = _("The check digit (the last character) does not match: mistyped?")
RIC_BIRTH_DATE = _("The birth date in the number (characters 7 to 14) is not a date that has been.")
RIC_REGION = _("The region code in the number (the first 6 digits) is not a known one.")


class CellError(ValueError):
    """A cell's value cannot be used; the message is the reason."""


# --- Cell parsers ---------------------------------------------------------------


def text(max_length: int) -> Callable[[str], str]:
    def parse(value: str) -> str:
        if len(value) > max_length:
            raise CellError(str(TOO_LONG).format(max_length=max_length))
        return value

    return parse


# ASCII digits, at most one dot and at most two decimals: no sign, exponent,
# underscore, thousands separator, blank or full-width digit ("１２３４"), which
# Decimal() would accept.
_MONEY = re.compile(r"[0-9]+(?:\.[0-9]{1,2})?", re.ASCII)
_MONEY_NEGATIVE = re.compile(r"-[0-9]+(?:\.[0-9]{1,2})?", re.ASCII)
_MONEY_MORE_DECIMALS = re.compile(r"[0-9]+\.[0-9]{3,}", re.ASCII)


def money(*, positive: bool = False) -> Callable[[str], Decimal]:
    def parse(value: str) -> Decimal:
        if not _MONEY.fullmatch(value):
            if _MONEY_NEGATIVE.fullmatch(value):
                raise CellError(str(NOT_POSITIVE if positive else NEGATIVE))
            if _MONEY_MORE_DECIMALS.fullmatch(value):
                raise CellError(str(TOO_MANY_DECIMALS))
            raise CellError(str(NOT_DECIMAL))
        amount = Decimal(value)
        if amount > MONEY_MAX:
            raise CellError(str(MONEY_TOO_LARGE))
        if positive and amount <= 0:
            raise CellError(str(NOT_POSITIVE))
        return amount.quantize(CENT)

    return parse


_DATE = re.compile(r"([0-9]{4})([-/])([0-9]{2})\2([0-9]{2})", re.ASCII)
EARLIEST_DATE = datetime.date(1900, 1, 1)
LATEST_DATE = datetime.date(2199, 12, 31)


def _lender_today() -> datetime.date:
    return timezone.localdate(timezone=zoneinfo.ZoneInfo(settings.TIME_ZONE))


def _calendar_date(value: str) -> datetime.date:
    match = _DATE.fullmatch(value)
    if not match:
        raise CellError(str(NOT_DATE))
    year, _separator, month, day = match.groups()
    try:
        day = datetime.date(int(year), int(month), int(day))
    except ValueError:
        raise CellError(str(NOT_DATE)) from None
    if not EARLIEST_DATE <= day <= LATEST_DATE:
        raise CellError(str(DATE_OUT_OF_RANGE).format(low=EARLIEST_DATE, high=LATEST_DATE))
    return day


def date(value: str) -> datetime.date:
    """YYYY-MM-DD or YYYY/MM/DD (two-digit month and day, one separator), 1900–2199."""
    return _calendar_date(value)


def past_date(value: str) -> datetime.date:
    """A date that has happened (a birth, an opening, a consent): not after today in the lender's time zone."""
    day = _calendar_date(value)
    if day > _lender_today():
        raise CellError(str(DATE_IN_FUTURE))
    return day


_DATETIME = re.compile(
    r"[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}(?::[0-9]{2})?(?:Z|[+-][0-9]{2}:[0-9]{2})",
    re.ASCII,
)
# How far ahead of our clock the core system's clock may run.
CLOCK_SKEW = datetime.timedelta(minutes=10)


def aware_datetime(value: str) -> datetime.datetime:
    """
    ISO 8601 YYYY-MM-DDTHH:MM[:SS] with its zone (Z or ±HH:MM), nothing else:
    no basic or week forms, no fractions, no bare dates; not in the future
    beyond CLOCK_SKEW.
    """
    if not _DATETIME.fullmatch(value):
        raise CellError(str(NOT_DATETIME))
    try:
        moment = datetime.datetime.fromisoformat(value)
    except ValueError:
        raise CellError(str(NOT_DATETIME)) from None
    if moment.year < EARLIEST_DATE.year:
        raise CellError(str(NOT_DATETIME))
    if moment > timezone.now() + CLOCK_SKEW:
        raise CellError(str(DATETIME_IN_FUTURE))
    return moment


_INTEGER = re.compile(r"-?[0-9]+", re.ASCII)


def integer(*, low: int, high: int) -> Callable[[str], int]:
    def parse(value: str) -> int:
        if not _INTEGER.fullmatch(value):
            raise CellError(str(NOT_INTEGER))
        number = int(value)
        if not low <= number <= high:
            raise CellError(str(OUT_OF_RANGE).format(low=low, high=high))
        return number

    return parse


_TRUE = {"true", "1", "yes", "y", "t"}
_FALSE = {"false", "0", "no", "n", "f"}


def boolean(value: str) -> bool:
    lowered = value.lower()
    if lowered in _TRUE:
        return True
    if lowered in _FALSE:
        return False
    raise CellError(str(NOT_BOOLEAN))


def choice(choices) -> Callable[[str], str]:
    allowed = [str(value) for value, _label in choices]

    def parse(value: str) -> str:
        lowered = value.lower()
        if lowered not in allowed:
            raise CellError(str(NOT_CHOICE).format(choices=", ".join(allowed)))
        return lowered

    return parse


@cache
def _time_zones() -> frozenset[str]:
    return frozenset(zoneinfo.available_timezones())


def time_zone(value: str) -> str:
    if value not in _time_zones():
        raise CellError(str(NOT_TIME_ZONE))
    return value


# Names: what the portfolio's borrowers and their contacts are called. Any
# other character is almost always an encoding gone wrong ("JosÃ©", box
# drawing, private use), so it is refused rather than stored.
NAME_PUNCTUATION = frozenset(" \u00b7-'\u2019")  # space, middle dot ·, hyphen, apostrophes ' ’


@cache
def _name_character_ok(character: str) -> bool:
    if character in NAME_PUNCTUATION:
        return True
    if not unicodedata.category(character).startswith("L") and character != "\u3007":  # 〇
        return False
    name = unicodedata.name(character, "")
    return name.startswith(("LATIN ", "CJK UNIFIED IDEOGRAPH", "CJK COMPATIBILITY IDEOGRAPH")) or character == "\u3007"


def _misdecoded(value: str) -> str | None:
    """The text this would be if it is UTF-8 bytes read as Latin-1 / Windows-1252, or None."""
    if value.isascii():
        return None
    for codec in ("cp1252", "latin-1"):
        try:
            fixed = value.encode(codec).decode("utf-8")
        except UnicodeError:
            continue
        if fixed != value:
            return fixed
    return None


def person_name(max_length: int) -> Callable[[str], str]:
    limit = text(max_length)

    def parse(value: str) -> str:
        value = limit(value)
        bad = sorted(
            {character for character in unicodedata.normalize("NFC", value) if not _name_character_ok(character)}
        )
        if bad:
            shown = " ".join(f"{character!r} U+{ord(character):04X}" for character in bad[:5])
            raise CellError(str(NAME_UNEXPECTED_CHARACTERS).format(characters=shown))
        fixed = _misdecoded(value)
        if fixed is not None:
            raise CellError(str(NAME_LOOKS_MISDECODED).format(fixed=fixed))
        return value

    return parse


_RIC_SHAPE = re.compile(r"[0-9]{17}.", re.ASCII | re.DOTALL)


def ric_shaped(value: str) -> bool:
    """18 characters of which the first 17 are digits: meant as a resident identity number of China."""
    return len(value) == 18 and bool(_RIC_SHAPE.fullmatch(value))


def ric_problem(value: str) -> str | None:
    """Why this is not a valid resident identity number of China (GB 11643), or None. `value` is upper case."""
    from stdnum.cn import ric
    from stdnum.exceptions import InvalidChecksum, InvalidComponent

    if len(value) != 18:
        return str(RIC_NOT_18)
    if not re.fullmatch(r"[0-9]{17}[0-9X]", value, re.ASCII):
        return str(RIC_FORMAT)
    if value[-1] != ric.calc_check_digit(value):
        return str(RIC_CHECK_DIGIT)
    try:
        born = ric.get_birth_date(value)
    except InvalidComponent:
        return str(RIC_BIRTH_DATE)
    if not EARLIEST_DATE <= born <= _lender_today():
        return str(RIC_BIRTH_DATE)
    try:
        ric.validate(value)
    except InvalidChecksum:
        return str(RIC_CHECK_DIGIT)
    except InvalidComponent:
        return str(RIC_REGION)
    except ValueError:
        return str(RIC_FORMAT)
    return None


def national_id(value: str) -> str:
    """
    Text up to 32 characters; one shaped as a resident identity number of
    China (18 characters, 17 digits first) must be one, and is stored with an
    upper-case X. Borrowers in China are held to it whatever the shape (the
    borrowers' handler checks that, knowing the borrower's time zone).
    """
    value = text(32)(value)
    if ric_shaped(value):
        value = value.upper()
        problem = ric_problem(value)
        if problem:
            raise CellError(problem)
    return value


# --- Columns and kinds -----------------------------------------------------------


@dataclass(frozen=True)
class Column:
    name: str
    parse: Callable[[str], Any]
    # A required column must be in the header and may not be blank.
    required: bool = False
    # The value of a blank cell of an optional column.
    default: Any = ""
    description: str = ""


@dataclass(frozen=True)
class Schema:
    kind: str
    columns: tuple[Column, ...]
    # The columns that identify a row: repeating them within a file is an error,
    # and a row whose key exists is updated (or left unchanged), not duplicated.
    key: tuple[str, ...] = ("external_id",)
    by_name: dict[str, Column] = field(init=False, repr=False, compare=False)

    def __post_init__(self):
        object.__setattr__(self, "by_name", {column.name: column for column in self.columns})

    @property
    def required(self) -> list[str]:
        return [column.name for column in self.columns if column.required]

    @property
    def names(self) -> list[str]:
        return [column.name for column in self.columns]


def _external_id(description=""):
    return Column("external_id", text(64), required=True, description=description or "Id in the core system.")


BORROWERS = Schema(
    kind=ImportBatch.Kind.BORROWERS,
    columns=(
        _external_id(),
        Column("name", person_name(120), required=True),
        Column("national_id", national_id),
        Column("date_of_birth", past_date, default=None),
        Column("employer", text(200)),
        Column("monthly_income", money(), default=None),
        Column("province", text(50)),
        Column("city", text(50)),
        Column("district", text(50)),
        Column("language", choice(settings.LANGUAGES), default="zh-hans"),
        # No default: a borrower without one is checked in the zones of their address and numbers.
        Column("time_zone", time_zone, default=""),
        Column("risk_grade", text(8)),
        Column("credit_score", integer(low=0, high=32767), default=None),
        Column("is_deceased", boolean, default=False),
        Column("is_bankrupt", boolean, default=False),
        Column("is_vulnerable", boolean, default=False),
        Column("do_not_contact", boolean, default=False),
        Column("cease_contact_requested", boolean, default=False),
    ),
)

CONTACT_POINTS = Schema(
    kind=ImportBatch.Kind.CONTACT_POINTS,
    columns=(
        _external_id(),
        Column("borrower_external_id", text(64), required=True),
        Column("kind", choice(ContactPoint.Kind.choices), required=True),
        Column("value", text(300), required=True),
        Column("owner", choice(ContactPoint.Owner.choices), default=ContactPoint.Owner.BORROWER.value),
        Column("third_party_name", person_name(120)),
        Column("relation", choice(ContactPoint.Relation.choices)),
        Column("is_primary", boolean, default=False),
        Column("is_verified", boolean, default=False),
        Column("consent_sms", boolean, default=False),
        Column("consent_email", boolean, default=False),
        Column("consent_recorded_on", past_date, default=None),
        Column("do_not_contact", boolean, default=False),
    ),
)

ACCOUNTS = Schema(
    kind=ImportBatch.Kind.ACCOUNTS,
    columns=(
        _external_id(),
        Column("borrower_external_id", text(64), required=True),
        Column("product_code", text(40), required=True),
        Column("opened_on", past_date, required=True),
        Column("credit_limit", money(), required=True),
        Column("available_credit", money(), default=Decimal("0.00")),
        Column("status", choice(CreditAccount.Status.choices), default=CreditAccount.Status.ACTIVE.value),
    ),
)

INSTALLMENTS = Schema(
    kind=ImportBatch.Kind.INSTALLMENTS,
    key=("account_external_id", "number"),
    columns=(
        Column("account_external_id", text(64), required=True),
        Column("number", integer(low=1, high=2147483647), required=True),
        Column("order_reference", text(64)),
        Column("lent_on", past_date, required=True),
        Column("due_on", date, required=True),
        Column("principal_due", money(), required=True),
        Column("interest_due", money(), default=Decimal("0.00")),
        Column("fee_due", money(), default=Decimal("0.00")),
    ),
)

PAYMENTS = Schema(
    kind=ImportBatch.Kind.PAYMENTS,
    columns=(
        _external_id(),
        Column("account_external_id", text(64), required=True),
        Column("amount", money(positive=True), required=True),
        Column("received_at", aware_datetime, required=True),
        Column("channel", choice(Payment.Channel.choices), required=True),
    ),
)

SCHEMAS: dict[str, Schema] = {
    schema.kind: schema for schema in (BORROWERS, CONTACT_POINTS, ACCOUNTS, INSTALLMENTS, PAYMENTS)
}


def schema_register(kind: str, schema: Schema) -> None:
    """
    A kind of import another app defines (collection's agency return file):
    its format, read by the same pipeline, preview and error report. Lending
    does not import that app; the app calls this when it starts (with
    `handler_register` in lending.intake.upsert). Registering again replaces.
    """
    if kind not in ImportBatch.Kind.values or schema.kind != kind:
        raise ValueError(kind)
    SCHEMAS[kind] = schema
