"""
The CSV layout for the Chinese credit-reporting interface (征信, the People's
Bank of China's credit reference centre): one loan account record per account
and month, with its monthly performance.

Columns (`COLUMNS`, in order): the account and borrower, then the month's
performance — account status (账户状态), balance (余额), the five-level
classification (五级分类) derived from days past due, the repayment status
(当前还款状态), the overdue periods (当前逾期期数) and the overdue amount, and
the overdue principal by band (逾期31–60天、61–90天、91–180天、180天以上未还本金).

Written through `documents.exports.csv_lines` (formula-safe: a name
beginning with `=` is written as text, never as a formula).
"""

from collections.abc import Iterable, Iterator, Mapping
from decimal import Decimal

from documents.exports import csv_lines

# 账户状态 (loan account status)
STATUS_NORMAL = "1"  # 正常
STATUS_OVERDUE = "2"  # 逾期
STATUS_SETTLED = "3"  # 结清
STATUS_BAD_DEBT = "4"  # 呆账
STATUS_TRANSFERRED = "5"  # 转出
ACCOUNT_STATUS_LABELS = {"1": "正常", "2": "逾期", "3": "结清", "4": "呆账", "5": "转出"}

# 五级分类: the lowest class days past due allow, after the Measures for the Risk Classification of
# Financial Assets of Commercial Banks (商业银行金融资产风险分类办法, 2023, art. 11): any overdue at
# least 关注; over 90 days at least 次级; over 270 days at least 可疑; over 360 days 损失.
FIVE_LEVEL = ((361, "5", "损失"), (271, "4", "可疑"), (91, "3", "次级"), (1, "2", "关注"), (0, "1", "正常"))


def five_level_class(days_past_due: int, *, charged_off: bool = False) -> tuple[str, str]:
    """
    (code, label) of the five-level classification: 0 days → 1 正常, 1–90 →
    2 关注, 91–270 → 3 次级, 271–360 → 4 可疑, 361+ → 5 损失; a charged-off
    account is 5 损失 whatever its days.
    """
    if charged_off:
        return "5", "损失"
    for days, code, label in FIVE_LEVEL:
        if days_past_due >= days:
            return code, label
    return "1", "正常"


def overdue_periods(days_past_due: int) -> int:
    """当前逾期期数: the months overdue, one per started 30 days (1–30 days: 1)."""
    return (days_past_due + 29) // 30 if days_past_due > 0 else 0


def repayment_status(*, days_past_due: int, account_status: str) -> str:
    """
    当前还款状态: N paid as agreed, 1–7 the overdue periods (7: seven or more),
    C settled, B bad debt, G transferred (ended otherwise).
    """
    if account_status == STATUS_SETTLED:
        return "C"
    if account_status == STATUS_BAD_DEBT:
        return "B"
    if account_status == STATUS_TRANSFERRED:
        return "G"
    periods = overdue_periods(days_past_due)
    return str(min(periods, 7)) if periods else "N"


def account_status(*, state: str, days_past_due: int, balance) -> str:
    """账户状态 from the account's state (lending's CreditAccount.status) and days past due."""
    if state == "sold":
        return STATUS_TRANSFERRED
    if state == "charged_off":
        return STATUS_BAD_DEBT
    if state == "closed" or Decimal(balance or 0) <= 0 and days_past_due == 0:
        return STATUS_SETTLED
    return STATUS_OVERDUE if days_past_due > 0 else STATUS_NORMAL


BANDS = (("31_60", 31, 60), ("61_90", 61, 90), ("91_180", 91, 180), ("180_plus", 181, None))


def overdue_by_band(days_past_due: int, overdue_principal) -> dict[str, Decimal]:
    """
    The overdue principal in its band of days past due (31–60, 61–90, 91–180,
    180+); the other bands 0. From a month-end snapshot the whole overdue
    principal is counted at the account's days (the age of its oldest unpaid
    installment): the split by installment is not built yet.
    """
    amounts = {name: Decimal("0.00") for name, _low, _high in BANDS}
    for name, low, high in BANDS:
        if days_past_due >= low and (high is None or days_past_due <= high):
            amounts[name] = Decimal(overdue_principal or 0)
    return amounts


COLUMNS = (
    "report_month", "account_number", "borrower_name", "id_number", "product_kind", "currency",
    "opened_on", "credit_limit", "account_status", "balance", "five_level_class", "five_level_label",
    "repayment_status", "overdue_periods", "days_past_due", "overdue_amount",
    "overdue_principal_31_60", "overdue_principal_61_90", "overdue_principal_91_180", "overdue_principal_180_plus",
)  # fmt: skip


def cn_row(row: Mapping, *, month: str) -> list:
    """One CSV row (`COLUMNS`) from a source row (portfolio.bureau.source)."""
    days = row["days_past_due"]
    status = account_status(state=row["account_status"], days_past_due=days, balance=row["outstanding_balance"])
    level, label = five_level_class(days, charged_off=status == STATUS_BAD_DEBT)
    bands = overdue_by_band(days, row["overdue_principal"])
    return [
        month, row["external_id"], row["borrower_name"], row["national_id"], row["product_kind"], row["currency"],
        row["opened_on"].isoformat(), Decimal(row["credit_limit"]), status, Decimal(row["outstanding_balance"]),
        level, label, repayment_status(days_past_due=days, account_status=status), overdue_periods(days), days,
        Decimal(row["overdue_total"]), *(bands[name] for name, _low, _high in BANDS),
    ]  # fmt: skip


def cn_lines(rows: Iterable[Mapping], *, month: str) -> Iterator[str]:
    """The CSV file, header first, one line at a time (UTF-8 with a BOM: Excel reads the Chinese names)."""
    return csv_lines((cn_row(row, month=month) for row in rows), header=COLUMNS, bom=True)
