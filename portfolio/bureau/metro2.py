"""
A Metro 2-style fixed-width file: one header record, one 426-character base
segment per account, one trailer (the Consumer Data Industry Association's
*Credit Reporting Resource Guide*, CRRG, "426-character format").

Every record is built from one table of fields (`HEADER`, `BASE`, `TRAILER`):
name, start position (1-based, as the CRRG numbers them), length and type.
An alphanumeric field (`AN`) is left-justified and space-filled, a numeric one
(`N`) right-justified and zero-filled; a value longer than its field is cut
(text) or refused (a number: `ValueError`, never a silently wrong amount).
Money is in whole units, truncated, never rounded (CRRG: "report whole
dollars only; do not round"): 1,234.99 is 1234.

`metro2_validate(lines)` reads a file back against the same tables.
"""

import datetime
import functools
import re
from collections import Counter
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum

RECORD_LENGTH = 426
AN = "AN"  # alphanumeric: left-justified, space-filled
N = "N"  # numeric: right-justified, zero-filled


@dataclass(frozen=True)
class Field:
    name: str
    start: int  # 1-based, as in the CRRG
    length: int
    kind: str = AN

    @property
    def end(self) -> int:
        """The last position (1-based, inclusive)."""
        return self.start + self.length - 1

    def format(self, value) -> str:
        if self.kind == N:
            if type(value) is int and value >= 0:
                text = str(value)
                if len(text) <= self.length:
                    return text.rjust(self.length, "0")
            number = 0 if value in (None, "") else value
            text = number.strftime("%m%d%Y") if isinstance(number, datetime.date) else str(number)
            if not text.isdigit():
                raise ValueError(f"{self.name}: {value!r} is not a whole number that is not negative")
            if len(text) > self.length:
                raise ValueError(f"{self.name}: {value!r} does not fit in {self.length} digits")
            return text.rjust(self.length, "0")
        text = "" if value is None else str(value)
        return text[: self.length].ljust(self.length, " ")


def _layout(*fields: tuple) -> tuple[Field, ...]:
    """Fields given as (name, start, length[, kind]), checked to follow each other and to fill 426 positions."""
    layout = tuple(Field(*spec) for spec in fields)
    position = 1
    for field in layout:
        assert field.start == position, f"{field.name} starts at {field.start}, expected {position}"
        position = field.end + 1
    assert position - 1 == RECORD_LENGTH, f"the layout is {position - 1} characters long"
    return layout


HEADER = _layout(
    ("record_descriptor_word", 1, 4, N),
    ("record_identifier", 5, 6),  # "HEADER"
    ("cycle_identifier", 11, 2),
    ("innovis_program_identifier", 13, 10),
    ("equifax_program_identifier", 23, 10),
    ("experian_program_identifier", 33, 5),
    ("transunion_program_identifier", 38, 10),
    ("activity_date", 48, 8, N),
    ("date_created", 56, 8, N),
    ("program_date", 64, 8, N),
    ("program_revision_date", 72, 8, N),
    ("reporter_name", 80, 40),
    ("reporter_address", 120, 96),
    ("reporter_telephone", 216, 10, N),
    ("software_vendor_name", 226, 40),
    ("software_version", 266, 5),
    ("reserved", 271, 156),
)

BASE = _layout(
    ("record_descriptor_word", 1, 4, N),
    ("processing_indicator", 5, 1, N),
    ("time_stamp", 6, 14, N),
    ("reserved_20", 20, 1),
    ("identification_number", 21, 20),
    ("cycle_identifier", 41, 2),
    ("consumer_account_number", 43, 30),
    ("portfolio_type", 73, 1),
    ("account_type", 74, 2),
    ("date_opened", 76, 8, N),
    ("credit_limit", 84, 9, N),
    ("highest_credit", 93, 9, N),
    ("terms_duration", 102, 3),
    ("terms_frequency", 105, 1),
    ("scheduled_monthly_payment", 106, 9, N),
    ("actual_payment_amount", 115, 9, N),
    ("account_status", 124, 2),
    ("payment_rating", 126, 1),
    ("payment_history_profile", 127, 24),
    ("special_comment", 151, 2),
    ("compliance_condition_code", 153, 2),
    ("current_balance", 155, 9, N),
    ("amount_past_due", 164, 9, N),
    ("original_charge_off_amount", 173, 9, N),
    ("date_of_account_information", 182, 8, N),
    ("date_of_first_delinquency", 190, 8, N),
    ("date_closed", 198, 8, N),
    ("date_of_last_payment", 206, 8, N),
    ("interest_type_indicator", 214, 1),
    ("reserved_215", 215, 17),
    ("surname", 232, 25),
    ("first_name", 257, 20),
    ("middle_name", 277, 20),
    ("generation_code", 297, 1),
    ("social_security_number", 298, 9, N),
    ("date_of_birth", 307, 8, N),
    ("telephone_number", 315, 10, N),
    ("ecoa_code", 325, 1),
    ("consumer_information_indicator", 326, 2),
    ("country_code", 328, 2),
    ("address_line_1", 330, 32),
    ("address_line_2", 362, 32),
    ("city", 394, 20),
    ("state", 414, 2),
    ("postal_code", 416, 9),
    ("address_indicator", 425, 1),
    ("residence_code", 426, 1),
)

# The account status codes, in the order the trailer counts them.
STATUS_CODES = (
    "DF", "DA", "05", "11", "13", "61", "62", "63", "64", "65", "71", "78", "80", "82", "83", "84",
    "88", "89", "93", "94", "95", "96", "97",
)  # fmt: skip
_STATUS_COUNT_STARTS = {
    "DF": 30, "DA": 66, "05": 75, "11": 84, "13": 93, "61": 102, "62": 111, "63": 120, "64": 129, "65": 138,
    "71": 147, "78": 156, "80": 165, "82": 174, "83": 183, "84": 192, "88": 201, "89": 210, "93": 219,
    "94": 228, "95": 237, "96": 246, "97": 255,
}  # fmt: skip


def _status_field(code: str) -> str:
    return f"total_status_{code.lower()}"


TRAILER = _layout(
    ("record_descriptor_word", 1, 4, N),
    ("record_identifier", 5, 7),  # "TRAILER"
    ("total_base_records", 12, 9, N),
    ("reserved_21", 21, 9),
    (_status_field("DF"), 30, 9, N),
    ("total_j1_segments", 39, 9, N),
    ("total_j2_segments", 48, 9, N),
    ("block_count", 57, 9, N),
    *((_status_field(code), _STATUS_COUNT_STARTS[code], 9, N) for code in STATUS_CODES[1:]),
    ("total_ecoa_code_z", 264, 9, N),
    ("reserved_273", 273, 154),
)
LAYOUTS = {"HEADER": HEADER, "BASE": BASE, "TRAILER": TRAILER}


def record(layout: tuple[Field, ...], values: Mapping) -> str:
    """One record of `layout` from a mapping of field name to value (a missing field is blank / zeros)."""
    unknown = set(values) - {field.name for field in layout}
    if unknown:
        raise KeyError(f"not in the layout: {sorted(unknown)}")
    return "".join(field.format(values.get(field.name)) for field in layout)


def whole_units(amount) -> int:
    """Money in whole units, truncated toward zero (never rounded); None and negatives report as 0."""
    if amount is None:
        return 0
    units = int(Decimal(amount))  # int() truncates
    return max(units, 0)


# --- Status, rating, history -------------------------------------------------------------


class AccountState(StrEnum):
    """What the account is, apart from how late: the states the status code distinguishes."""

    OPEN = "open"
    CLOSED = "closed"  # paid or closed, nothing owed
    COLLECTION = "collection"  # assigned to internal or external collections
    CHARGED_OFF = "charged_off"
    TRANSFERRED = "transferred"  # sold or transferred to another lender
    SURRENDERED = "surrendered"  # voluntary surrender
    REPOSSESSED = "repossessed"
    FORECLOSURE_STARTED = "foreclosure_started"
    FORECLOSED = "foreclosed"
    DEED_IN_LIEU = "deed_in_lieu"
    GOVERNMENT_CLAIM = "government_claim"
    DELETE = "delete"  # delete the whole account (not fraud)
    DELETE_FRAUD = "delete_fraud"  # delete the whole account: confirmed fraud


_DELINQUENT = ((180, "84"), (150, "83"), (120, "82"), (90, "80"), (60, "78"), (30, "71"))
_PAID_IN_FULL = {
    AccountState.SURRENDERED: "61",
    AccountState.COLLECTION: "62",
    AccountState.REPOSSESSED: "63",
    AccountState.CHARGED_OFF: "64",
    AccountState.FORECLOSURE_STARTED: "65",
}
_UNPAID = {
    AccountState.COLLECTION: "93",
    AccountState.FORECLOSED: "94",
    AccountState.SURRENDERED: "95",
    AccountState.REPOSSESSED: "96",
    AccountState.CHARGED_OFF: "97",
    AccountState.FORECLOSURE_STARTED: None,  # still rated by days past due until it completes
}


def account_status_code(*, days_past_due: int, state: AccountState | str, balance=0) -> str:
    """
    The account status code (base segment, positions 124–125), following the
    CRRG's account status table:

    - delete records first: DF (confirmed fraud), DA (any other reason);
    - 05 transferred or sold (the purchaser reports from then on);
    - 88 claim filed with the government, 89 deed in lieu (whatever the balance);
    - nothing owed (`balance` ≤ 0): paid in full after a collection (62),
      charge-off (64), voluntary surrender (61), repossession (63), a started
      foreclosure (65); else 13 paid or closed;
    - still owed: 93 collections, 94 foreclosure completed, 95 voluntary
      surrender, 96 repossession, 97 charged off (unpaid balance reported as a loss);
    - otherwise by days past due: 0–29 → 11 (current: the CRRG reports an
      account less than 30 days late as current), 30–59 → 71, 60–89 → 78,
      90–119 → 80, 120–149 → 82, 150–179 → 83, 180+ → 84.
    """
    state = AccountState(state)
    if state == AccountState.DELETE_FRAUD:
        return "DF"
    if state == AccountState.DELETE:
        return "DA"
    if state == AccountState.TRANSFERRED:
        return "05"
    if state == AccountState.GOVERNMENT_CLAIM:
        return "88"
    if state == AccountState.DEED_IN_LIEU:
        return "89"
    owed = whole_units(balance) > 0
    if not owed:
        return _PAID_IN_FULL.get(state, "13")
    if _UNPAID.get(state):
        return _UNPAID[state]
    for days, code in _DELINQUENT:
        if days_past_due >= days:
            return code
    return "11"


# Payment rating (position 126): required when the status code itself does not say how late the account was.
RATED_STATUSES = {"05", "13", "65", "88", "89", "94", "95"}
_RATINGS = ((180, "6"), (150, "5"), (120, "4"), (90, "3"), (60, "2"), (30, "1"))


def days_rating(days_past_due: int) -> str:
    """0 (0–29 days), 1 (30–59) … 6 (180+): the CRRG's payment rating and history-profile digits."""
    for days, rating in _RATINGS:
        if days_past_due >= days:
            return rating
    return "0"


def payment_rating(*, status_code: str, days_past_due: int, state: AccountState | str) -> str:
    """
    The payment rating: blank unless the status is one of `RATED_STATUSES`
    (CRRG); then G for collections, L for a charge-off, else `days_rating`.
    """
    if status_code not in RATED_STATUSES:
        return ""
    state = AccountState(state)
    if state == AccountState.COLLECTION:
        return "G"
    if state == AccountState.CHARGED_OFF:
        return "L"
    return days_rating(days_past_due)


def history_character(month: Mapping | None) -> str:
    """
    One month of the payment history profile: B before the account opened
    (`None` or "B"), D no history for the month ("D"), E zero balance and current, G collection, L
    charge-off, else the days digit 0–6 (CRRG payment history profile codes).
    `month` holds days_past_due, state and balance.
    """
    if month is None or month == "B":
        return "B"
    if month == "D":
        return "D"
    state = month.get("state")
    if state is not None:
        state = AccountState(state)
        if state == AccountState.CHARGED_OFF:
            return "L"
        if state == AccountState.COLLECTION:
            return "G"
    days = month.get("days_past_due") or 0
    if days < 30 and whole_units(month.get("balance")) == 0:
        return "E"
    return days_rating(days)


def history_profile(months: Iterable[Mapping | None]) -> str:
    """24 characters, most recent first; months missing at the end (the account was younger) are B."""
    text = "".join(history_character(month) for month in months)[:24]
    return text.ljust(24, "B")


def compliance_condition_code(*, dispute_open: bool, dispute_resolved: bool) -> str:
    """XB while the consumer disputes the account; XH once the dispute is resolved; else blank."""
    if dispute_open:
        return "XB"
    if dispute_resolved:
        return "XH"
    return ""


# --- The file -----------------------------------------------------------------------------


def header_record(*, activity_date: datetime.date, created: datetime.date, reporter: str, **values) -> str:
    return record(
        HEADER,
        {
            "record_descriptor_word": RECORD_LENGTH,
            "record_identifier": "HEADER",
            "activity_date": activity_date,
            "date_created": created,
            "reporter_name": reporter,
            "software_vendor_name": "Arrears",
            **values,
        },
    )


def base_record(values: Mapping) -> str:
    return record(BASE, {"record_descriptor_word": RECORD_LENGTH, "processing_indicator": 1, **values})


def trailer_record(status_counts: Mapping[str, int], *, base_records: int) -> str:
    values = {_status_field(code): status_counts.get(code, 0) for code in STATUS_CODES}
    return record(
        TRAILER,
        {
            "record_descriptor_word": RECORD_LENGTH,
            "record_identifier": "TRAILER",
            "total_base_records": base_records,
            "block_count": base_records + 2,
            **values,
        },
    )


def metro2_lines(header: str, bases: Iterable[str]) -> Iterator[str]:
    """The header, each base segment and the trailer counted from them, each line ending in a newline."""
    yield header + "\n"
    counts: Counter = Counter()
    status = slice(_start(BASE, "account_status"), _start(BASE, "account_status") + 2)
    total = 0
    for line in bases:
        counts[line[status]] += 1
        total += 1
        yield line + "\n"
    yield trailer_record(counts, base_records=total) + "\n"


def _start(layout, name: str) -> int:
    """The 0-based offset of a field."""
    return next(field.start - 1 for field in layout if field.name == name)


# --- Validation ---------------------------------------------------------------------------

_DATE_FIELDS = re.compile(r"date|time_stamp")


@dataclass(frozen=True)
class Problem:
    line: int  # 1-based
    field: str
    message: str

    def __str__(self):
        return f"line {self.line}, {self.field}: {self.message}"


def _fast_pattern(layout) -> re.Pattern:
    """A line every field of which is of its type (numbers digits, text left-justified), in one regex."""
    parts = []
    for field in layout:
        if field.kind == N:
            parts.append(rf"\d{{{field.length}}}")
        elif field.length == 1:
            parts.append(".")
        else:
            parts.append(rf"(?:[^ ].{{{field.length - 1}}}| {{{field.length}}})")
    return re.compile("".join(parts), re.DOTALL)


_FAST = {kind: _fast_pattern(layout) for kind, layout in LAYOUTS.items()}
_DATES = {kind: [(f.start - 1, f.name) for f in layout if f.kind == N and f.length == 8 and _DATE_FIELDS.search(f.name)]
          for kind, layout in LAYOUTS.items()}  # fmt: skip


@functools.lru_cache(maxsize=4096)
def _is_date(text: str) -> bool:
    try:
        datetime.datetime.strptime(text, "%m%d%Y")
    except ValueError:
        return False
    return True


def _line_problems(number: int, line: str, kind: str) -> list[Problem]:
    """The problems of one record: none found by the one-regex check and the dates, else field by field."""
    if _FAST[kind].fullmatch(line) and all(
        line[at : at + 8] == "00000000" or _is_date(line[at : at + 8]) for at, _name in _DATES[kind]
    ):
        return []
    return list(_field_problems(number, line, LAYOUTS[kind]))


def _field_problems(number: int, line: str, layout) -> Iterator[Problem]:
    for field in layout:
        text = line[field.start - 1 : field.end]
        if field.kind == N and not text.isdigit():
            yield Problem(number, field.name, f"{text!r} is not numeric")
        elif field.name == "record_descriptor_word" and text != f"{RECORD_LENGTH:04d}":
            yield Problem(number, field.name, f"{text!r} is not {RECORD_LENGTH:04d}")
        elif field.kind == N and _DATE_FIELDS.search(field.name) and text.strip("0") and len(text) == 8:
            if not _is_date(text):
                yield Problem(number, field.name, f"{text!r} is not a date MMDDYYYY")
        elif field.kind == AN and text[:1] == " " and text.strip():
            yield Problem(number, field.name, f"{text!r} is not left-justified")


def metro2_validate(lines: Iterable[str]) -> list[Problem]:
    """
    The problems of a Metro 2 file, each with its line and field: every record
    426 characters; a header first and a trailer last; every field of its
    layout of its type (numeric fields digits only, dates real MMDDYYYY dates,
    text left-justified); status codes known; the trailer's totals (base
    records, per status code, block count) equal to the records counted.
    An empty list: the file is valid.
    """
    problems: list[Problem] = []
    counts: Counter = Counter()
    status_at = _start(BASE, "account_status")
    number, last = 0, None
    # Streamed (a million lines are never held at once): a line is known to be a base segment once
    # another follows it, and the last line read is the trailer.
    for line in lines:
        line = line.rstrip("\r\n")
        number += 1
        if last is not None:
            _record_check(number - 1, last, "HEADER" if number == 2 else "BASE", problems, counts, status_at)
        last = line
    if last is None:
        return [Problem(0, "file", "empty")]
    kind = "HEADER" if number == 1 else "TRAILER"
    if number == 1:
        problems.append(Problem(1, "file", "no trailer"))
    if _record_check(number, last, kind, problems, counts, status_at) and kind == "TRAILER":
        problems.extend(_trailer_problems(number, last, counts))
    return problems


def _record_check(number: int, line: str, kind: str, problems: list, counts: Counter, status_at: int) -> bool:
    """Add one record's problems; count a base segment's status. False: the record could not be read as `kind`."""
    if len(line) != RECORD_LENGTH:
        problems.append(Problem(number, "record", f"{len(line)} characters, not {RECORD_LENGTH}"))
        return False
    if kind != "BASE" and line[4 : 4 + len(kind)] != kind:
        problems.append(Problem(number, "record_identifier", f"expected {kind}"))
        return False
    problems.extend(_line_problems(number, line, kind))
    if kind == "BASE":
        code = line[status_at : status_at + 2]
        if code not in STATUS_CODES:
            problems.append(Problem(number, "account_status", f"{code!r} is not a status code"))
        counts[code] += 1
    return True


def _trailer_problems(number: int, line: str, counts: Counter) -> Iterator[Problem]:
    def value(name):
        at = _start(TRAILER, name)
        text = line[at : at + 9]
        return int(text) if text.isdigit() else None

    expected = {"total_base_records": sum(counts.values()), "block_count": number}
    expected |= {_status_field(code): counts.get(code, 0) for code in STATUS_CODES}
    for name, count in expected.items():
        found = value(name)
        if found is not None and found != count:
            yield Problem(number, name, f"says {found}, the file has {count}")
