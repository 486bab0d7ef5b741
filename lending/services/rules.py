"""
What makes a payment acceptable, checked the same way for one payment
(payment.py) and for a batch (batch.py): its fields, its account's status,
and whether an already recorded payment with its external id agrees with it.
"""

from datetime import datetime

from django.utils import timezone

from lending.allocation import is_positive_amount
from lending.models import CreditAccount, Payment
from lending.services.errors import (
    PAYMENT_ACCOUNT_CLOSED,
    PAYMENT_AMOUNT_INVALID,
    PAYMENT_CHANNEL_UNKNOWN,
    PAYMENT_EXTERNAL_ID_INVALID,
    PAYMENT_RECEIVED_AT_INVALID,
)

# Accounts that take no more payments: closed ones are settled, sold ones
# belong to the buyer. A charged-off account still takes recoveries.
STATUSES_REFUSING_PAYMENTS = frozenset({CreditAccount.Status.CLOSED, CreditAccount.Status.SOLD})
CHANNELS = frozenset(Payment.Channel.values)


def payment_fields_problems(*, external_id, amount, received_at, channel) -> list[tuple[str, str]]:
    """(field, message) for every field of a payment that breaks a rule."""
    problems = []
    if not isinstance(external_id, str) or not 0 < len(external_id.strip()) <= 64 or external_id != external_id.strip():
        problems.append(("external_id", str(PAYMENT_EXTERNAL_ID_INVALID)))
    if not is_positive_amount(amount):
        problems.append(("amount", str(PAYMENT_AMOUNT_INVALID)))
    if not isinstance(received_at, datetime) or timezone.is_naive(received_at):
        problems.append(("received_at", str(PAYMENT_RECEIVED_AT_INVALID)))
    if channel not in CHANNELS:
        problems.append(("channel", str(PAYMENT_CHANNEL_UNKNOWN).format(channels=", ".join(Payment.Channel.values))))
    return problems


def account_problem(status: str) -> str | None:
    """Why an account of this status takes no payment, or None when it takes them."""
    if status in STATUSES_REFUSING_PAYMENTS:
        return str(PAYMENT_ACCOUNT_CLOSED).format(status=CreditAccount.Status(status).label)
    return None


def conflicting_field(existing: tuple, *, account_id, amount, received_at, channel) -> str | None:
    """
    The first field in which an already recorded payment, (account id,
    amount, received at, channel), differs from a new one with its external id.
    """
    recorded_account_id, recorded_amount, recorded_received_at, recorded_channel = existing
    if recorded_account_id != account_id:
        return "account"
    if recorded_amount != amount:
        return "amount"
    if recorded_received_at != received_at:
        return "received_at"
    if recorded_channel != channel:
        return "channel"
    return None
