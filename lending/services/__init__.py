"""
Every write lending knows about payments, each in one transaction with its
audit event, and the lender's calendar the rest of the project reads dates by.

What lives where:
- calendar.py: LENDER_TZ, lender_today, local_date (the lender's dates).
- errors.py:   LendingError and the messages of the payment rules.
- rules.py:    the checks one payment and a batch share (fields, account status,
               an external id recorded before with other data).
- payment.py:  payment_record, one payment recorded and allocated.
- batch.py:    payments_record_batch (the intake's fast path), its row and result
               types, and collector_paused.
- bulk.py:     the batch's set-based look-ups and writes (generic SQL in lending/sql.py).
- reversal.py: payment_reverse.
- marks.py:    phone_number_mark (a number not to be called, for any borrower).

The derived delinquency figures on the account (days past due, bucket,
overdue amounts) are the nightly run's: a payment changes installments, and
the next run (or `run_nightly --date`) shows its effect on the account.

Import from `lending.services`, not its modules: the names below are the API
(bench/import_payments.py swaps `lending.services.payments_record_batch`).
"""

from lending.services.batch import (
    PaymentBatchResult,
    PaymentRow,
    PaymentRowError,
    collector_paused,
    payments_record_batch,
)
from lending.services.calendar import LENDER_TZ, lender_today, local_date
from lending.services.errors import (
    PAYMENT_ACCOUNT_CLOSED,
    PAYMENT_ACCOUNT_UNKNOWN,
    PAYMENT_ALREADY_REVERSED,
    PAYMENT_AMOUNT_INVALID,
    PAYMENT_CHANNEL_UNKNOWN,
    PAYMENT_CONFLICT,
    PAYMENT_CREDIT_USED,
    PAYMENT_DUPLICATE_IN_BATCH,
    PAYMENT_EXTERNAL_ID_INVALID,
    PAYMENT_RECEIVED_AT_INVALID,
    PAYMENT_REVERSAL_REASON_REQUIRED,
    LendingError,
)
from lending.services.marks import phone_number_mark
from lending.services.payment import payment_record
from lending.services.reversal import payment_reverse
from lending.services.rules import CHANNELS, STATUSES_REFUSING_PAYMENTS

__all__ = [
    "CHANNELS",
    "LENDER_TZ",
    "PAYMENT_ACCOUNT_CLOSED",
    "PAYMENT_ACCOUNT_UNKNOWN",
    "PAYMENT_ALREADY_REVERSED",
    "PAYMENT_AMOUNT_INVALID",
    "PAYMENT_CHANNEL_UNKNOWN",
    "PAYMENT_CONFLICT",
    "PAYMENT_CREDIT_USED",
    "PAYMENT_DUPLICATE_IN_BATCH",
    "PAYMENT_EXTERNAL_ID_INVALID",
    "PAYMENT_RECEIVED_AT_INVALID",
    "PAYMENT_REVERSAL_REASON_REQUIRED",
    "STATUSES_REFUSING_PAYMENTS",
    "LendingError",
    "PaymentBatchResult",
    "PaymentRow",
    "PaymentRowError",
    "collector_paused",
    "lender_today",
    "local_date",
    "payment_record",
    "payment_reverse",
    "payments_record_batch",
    "phone_number_mark",
]
