"""
A month's bureau file written from portfolio.bureau.source's rows: Metro 2
(`metro2_write`) or the Chinese interface's CSV (`cn_write`), each validated
or counted as it is written.
"""

import datetime
from collections.abc import Iterable, Iterator, Mapping

from django.utils import timezone

from portfolio.bureau import metro2
from portfolio.bureau.cn_report import cn_lines
from portfolio.bureau.source import month_bounds, month_rows

# lending's CreditAccount.status → Metro 2 account state
_STATES = {
    "active": metro2.AccountState.OPEN,
    "frozen": metro2.AccountState.OPEN,
    "closed": metro2.AccountState.CLOSED,
    "charged_off": metro2.AccountState.CHARGED_OFF,
    "sold": metro2.AccountState.TRANSFERRED,
}
# lending's CreditProduct.kind → Metro 2 account type (CRRG: 18 credit card, 07 charge account, 01 unsecured)
_ACCOUNT_TYPES = {"revolving": "18", "installment": "07", "cash_loan": "01"}


def account_state(row: Mapping) -> metro2.AccountState:
    state = _STATES.get(row["account_status"], metro2.AccountState.OPEN)
    if state == metro2.AccountState.OPEN and row.get("placed"):
        return metro2.AccountState.COLLECTION
    return state


def base_values(row: Mapping, *, identification: str, cycle: str = "") -> dict:
    """The base segment's fields for one source row."""
    state = account_state(row)
    days = row["days_past_due"]
    balance = row["outstanding_balance"]
    status = metro2.account_status_code(days_past_due=days, state=state, balance=balance)
    as_of: datetime.date = row["snapshot_date"]
    first_delinquency = as_of - datetime.timedelta(days=days) if days >= 30 else None
    charged_off = state == metro2.AccountState.CHARGED_OFF
    return {
        "time_stamp": as_of.strftime("%m%d%Y") + "000000",
        "identification_number": identification,
        "cycle_identifier": cycle,
        "consumer_account_number": row["external_id"],
        "portfolio_type": "R" if row["product_kind"] == "revolving" else "I",
        "account_type": _ACCOUNT_TYPES.get(row["product_kind"], "01"),
        "date_opened": row["opened_on"],
        "credit_limit": metro2.whole_units(row["credit_limit"]),
        "highest_credit": metro2.whole_units(row["credit_limit"]),
        "terms_duration": "REV" if row["product_kind"] == "revolving" else "",
        "terms_frequency": "M",
        "account_status": status,
        "payment_rating": metro2.payment_rating(status_code=status, days_past_due=days, state=state),
        "payment_history_profile": metro2.history_profile(
            [{"days_past_due": days, "balance": balance, "state": state}, *row["history"]]
        ),
        "compliance_condition_code": metro2.compliance_condition_code(
            dispute_open=row.get("dispute_open", False), dispute_resolved=row.get("dispute_resolved", False)
        ),
        "current_balance": metro2.whole_units(balance),
        "amount_past_due": metro2.whole_units(row["overdue_total"]),
        "original_charge_off_amount": metro2.whole_units(balance) if charged_off else 0,
        "date_of_account_information": as_of,
        "date_of_first_delinquency": first_delinquency,
        "surname": row["borrower_name"],
        "date_of_birth": row["date_of_birth"],
        "ecoa_code": "1",  # individual
        "country_code": "CN",
        "city": row["city"],
        "state": "",
    }


def metro2_lines_for(rows: Iterable[Mapping], *, month: str, reporter: str, identification: str) -> Iterator[str]:
    first, after = month_bounds(month)
    header = metro2.header_record(
        activity_date=after - datetime.timedelta(days=1),
        created=timezone.localdate(),
        reporter=reporter,
        equifax_program_identifier=identification,
    )
    bases = (metro2.base_record(base_values(row, identification=identification)) for row in rows)
    return metro2.metro2_lines(header, bases)


def metro2_write(path, *, month: str, reporter: str = "Arrears", identification: str = "") -> tuple[int, list]:
    """Write the month's Metro 2 file to `path` and validate it; return (base records, problems)."""
    with open(path, "w", encoding="utf-8", newline="") as file:
        lines = metro2_lines_for(month_rows(month), month=month, reporter=reporter, identification=identification)
        file.writelines(lines)
    lines = 0

    def counted(file):
        nonlocal lines
        for line in file:
            lines += 1
            yield line

    with open(path, encoding="utf-8", newline="") as file:
        problems = metro2.metro2_validate(counted(file))
    return lines - 2, problems


def cn_write(path, *, month: str) -> int:
    """Write the month's CSV for the Chinese interface to `path`; return the account records written."""
    count = 0
    with open(path, "w", encoding="utf-8", newline="") as file:
        for line in cn_lines(month_rows(month), month=month):
            file.write(line)
            count += 1
    return count - 2  # the BOM and the header
