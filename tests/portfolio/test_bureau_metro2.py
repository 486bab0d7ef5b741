"""The Metro 2 layout: record length, field positions, status codes, history, money, validation."""

import datetime
from decimal import Decimal

import pytest

from portfolio.bureau import metro2
from portfolio.bureau.metro2 import AccountState as S


def base(**values):
    return metro2.base_record({"account_status": "11", "consumer_account_number": "A1", **values})


def field_text(line, layout, name):
    field = next(f for f in layout if f.name == name)
    return line[field.start - 1 : field.end]


def test_every_layout_fills_426_positions_one_after_another():
    for layout in (metro2.HEADER, metro2.BASE, metro2.TRAILER):
        assert layout[0].start == 1
        assert sum(field.length for field in layout) == 426
        for before, after in zip(layout, layout[1:], strict=False):
            assert after.start == before.end + 1


def test_the_crrg_positions_of_the_base_segment():
    positions = {field.name: (field.start, field.length) for field in metro2.BASE}
    assert positions["consumer_account_number"] == (43, 30)
    assert positions["account_status"] == (124, 2)
    assert positions["payment_rating"] == (126, 1)
    assert positions["payment_history_profile"] == (127, 24)
    assert positions["compliance_condition_code"] == (153, 2)
    assert positions["current_balance"] == (155, 9)
    assert positions["surname"] == (232, 25)
    assert positions["residence_code"] == (426, 1)


def test_a_base_segment_is_426_characters_with_fields_where_the_layout_puts_them():
    line = base(current_balance=1234, date_opened=datetime.date(2025, 3, 7), surname="Li")
    assert len(line) == 426
    assert line[:4] == "0426"
    assert line[42:72] == "A1".ljust(30)  # alphanumeric: left-justified, space-filled
    assert line[154:163] == "000001234"  # numeric: right-justified, zero-filled
    assert field_text(line, metro2.BASE, "date_opened") == "03072025"
    assert line[231:256] == "Li".ljust(25)


def test_numbers_that_do_not_fit_or_are_not_whole_are_refused_text_is_cut():
    with pytest.raises(ValueError, match="does not fit"):
        base(current_balance=10**9)
    with pytest.raises(ValueError, match="not a whole number"):
        base(current_balance="12.50")
    assert field_text(base(surname="X" * 40), metro2.BASE, "surname") == "X" * 25
    with pytest.raises(KeyError):
        base(no_such_field=1)


def test_money_is_whole_units_truncated_never_rounded():
    assert metro2.whole_units(Decimal("1234.99")) == 1234
    assert metro2.whole_units(Decimal("0.99")) == 0
    assert metro2.whole_units(None) == 0
    assert metro2.whole_units(Decimal("-5.00")) == 0


@pytest.mark.parametrize(
    ("days", "code"),
    [(0, "11"), (29, "11"), (30, "71"), (59, "71"), (60, "78"), (89, "78"), (90, "80"), (119, "80"),
     (120, "82"), (149, "82"), (150, "83"), (179, "83"), (180, "84"), (900, "84")],
)  # fmt: skip
def test_status_codes_from_days_past_due(days, code):
    assert metro2.account_status_code(days_past_due=days, state=S.OPEN, balance=100) == code


@pytest.mark.parametrize(
    ("state", "balance", "code"),
    [
        (S.CLOSED, 0, "13"), (S.OPEN, 0, "13"), (S.CHARGED_OFF, 500, "97"), (S.CHARGED_OFF, 0, "64"),
        (S.COLLECTION, 500, "93"), (S.COLLECTION, 0, "62"), (S.TRANSFERRED, 500, "05"), (S.DELETE, 5, "DA"),
        (S.DELETE_FRAUD, 5, "DF"), (S.SURRENDERED, 5, "95"), (S.SURRENDERED, 0, "61"), (S.REPOSSESSED, 5, "96"),
        (S.REPOSSESSED, 0, "63"), (S.FORECLOSURE_STARTED, 0, "65"), (S.FORECLOSED, 5, "94"),
        (S.GOVERNMENT_CLAIM, 5, "88"), (S.DEED_IN_LIEU, 5, "89"),
    ],
)  # fmt: skip
def test_status_codes_from_the_accounts_state(state, balance, code):
    assert metro2.account_status_code(days_past_due=200, state=state, balance=balance) == code
    assert code in metro2.STATUS_CODES


def test_payment_rating_only_where_the_status_does_not_say_how_late():
    assert metro2.payment_rating(status_code="71", days_past_due=40, state=S.OPEN) == ""
    assert metro2.payment_rating(status_code="05", days_past_due=95, state=S.TRANSFERRED) == "3"
    assert metro2.payment_rating(status_code="13", days_past_due=0, state=S.CLOSED) == "0"
    assert metro2.payment_rating(status_code="05", days_past_due=0, state=S.COLLECTION) == "G"


def test_history_profile_most_recent_first_24_characters():
    months = [
        {"days_past_due": 65, "balance": 10},
        {"days_past_due": 31, "balance": 10},
        {"days_past_due": 0, "balance": 10},
        {"days_past_due": 0, "balance": 0},
        "D",
        {"days_past_due": 200, "balance": 10, "state": S.CHARGED_OFF},
        {"days_past_due": 10, "balance": 10, "state": S.COLLECTION},
        "B",
    ]
    assert metro2.history_profile(months) == "210EDLGB" + "B" * 16
    assert len(metro2.history_profile([{"days_past_due": 0, "balance": 1}] * 30)) == 24


def test_compliance_condition_codes():
    assert metro2.compliance_condition_code(dispute_open=True, dispute_resolved=False) == "XB"
    assert metro2.compliance_condition_code(dispute_open=False, dispute_resolved=True) == "XH"
    assert metro2.compliance_condition_code(dispute_open=False, dispute_resolved=False) == ""


def a_file(statuses=("11", "71", "71", "97")):
    header = metro2.header_record(
        activity_date=datetime.date(2026, 5, 31), created=datetime.date(2026, 6, 2), reporter="Arrears"
    )
    bases = [base(account_status=status, consumer_account_number=f"A{n}") for n, status in enumerate(statuses)]
    return list(metro2.metro2_lines(header, bases))


def test_the_trailer_counts_the_records_and_each_status():
    lines = a_file()
    trailer = lines[-1].rstrip("\n")
    assert len(lines) == 6
    assert all(len(line) == 427 and line.endswith("\n") for line in lines)
    assert lines[0][4:10] == "HEADER"
    assert trailer[4:11] == "TRAILER"
    assert field_text(trailer, metro2.TRAILER, "total_base_records") == "000000004"
    assert field_text(trailer, metro2.TRAILER, "total_status_71") == "000000002"
    assert field_text(trailer, metro2.TRAILER, "total_status_97") == "000000001"
    assert field_text(trailer, metro2.TRAILER, "total_status_11") == "000000001"
    assert field_text(trailer, metro2.TRAILER, "total_status_84") == "000000000"
    assert field_text(trailer, metro2.TRAILER, "block_count") == "000000006"
    assert metro2.metro2_validate(lines) == []


def test_validation_names_the_line_and_field_of_each_problem():
    lines = a_file()
    lines[1] = lines[1][:-2] + "\n"  # a short record
    at = next(f for f in metro2.BASE if f.name == "current_balance").start - 1
    lines[2] = lines[2][:at] + "00000012X" + lines[2][at + 9 :]  # a letter in a number
    at = next(f for f in metro2.BASE if f.name == "account_status").start - 1
    lines[3] = lines[3][:at] + "99" + lines[3][at + 2 :]  # no such status
    problems = {(p.line, p.field) for p in metro2.metro2_validate(lines)}
    assert (2, "record") in problems
    assert (3, "current_balance") in problems
    assert (4, "account_status") in problems
    # The trailer says 2 accounts of status 71; the file now holds one it can read (line 4 became 99).
    assert (6, "total_status_71") in problems
    assert metro2.metro2_validate([]) == [metro2.Problem(0, "file", "empty")]


def test_validation_finds_a_trailer_whose_totals_are_wrong():
    lines = a_file()
    trailer = lines[-1]
    at = next(f for f in metro2.TRAILER if f.name == "total_base_records").start - 1
    lines[-1] = trailer[:at] + "000000009" + trailer[at + 9 :]
    assert [(p.line, p.field) for p in metro2.metro2_validate(lines)] == [(6, "total_base_records")]


def test_a_bad_date_is_found():
    lines = a_file()
    at = next(f for f in metro2.BASE if f.name == "date_opened").start - 1
    lines[1] = lines[1][:at] + "13452025" + lines[1][at + 8 :]
    assert [(p.line, p.field) for p in metro2.metro2_validate(lines)] == [(2, "date_opened")]


def test_a_file_without_its_trailer_is_refused_and_a_stream_is_read_as_it_comes():
    lines = a_file()
    assert [(p.line, p.field) for p in metro2.metro2_validate(lines[:-1])] == [(5, "record_identifier")]
    assert [(p.line, p.field) for p in metro2.metro2_validate(lines[:1])] == [(1, "file")]
    assert metro2.metro2_validate(line for line in lines) == []
