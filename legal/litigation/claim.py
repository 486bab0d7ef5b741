"""
The claim a litigation file makes, computed from the accounts now in the case:
what is outstanding on every unpaid installment, by component, with the
penalty cut so that no installment claims more interest, fees and penalty than
the legal cap allows (lending.delinquency.charges_cap, the rule the nightly
accrual and the case page apply), and an estimate of the court fee (the
portfolio's LegalPolicy: a share of the claim, never below its minimum).

The same reading gives the referral checklist its balance and its "charges
within the cap" check (legal/litigation/referral.py).
"""

import datetime
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from collection.selectors.case_page import case_accounts
from lending.delinquency import charges_cap
from lending.models import Component
from lending.services import lender_today

ZERO = Decimal("0.00")
CENT = Decimal("0.01")


@dataclass(frozen=True)
class Claim:
    principal: Decimal
    interest: Decimal
    penalty: Decimal  # within the cap
    fees: Decimal
    total: Decimal
    court_fee_estimate: Decimal
    currency: str
    # Before the cap: what the accounts carry, the charges and the cap on them, and what the cap cut.
    balance: Decimal = ZERO
    charges: Decimal = ZERO
    cap: Decimal = ZERO
    over_cap: Decimal = ZERO


def court_fee_estimate(total: Decimal, policy) -> Decimal:
    fee = (total * policy.court_fee_rate).quantize(CENT, rounding=ROUND_HALF_UP)
    return max(fee, policy.court_fee_minimum) if total > 0 else ZERO


def claim_compute(case, today: datetime.date | None = None, *, policy=None) -> Claim:
    """The claim on `today` (the lender's today by default) under the case's portfolio's legal policy."""
    from legal.limitation import legal_policy_for

    today = today or lender_today()
    policy = policy or legal_policy_for(case.portfolio)
    principal = interest = fees = penalty = ZERO
    balance = charges_total = cap_total = over_cap = ZERO
    currency = ""
    for membership in case_accounts(case):
        if membership.left_on is not None:
            continue
        account = membership.account
        currency = currency or account.product.currency
        rate = account.product.charges_cap_annual_rate
        for installment in account.installments.all():
            if installment.paid_off_on is not None or installment.total_remaining <= 0:
                continue
            cap = charges_cap(installment, rate, today)
            charges = installment.interest_due + installment.fee_due + installment.penalty_accrued
            excess = max(charges - cap, ZERO)
            owed_penalty = installment.remaining(Component.PENALTY)
            principal += installment.remaining(Component.PRINCIPAL)
            interest += installment.remaining(Component.INTEREST)
            fees += installment.remaining(Component.FEE)
            # What is over the cap comes off the penalty: interest and fees are the contract's price,
            # the penalty is the charge a court reduces first.
            penalty += max(owed_penalty - excess, ZERO)
            balance += installment.total_remaining
            charges_total += charges
            cap_total += cap
            over_cap += excess
    total = principal + interest + fees + penalty
    return Claim(
        principal=principal,
        interest=interest,
        penalty=penalty,
        fees=fees,
        total=total,
        court_fee_estimate=court_fee_estimate(total, policy),
        currency=currency or "CNY",
        balance=balance,
        charges=charges_total,
        cap=cap_total,
        over_cap=over_cap,
    )
