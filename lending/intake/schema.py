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
import zoneinfo
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from functools import cache
from typing import Any

from django.conf import settings
from django.utils.translation import gettext_lazy as _

from lending.models import ContactPoint, CreditAccount, ImportBatch, Payment

CENT = Decimal("0.01")
MONEY_MAX = Decimal("999999999999.99")  # max_digits=14, decimal_places=2

# Reasons a cell is refused. Tests assert against these.
REQUIRED_VALUE = _("A value is required.")
TOO_LONG = _("Longer than {max_length} characters.")
NOT_DECIMAL = _("Not a decimal number (write e.g. 1234.50).")
TOO_MANY_DECIMALS = _("More than two decimal places.")
MONEY_TOO_LARGE = _("Too large an amount.")
NEGATIVE = _("Must not be negative.")
NOT_POSITIVE = _("Must be greater than zero.")
NOT_DATE = _("Not a date (write YYYY-MM-DD).")
NOT_DATETIME = _("Not a date and time (write YYYY-MM-DDTHH:MM:SS, optionally with +08:00).")
NOT_INTEGER = _("Not a whole number.")
OUT_OF_RANGE = _("Must be between {low} and {high}.")
NOT_BOOLEAN = _("Not true or false (write true/false, 1/0 or yes/no).")
NOT_CHOICE = _("Not one of: {choices}.")
NOT_TIME_ZONE = _("Not a time zone name (write e.g. Asia/Shanghai).")


class CellError(ValueError):
    """A cell's value cannot be used; the message is the reason."""


# --- Cell parsers ---------------------------------------------------------------


def text(max_length: int) -> Callable[[str], str]:
    def parse(value: str) -> str:
        if len(value) > max_length:
            raise CellError(str(TOO_LONG).format(max_length=max_length))
        return value

    return parse


def money(*, positive: bool = False) -> Callable[[str], Decimal]:
    def parse(value: str) -> Decimal:
        try:
            amount = Decimal(value)
        except InvalidOperation:
            raise CellError(str(NOT_DECIMAL)) from None
        if not amount.is_finite():
            raise CellError(str(NOT_DECIMAL))
        if abs(amount) > MONEY_MAX:
            raise CellError(str(MONEY_TOO_LARGE))
        quantized = amount.quantize(CENT, rounding=ROUND_HALF_UP)
        if quantized != amount:
            raise CellError(str(TOO_MANY_DECIMALS))
        if positive and quantized <= 0:
            raise CellError(str(NOT_POSITIVE))
        if quantized < 0:
            raise CellError(str(NEGATIVE))
        return quantized

    return parse


_DATE = re.compile(r"^(\d{4})[-/](\d{1,2})[-/](\d{1,2})$")


def date(value: str) -> datetime.date:
    match = _DATE.match(value)
    if not match:
        raise CellError(str(NOT_DATE))
    try:
        return datetime.date(*(int(part) for part in match.groups()))
    except ValueError:
        raise CellError(str(NOT_DATE)) from None


def aware_datetime(value: str) -> datetime.datetime:
    """ISO 8601; without an offset the time is the lender's (settings.TIME_ZONE)."""
    try:
        moment = datetime.datetime.fromisoformat(value)
    except ValueError:
        raise CellError(str(NOT_DATETIME)) from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=zoneinfo.ZoneInfo(settings.TIME_ZONE))
    return moment


def integer(*, low: int, high: int) -> Callable[[str], int]:
    def parse(value: str) -> int:
        if not re.fullmatch(r"[+-]?\d+", value):
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
        Column("name", text(120), required=True),
        Column("national_id", text(32)),
        Column("date_of_birth", date, default=None),
        Column("employer", text(200)),
        Column("monthly_income", money(), default=None),
        Column("province", text(50)),
        Column("city", text(50)),
        Column("district", text(50)),
        Column("language", choice(settings.LANGUAGES), default="zh-hans"),
        Column("time_zone", time_zone, default="Asia/Shanghai"),
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
        Column("third_party_name", text(120)),
        Column("relation", choice(ContactPoint.Relation.choices)),
        Column("is_primary", boolean, default=False),
        Column("is_verified", boolean, default=False),
        Column("consent_sms", boolean, default=False),
        Column("consent_email", boolean, default=False),
        Column("consent_recorded_on", date, default=None),
        Column("do_not_contact", boolean, default=False),
    ),
)

ACCOUNTS = Schema(
    kind=ImportBatch.Kind.ACCOUNTS,
    columns=(
        _external_id(),
        Column("borrower_external_id", text(64), required=True),
        Column("product_code", text(40), required=True),
        Column("opened_on", date, required=True),
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
        Column("lent_on", date, required=True),
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
