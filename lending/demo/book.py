"""
The demo book's fixed terms, which the generator draws against: its products
(rates, fees, caps, the terms a purchase or loan is split into), the risk
grades with their arrears chances, incomes and credit limits, how deep arrears
run, borrowers' payment habits, the relations of their contacts, and the
reasons for lateness (`lateness_reason`, a pure function of an account's id).
"""

import hashlib
from dataclasses import dataclass

ZERO = "0.00"


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
