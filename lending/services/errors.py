"""
LendingError, and the messages with which lending's payment rules refuse a
change (translated; the views and the intake show them to the user).
"""

from django.utils.translation import gettext_lazy as _

PAYMENT_CONFLICT = _("Payment {external_id} was already recorded with a different {field}.")
PAYMENT_EXTERNAL_ID_INVALID = _("A payment's external id must be 1 to 64 characters.")
PAYMENT_AMOUNT_INVALID = _("The amount must be more than 0.00, with at most two decimal places.")
PAYMENT_RECEIVED_AT_INVALID = _("The time received must be a date and time with its time zone.")
PAYMENT_CHANNEL_UNKNOWN = _("Unknown payment channel; use one of: {channels}.")
PAYMENT_ACCOUNT_UNKNOWN = _("No credit account has this external id.")
PAYMENT_ACCOUNT_CLOSED = _("The account is {status}: it takes no more payments.")
PAYMENT_DUPLICATE_IN_BATCH = _("This external id is already used by row {row_number} of the same batch.")
PAYMENT_ALREADY_REVERSED = _("This payment was already reversed.")
PAYMENT_REVERSAL_REASON_REQUIRED = _("Give a reason for the reversal (at most 200 characters).")
PAYMENT_CREDIT_USED = _(
    "The overpayment credit of this payment ({amount}) is no longer on the account; it cannot be reversed."
)


class LendingError(Exception):
    """A rule of the lending app refused the change; the message is for the user."""

    def __init__(self, message, *, field: str = ""):
        super().__init__(str(message))
        self.field = field
