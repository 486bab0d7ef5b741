"""A month's bureau rows from the month-end snapshots, the files and the command."""

import datetime
from decimal import Decimal

import pytest
from django.core.management import CommandError, call_command

from collection.models import CaseAccount, HoldKind, Stage
from lending.models import CreditAccount, DelinquencySnapshot
from portfolio.bureau import metro2
from portfolio.bureau.cn_report import COLUMNS
from portfolio.bureau.files import cn_write, metro2_write
from portfolio.bureau.source import month_rows
from tests.collection.agencies.factories import AgencyFactory
from tests.collection.factories import CaseFactory, HoldFactory
from tests.lending.factories import BorrowerFactory, CreditAccountFactory

pytestmark = pytest.mark.django_db

MONTH_ENDS = [datetime.date(2026, m, d) for m, d in ((1, 31), (2, 28), (3, 31), (4, 30), (5, 31))]


def snapshot(account, on, days, *, balance="6075.40", overdue="1000.99", month_end=True):
    return DelinquencySnapshot.objects.create(
        account=account, snapshot_date=on, is_month_end=month_end, days_past_due=days, bucket="M?",
        overdue_principal=Decimal(overdue), overdue_interest=Decimal("12.50"), overdue_fees=0, overdue_penalty=0,
        outstanding_balance=Decimal(balance),
    )  # fmt: skip


def history_account(external_id, days_by_month, **fields):
    account = CreditAccountFactory(external_id=external_id, opened_on=datetime.date(2026, 1, 10), **fields)
    for on, days in zip(MONTH_ENDS, days_by_month, strict=True):
        if days is not None:
            snapshot(account, on, days)
    return account


@pytest.fixture
def book():
    late = history_account("A-LATE", [0, 10, 35, 65, 95])
    history_account("A-GAP", [0, None, 0, 0, 0])
    charged = history_account("A-CO", [100, 130, 160, 190, 220], status=CreditAccount.Status.CHARGED_OFF)
    placed = history_account("A-PLACED", [0, 0, 31, 61, 91])
    case = CaseFactory(borrower=placed.borrower, stage=Stage.AGENCY, agency=AgencyFactory())
    CaseAccount.objects.create(case=case, account=placed, joined_on=datetime.date(2026, 3, 1))
    disputed = history_account("A-DISPUTE", [0, 0, 0, 0, 40])
    case = CaseFactory(borrower=disputed.borrower)
    CaseAccount.objects.create(case=case, account=disputed, joined_on=datetime.date(2026, 5, 1))
    HoldFactory(case=case, kind=HoldKind.DISPUTE, started_at=datetime.datetime(2026, 5, 10, tzinfo=datetime.UTC))
    resolved = history_account("A-RESOLVED", [0, 0, 0, 0, 40])
    case = CaseFactory(borrower=resolved.borrower)
    CaseAccount.objects.create(case=case, account=resolved, joined_on=datetime.date(2026, 5, 1))
    HoldFactory(
        case=case, kind=HoldKind.DISPUTE, started_at=datetime.datetime(2026, 4, 10, tzinfo=datetime.UTC),
        released_at=datetime.datetime(2026, 5, 20, tzinfo=datetime.UTC),
    )  # fmt: skip
    # Not in May's file: no month-end snapshot in May (only a mid-month one).
    other = CreditAccountFactory(external_id="A-OTHER")
    snapshot(other, datetime.date(2026, 5, 15), 20, month_end=False)
    return {"late": late, "charged": charged}


def test_the_months_rows_carry_their_history_in_a_fixed_number_of_queries(book, django_assert_max_num_queries):
    with django_assert_max_num_queries(5):
        rows = {row["external_id"]: row for row in month_rows("2026-05")}
    assert set(rows) == {"A-LATE", "A-GAP", "A-CO", "A-PLACED", "A-DISPUTE", "A-RESOLVED"}
    late = rows["A-LATE"]
    assert late["days_past_due"] == 95
    assert [month["days_past_due"] for month in late["history"][:4]] == [65, 35, 10, 0]
    assert late["history"][4:] == ["B"] * 19  # before it opened in January
    assert rows["A-GAP"]["history"][:4][2] == "D"  # February had no snapshot
    assert rows["A-PLACED"]["placed"] and not late["placed"]
    assert rows["A-DISPUTE"]["dispute_open"] and not rows["A-DISPUTE"]["dispute_resolved"]
    assert rows["A-RESOLVED"]["dispute_resolved"] and not rows["A-RESOLVED"]["dispute_open"]
    assert late["overdue_total"] == Decimal("1013.49")


def read_bases(path):
    with open(path, encoding="utf-8") as file:
        lines = [line.rstrip("\n") for line in file]
    return lines, {line[42:72].strip(): line for line in lines[1:-1]}


def field(line, name):
    found = next(f for f in metro2.BASE if f.name == name)
    return line[found.start - 1 : found.end]


def test_the_metro2_file_of_the_month_validates_with_codes_from_the_snapshots(book, tmp_path):
    path = tmp_path / "may.txt"
    count, problems = metro2_write(path, month="2026-05")
    assert (count, problems) == (6, [])
    lines, bases = read_bases(path)
    assert all(len(line) == 426 for line in lines)
    assert field(bases["A-LATE"], "account_status") == "80"  # 95 days
    assert field(bases["A-LATE"], "payment_history_profile") == "32100" + "B" * 19
    assert field(bases["A-LATE"], "current_balance") == "000006075"  # truncated, not rounded
    assert field(bases["A-LATE"], "amount_past_due") == "000001013"
    assert field(bases["A-LATE"], "date_of_first_delinquency") == "02252026"  # May 31 less 95 days
    assert field(bases["A-GAP"], "payment_history_profile") == "000D0" + "B" * 19
    assert field(bases["A-CO"], "account_status") == "97"
    assert field(bases["A-CO"], "payment_history_profile").startswith("L")
    assert field(bases["A-PLACED"], "account_status") == "93"
    assert field(bases["A-DISPUTE"], "compliance_condition_code") == "XB"
    assert field(bases["A-RESOLVED"], "compliance_condition_code") == "XH"
    assert field(bases["A-LATE"], "compliance_condition_code") == "  "
    trailer = lines[-1]
    at = next(f for f in metro2.TRAILER if f.name == "total_base_records").start - 1
    assert trailer[at : at + 9] == "000000006"


def test_the_cn_csv_has_the_five_level_class_and_the_bands(book, tmp_path):
    path = tmp_path / "may.csv"
    assert cn_write(path, month="2026-05") == 6
    text = path.read_text(encoding="utf-8-sig")
    lines = text.splitlines()
    assert lines[0].split(",") == list(COLUMNS)
    rows = {line.split(",")[1]: dict(zip(COLUMNS, line.split(","), strict=True)) for line in lines[1:]}
    late = rows["A-LATE"]
    assert (late["account_status"], late["five_level_class"], late["five_level_label"]) == ("2", "3", "次级")
    assert (late["repayment_status"], late["overdue_periods"]) == ("4", "4")
    assert late["overdue_principal_91_180"] == "1000.99"
    assert late["overdue_principal_31_60"] == "0.00"
    charged = rows["A-CO"]
    assert (charged["account_status"], charged["five_level_label"], charged["repayment_status"]) == ("4", "损失", "B")
    assert rows["A-GAP"]["five_level_label"] == "正常"


def test_a_formula_in_a_name_is_written_as_text(tmp_path):
    account = CreditAccountFactory(external_id="A-F", borrower=BorrowerFactory(name="=HYPERLINK(1)"))
    snapshot(account, datetime.date(2026, 5, 31), 0)
    path = tmp_path / "may.csv"
    cn_write(path, month="2026-05")
    assert "'=HYPERLINK(1)" in path.read_text(encoding="utf-8-sig")


def test_the_command_writes_and_validates(book, tmp_path, capsys):
    path = tmp_path / "may.txt"
    call_command("bureau_file", "--month", "2026-05", "--format", "metro2", "--output", str(path))
    assert "6 base segments" in capsys.readouterr().out
    assert metro2.metro2_validate(path.read_text().splitlines()) == []
    call_command("bureau_file", "--month", "2026-05", "--format", "cn", "--output", str(tmp_path / "may.csv"))
    assert "6 account records" in capsys.readouterr().out
    with pytest.raises(CommandError, match="YYYY-MM"):
        call_command("bureau_file", "--month", "2026-13", "--output", str(path))
