"""
One case's past, as `_case_history` tells it: the case opening, calls
every few days with their outcomes, a third party asked where
the borrower is, promises (kept, partly kept or broken, decided from the
payments lending really holds: a kept one records its payment), and holds.
Hardship arrangements and field visits are collection.demo.deals'.
"""

import datetime
import random
import zoneinfo
from decimal import Decimal

from django.db.models import Sum

from collection import events
from collection.demo.deals import _field_visit, _hardship_arrangement
from collection.demo.rows import _History, _local_moment, _pick
from collection.demo.texts import CALL_OUTCOMES, NOT_CONNECTED
from collection.models import (
    AnsweredBy,
    Case,
    CaseStatus,
    Channel,
    ContactAttempt,
    Direction,
    Hold,
    HoldKind,
    LatenessReason,
    Outcome,
    PromiseStatus,
    PromiseToPay,
    Stage,
)
from lending.models import ContactPoint, Payment


def _paid_between(account_ids: list[int], start: datetime.datetime, end: datetime.datetime) -> Decimal:
    total = Payment.objects.filter(
        account_id__in=account_ids, received_at__gte=start, received_at__lt=end, status=Payment.Status.APPLIED
    ).aggregate(total=Sum("amount"))["total"] or Decimal("0.00")
    return total


def _demo_payment(case, *, amount, day, zone, rng, account_ids) -> None:
    """A payment in the app on `day`, on the case's account that has been overdue longest."""
    from lending.models import CreditAccount
    from lending.services import payment_record

    account = (
        CreditAccount.objects.filter(pk__in=account_ids)
        .order_by("oldest_unpaid_due_on", "id")
        .select_related("product")
        .first()
    )
    if account is None:
        return
    received_at = _local_moment(day, zone, rng, earliest=10, latest=21)
    payment_record(
        account=account,
        external_id=f"DEMO-PTP-{case.pk}-{received_at:%Y%m%d%H%M}",
        amount=amount,
        received_at=received_at,
        channel="app",
    )


def _case_history(case: Case, *, rng: random.Random, today: datetime.date, history: _History, staff: dict) -> None:
    borrower = case.borrower
    zone = borrower.time_zone or "Asia/Shanghai"
    collector = case.assigned_to or staff["collector"]
    points = list(borrower.contact_points.all())
    mobile = next((p for p in points if p.owner == ContactPoint.Owner.BORROWER and p.kind == "mobile"), None)
    third_party = next((p for p in points if p.owner == ContactPoint.Owner.THIRD_PARTY), None)
    account_ids = [membership.account_id for membership in case.case_accounts.all()]
    opened = case.opened_on
    start_day = max(opened, today - datetime.timedelta(days=120))

    history.event(
        case,
        events.case_opened(days_past_due=1, stage=Stage.EARLY, status=CaseStatus.OPEN),
        _local_moment(start_day, zone, rng, earliest=1, latest=2),
    )
    # Reminder messages are not written here: collection.reminders.demo sends them through the real
    # senders and the file backends (make demo → seed_demo_automation).

    # Calls every one to four days, most recent last.
    day = start_day + datetime.timedelta(days=rng.randint(3, 5))
    unanswered_in_a_row = 0
    promised_until = None
    while day < today and mobile is not None:
        at = _local_moment(day, zone, rng)
        outcome = _pick(rng, CALL_OUTCOMES)
        if promised_until and day <= promised_until:
            outcome = Outcome.NO_ANSWER if rng.random() < 0.5 else Outcome.RIGHT_PARTY_CONTACT
        answered = AnsweredBy.NOBODY if outcome in NOT_CONNECTED else AnsweredBy.BORROWER
        if outcome == Outcome.WRONG_NUMBER:
            answered = AnsweredBy.THIRD_PARTY
        contact = ContactAttempt(
            case=case,
            borrower=borrower,
            contact_point=mobile,
            channel=Channel.CALL,
            answered_by=answered,
            outcome=outcome,
            duration_seconds=0 if answered == AnsweredBy.NOBODY else rng.randint(40, 420),
            notes=history.notes.get(outcome, ""),
            occurred_at=at,
            actor=collector,
        )
        history.contacts.append(contact)
        history.contact_events.append(
            (
                contact,
                history.event(
                    case,
                    events.contact_logged(
                        channel=Channel.CALL,
                        direction=Direction.OUTBOUND,
                        answered_by=answered,
                        outcome=outcome,
                        duration_seconds=contact.duration_seconds,
                        contact_point=mobile,
                    ),
                    at,
                    actor=collector,
                    notes=contact.notes,
                ),
            )
        )
        unanswered_in_a_row = unanswered_in_a_row + 1 if answered == AnsweredBy.NOBODY else 0
        # Unreachable for a while: ask a third party where to find the borrower (never about the debt).
        if unanswered_in_a_row >= 4 and third_party is not None and rng.random() < 0.5:
            at_third = at + datetime.timedelta(minutes=rng.randint(5, 50))
            located = ContactAttempt(
                case=case,
                borrower=borrower,
                contact_point=third_party,
                channel=Channel.CALL,
                answered_by=AnsweredBy.THIRD_PARTY,
                outcome=Outcome.THIRD_PARTY_REACHED,
                duration_seconds=rng.randint(30, 120),
                notes=history.notes["third_party"],
                occurred_at=at_third,
                actor=collector,
            )
            history.contacts.append(located)
            history.contact_events.append(
                (
                    located,
                    history.event(
                        case,
                        events.contact_logged(
                            channel=Channel.CALL,
                            direction=Direction.OUTBOUND,
                            answered_by=AnsweredBy.THIRD_PARTY,
                            outcome=Outcome.THIRD_PARTY_REACHED,
                            duration_seconds=located.duration_seconds,
                            contact_point=third_party,
                        ),
                        at_third,
                        actor=collector,
                        notes=located.notes,
                    ),
                )
            )
            unanswered_in_a_row = 0
        if outcome == Outcome.PROMISED:
            due = day + datetime.timedelta(days=rng.randint(2, 7))
            amount = min(case.overdue_total, Decimal(rng.choice([300, 500, 800, 1000, 1500, 2000]))).quantize(
                Decimal("0.01")
            )
            if amount <= 0:
                amount = Decimal("100.00")
            promise = PromiseToPay(
                case=case,
                amount=amount,
                currency=case.currency,
                due_on=due,
                created_at=at,
                created_by=collector,
            )
            if due < today:
                # Some borrowers keep their word: the payment is recorded in lending, as the core system would.
                roll = rng.random()
                if roll < 0.35 or (roll < 0.5 and amount > Decimal("200.00")):
                    paying = amount if roll < 0.35 else (amount * Decimal("0.5")).quantize(Decimal("0.01"))
                    _demo_payment(case, amount=paying, day=due, zone=zone, rng=rng, account_ids=account_ids)
                end = datetime.datetime.combine(
                    due + datetime.timedelta(days=1), datetime.time(), zoneinfo.ZoneInfo(zone)
                )
                paid = _paid_between(account_ids, at, end)
                promise.paid_amount = min(paid, amount)
                promise.decided_on = due + datetime.timedelta(days=1)
                promise.status = (
                    PromiseStatus.KEPT
                    if paid >= amount
                    else PromiseStatus.PARTLY_KEPT
                    if paid > 0
                    else PromiseStatus.BROKEN
                )
            history.promises.append((promise, contact))
            history.event(
                case,
                events.promise_made(currency=case.currency, parts=[(amount, due)]),
                at + datetime.timedelta(seconds=30),
                actor=collector,
            )
            if promise.status != PromiseStatus.PENDING:
                decided_at = _local_moment(promise.decided_on, zone, rng, earliest=1, latest=2)
                history.event(
                    case,
                    events.promise_decided(
                        promise_id=None,
                        status=promise.status,
                        amount=amount,
                        paid=promise.paid_amount,
                        currency=case.currency,
                        due_on=due,
                    ),
                    decided_at,
                )
            promised_until = due
        if outcome == Outcome.CLAIMS_HARDSHIP and case.reason in (LatenessReason.LOST_INCOME, LatenessReason.ILLNESS):
            _hardship_arrangement(case, rng=rng, at=at, today=today, history=history, staff=staff, actor=collector)
        day += datetime.timedelta(days=rng.randint(2, 5))

    if case.reason == LatenessReason.DISPUTE_GOODS and rng.random() < 0.4:
        at = _local_moment(max(start_day, today - datetime.timedelta(days=rng.randint(1, 20))), zone, rng)
        history.holds.append(
            Hold(
                case=case,
                kind=HoldKind.DISPUTE,
                reason=history.notes["dispute"],
                started_at=at,
                started_by=collector,
                review_on=today + datetime.timedelta(days=rng.randint(3, 14)),
            )
        )
        history.event(
            case,
            events.hold_placed(hold_id=None, kind=HoldKind.DISPUTE, review_on=history.holds[-1].review_on),
            at,
            actor=collector,
            notes=history.holds[-1].reason,
        )
    elif rng.random() < 0.01:
        at = _local_moment(max(start_day, today - datetime.timedelta(days=rng.randint(1, 20))), zone, rng)
        history.holds.append(
            Hold(case=case, kind=HoldKind.CEASE_CONTACT, reason=history.notes["cease_contact"], started_at=at)
        )
        history.event(
            case, events.hold_placed(hold_id=None, kind=HoldKind.CEASE_CONTACT), at, notes=history.holds[-1].reason
        )

    if case.reason in (LatenessReason.LOST_INCOME, LatenessReason.ILLNESS) and rng.random() < 0.5:
        # A hardship claim of yesterday's call, most still waiting for the lead: the approval queue has work today.
        at = _local_moment(today - datetime.timedelta(days=1), zone, rng)
        _hardship_arrangement(case, rng=rng, at=at, today=today, history=history, staff=staff, actor=collector)

    if case.days_past_due > 45 and rng.random() < 0.3:
        _field_visit(case, rng=rng, today=today, history=history, staff=staff, zone=zone)
