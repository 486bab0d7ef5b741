"""
Promises to pay: the borrower's word that this much will be paid by that
day, or a short series of such parts. Whether a promise was kept, partly
kept or broken is decided nightly from the payments (collection/lifecycle/promises.py);
here they are only recorded.

A new promise (or series) replaces the promises still pending on the case:
those are cancelled, so that one borrower never has two overlapping words
that the nightly run would judge twice.
"""

import datetime
from collections.abc import Sequence
from datetime import timedelta
from decimal import Decimal

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.services import audit_record
from collection import events
from collection.errors import CollectionError
from collection.models import Case, ContactAttempt, PromiseStatus, PromiseToPay
from collection.services.cases import case_status_refresh
from collection.services.timeline import event_record
from lending.allocation import is_positive_amount
from lending.services import LENDER_TZ, lender_today

PROMISE_CASE_CLOSED = _("The case is closed: it takes no more promises.")
PROMISE_AMOUNT_INVALID = _("The amount must be more than 0.00, with at most two decimal places.")
PROMISE_DATE_OUT_OF_RANGE = _("The date must be between today and {last} ({days} days from today).")
PROMISE_CURRENCY_MISMATCH = _("This case is in {case_currency}; a promise in {currency} cannot be recorded on it.")
PROMISE_MORE_THAN_BALANCE = _("{amount} is more than the outstanding balance of {balance}.")
PROMISE_SERIES_SIZE = _("A series has from 2 to {most} parts.")
PROMISE_SERIES_ORDER = _("Each part must fall due after the one before it.")
PROMISE_CONTACT_OTHER_CASE = _("That contact belongs to another case.")

PROMISE_HORIZON_DAYS = 60
PROMISE_SERIES_MOST_PARTS = 6
# The case comes back to the queue the morning after a promise falls due, to see whether it was kept.
NEXT_ACTION_HOUR = 9


def promise_last_day(today: datetime.date | None = None) -> datetime.date:
    return (today or lender_today()) + timedelta(days=PROMISE_HORIZON_DAYS)


def _amount_check(amount, field: str) -> None:
    if not is_positive_amount(amount):
        raise CollectionError(PROMISE_AMOUNT_INVALID, field=field)


def _date_check(due_on, today: datetime.date, field: str) -> None:
    last = promise_last_day(today)
    if not isinstance(due_on, datetime.date) or not today <= due_on <= last:
        raise CollectionError(PROMISE_DATE_OUT_OF_RANGE.format(last=last, days=PROMISE_HORIZON_DAYS), field=field)


def _parts_validate(*, case: Case, parts, currency, contact) -> list[tuple[Decimal, datetime.date]]:
    if case.is_closed:
        raise CollectionError(PROMISE_CASE_CLOSED)
    if currency is not None and currency != case.currency:
        raise CollectionError(PROMISE_CURRENCY_MISMATCH.format(case_currency=case.currency, currency=currency))
    if contact is not None and contact.case_id != case.pk:
        raise CollectionError(PROMISE_CONTACT_OTHER_CASE)
    today = lender_today()
    # Errors name the form's fields: the first part is "amount"/"due_on", the next "amount_2"/"due_on_2" ...
    for index, (amount, due_on) in enumerate(parts, start=1):
        _amount_check(amount, "amount" if index == 1 else f"amount_{index}")
        _date_check(due_on, today, "due_on" if index == 1 else f"due_on_{index}")
    for index in range(1, len(parts)):
        if parts[index][1] <= parts[index - 1][1]:
            raise CollectionError(PROMISE_SERIES_ORDER, field=f"due_on_{index + 1}")
    total = sum((amount for amount, _due in parts), Decimal("0.00"))
    if case.outstanding_balance > 0 and total > case.outstanding_balance:
        raise CollectionError(
            PROMISE_MORE_THAN_BALANCE.format(
                amount=f"{total} {case.currency}", balance=f"{case.outstanding_balance} {case.currency}"
            ),
            field="amount" if len(parts) == 1 else "",
        )
    return [(amount, due_on) for amount, due_on in parts]


def _promises_create(*, case: Case, parts, actor, contact) -> list[PromiseToPay]:
    now = timezone.now()
    today = lender_today()
    # Two collectors recording promises on one case at once: the second waits, then replaces the first's.
    Case.objects.select_for_update().filter(pk=case.pk).values_list("pk").first()
    replaced = list(case.promises.filter(status=PromiseStatus.PENDING).values_list("pk", flat=True))
    if replaced:
        PromiseToPay.objects.filter(pk__in=replaced, status=PromiseStatus.PENDING).update(
            status=PromiseStatus.CANCELLED, decided_on=today
        )
        for pk in replaced:
            audit_record(
                action="collection.promise.cancelled",
                target=case,
                actor=actor,
                data={"promise_id": pk, "why": "replaced"},
            )
    promises = [
        PromiseToPay(
            case=case,
            amount=amount,
            currency=case.currency,
            due_on=due_on,
            contact=contact,
            created_at=now,
            created_by=actor,
        )
        for amount, due_on in parts
    ]
    for promise in promises:
        promise.save()
    first_due = promises[0].due_on
    case.promise_due_on = first_due
    case.next_action_at = datetime.datetime.combine(
        first_due + timedelta(days=1), datetime.time(NEXT_ACTION_HOUR), tzinfo=LENDER_TZ
    )
    case.save(update_fields=["promise_due_on", "next_action_at", "updated_at"])
    facts = events.promise_made(
        currency=case.currency,
        parts=[(promise.amount, promise.due_on) for promise in promises],
        promise_ids=[promise.pk for promise in promises],
        replaced=replaced,
        contact_id=contact.pk if contact is not None else None,
    )
    event_record(case=case, facts=facts, actor=actor)
    for promise in promises:
        audit_record(
            action="collection.promise.recorded",
            target=promise,
            actor=actor,
            data={
                "case_id": case.pk,
                "amount": str(promise.amount),
                "currency": promise.currency,
                "due_on": promise.due_on.isoformat(),
            },
        )
    case_status_refresh(case=case, actor=actor)
    return promises


@transaction.atomic
def promise_record(
    *,
    case: Case,
    amount: Decimal,
    due_on: datetime.date,
    actor,
    contact: ContactAttempt | None = None,
    currency: str | None = None,
) -> PromiseToPay:
    """One promise: `amount` (in the case's currency) by `due_on`, today to 60 days ahead."""
    parts = _parts_validate(case=case, parts=[(amount, due_on)], currency=currency, contact=contact)
    return _promises_create(case=case, parts=parts, actor=actor, contact=contact)[0]


@transaction.atomic
def promise_series_record(
    *,
    case: Case,
    parts: Sequence[tuple[Decimal, datetime.date]],
    actor,
    contact: ContactAttempt | None = None,
    currency: str | None = None,
) -> list[PromiseToPay]:
    """A short series: 2 to 6 (amount, date) parts, dates rising, each today to 60 days ahead."""
    parts = list(parts)
    if not 2 <= len(parts) <= PROMISE_SERIES_MOST_PARTS:
        raise CollectionError(PROMISE_SERIES_SIZE.format(most=PROMISE_SERIES_MOST_PARTS))
    parts = _parts_validate(case=case, parts=parts, currency=currency, contact=contact)
    return _promises_create(case=case, parts=parts, actor=actor, contact=contact)
