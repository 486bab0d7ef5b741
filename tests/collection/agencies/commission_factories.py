"""
Payments on placed cases for the commission and statement tests: a placement
at a chosen moment, a payment recorded (and reversed) through lending's
services, a recall at a chosen moment.
"""

import datetime
import itertools
from decimal import Decimal

from lending.models import Payment
from lending.services.payment import payment_record
from lending.services.reversal import payment_reverse
from tests.collection.agencies.factories import placed_case

_numbers = itertools.count(1)


def placed_at(moment: datetime.datetime, **kwargs):
    """A case placed (placed_case) at `moment`: placed_on is its date in the lender's time zone."""
    from lending.services.calendar import local_date

    placement = placed_case(placed_on=local_date(moment), **kwargs)
    placement.placed_at = moment
    placement.save(update_fields=["placed_at"])
    return placement


def account_of(placement):
    return placement.case.case_accounts.get().account


def paid(placement, amount, at: datetime.datetime, *, channel=Payment.Channel.APP, account=None) -> Payment:
    """A payment of `amount` on the placed case's account, received at `at`."""
    payment, _created = payment_record(
        account=account or account_of(placement),
        external_id=f"PAY-{next(_numbers):06d}",
        amount=Decimal(amount),
        received_at=at,
        channel=channel,
    )
    return payment


def reversed_at(payment: Payment, at: datetime.datetime) -> Payment:
    """The payment reversed, its reversal dated `at`."""
    payment_reverse(payment=payment, reason="Bounced")
    Payment.objects.filter(pk=payment.pk).update(reversed_at=at)
    payment.refresh_from_db()
    return payment


def recalled(placement, at: datetime.datetime):
    """The placement recalled at `at` (as the recall service leaves it: the case back, no agency)."""
    from collection.models import PlacementStatus, RecallReason
    from lending.services.calendar import local_date

    placement.status = PlacementStatus.RECALLED
    placement.recalled_at = at
    placement.recalled_on = local_date(at)
    placement.recall_reason = RecallReason.MANUAL
    placement.save(update_fields=["status", "recalled_at", "recalled_on", "recall_reason"])
    case = placement.case
    case.stage, case.agency = placement.stage_before, None
    case.save(update_fields=["stage", "agency"])
    return placement
