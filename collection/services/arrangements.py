"""
Arrangements: the deals a collector makes with a borrower, and who may grant them.

Four kinds, each recorded as an Arrangement with its installments (the dates
and amounts the borrower now owes under the deal):

- **repayment plan**: a new schedule of (date, amount) rows. It must pay at
  least what is overdue and at most the outstanding balance, so it concedes
  nothing (concession 0); to forgive part of the debt, propose a settlement or
  a waiver.
- **settlement**: a discounted lump sum by a date; it settles the whole
  outstanding balance, so the concession is the balance less the lump sum.
- **due-date extension**: a new date for the overdue amount (one installment).
  The lender gives up the penalty that would accrue on the overdue principal
  until then, so that estimate (daily penalty rate × overdue principal × days,
  per account) is the concession, counted as penalty waived.
- **fee or penalty waiver**: amounts of penalty, fees and interest waived, each
  no more than is outstanding on the case's accounts (concession = their sum),
  on condition that what stays overdue after the waiver is paid by a date (one
  installment).

"The balance" is what is outstanding on the accounts now in the case, read
from lending's installments (principal, interest, fees and penalty not yet
paid); the overdue amount is the part of it due before today.

Approval limits (APPROVAL_LIMITS, by role, measured against the concession):
a collector may concede penalty only (penalty waivers and extensions), a team
lead additionally any concession up to 20% of the balance, a manager any
concession. Within the proposer's limit an arrangement is active at once;
over it, it waits in the approval queue for someone whose limit covers it.
Roles not in the table (administrators, legal officers, field agents) grant
nothing.

A case has at most one open arrangement (waiting for approval or active): a
second proposal is refused until the first is decided, cancelled or ended
(a database constraint backs the rule).

Lending stays read-only to collection: an arrangement records the deal, it does
not change lending's installments. Pushing waivers and new schedules to the
core system is a later issue. The nightly lifecycle tracks the installments
created here (status `due`) as paid or missed, and breaks or completes the
arrangement.
"""

import datetime
from collections.abc import Iterable
from decimal import Decimal

from django.db import IntegrityError, transaction
from django.utils import timezone

from accounts.permissions import Capability, user_can
from accounts.services import audit_record
from collection import events
from collection.errors import CollectionError
from collection.models import (
    Arrangement,
    ArrangementInstallment,
    ArrangementKind,
    ArrangementStatus,
    Case,
    CaseStatus,
)
from collection.services.arrangement_rules import (  # re-exported: callers import them from here too
    ALREADY_OPEN,
    CASE_CLOSED,
    KIND_UNKNOWN,
    NOT_AN_APPROVER,
    NOT_OPEN,
    NOT_PENDING,
    NOTHING_OWED,
    OVER_YOUR_LIMIT,
    OWN_REQUEST,
    REJECTION_NEEDS_NOTE,
    ZERO,
    arrangement_within_limit,
    case_balance,
    extension_terms,
    plan_terms,
    settlement_terms,
    waiver_terms,
    within_limit,
)
from collection.services.cases import case_status_refresh
from collection.services.timeline import event_record
from lending.services import lender_today


def _event(
    arrangement: Arrangement,
    action: str,
    *,
    actor,
    notes: str = "",
    installments: int | None = None,
    dates_moved_days: int = 0,
):
    facts = events.arrangement_changed(
        arrangement, action, installments=installments, dates_moved_days=dates_moved_days
    )
    event_record(case=arrangement.case, facts=facts, actor=actor, notes=notes)
    audit_record(action=f"collection.arrangement.{action}", target=arrangement, actor=actor, data=facts.data)


def _lock_case(case: Case) -> Case:
    """Lock the case row so that two proposals on one case queue up (the constraint is the backstop)."""
    return Case.objects.select_for_update().get(pk=case.pk)


@transaction.atomic
def arrangement_propose(
    *,
    case: Case,
    kind: str,
    actor,
    schedule: Iterable[tuple[datetime.date, Decimal]] | None = None,
    lump_sum: Decimal | None = None,
    pay_by: datetime.date | None = None,
    new_due_on: datetime.date | None = None,
    waive_penalty: Decimal | None = None,
    waive_fees: Decimal | None = None,
    waive_interest: Decimal | None = None,
    notes: str = "",
) -> Arrangement:
    """
    Propose an arrangement of `kind` on the case: active at once within the
    actor's approval limit, else waiting for approval. The keyword arguments
    each kind reads: repayment plan — `schedule` [(due_on, amount), ...];
    settlement — `lump_sum`, `pay_by`; extension — `new_due_on`; waiver —
    `waive_penalty`, `waive_fees`, `waive_interest`, `pay_by`.
    """
    if kind not in ArrangementKind.values:
        raise CollectionError(KIND_UNKNOWN, field="kind")
    case = _lock_case(case)
    if case.status == CaseStatus.CLOSED:
        raise CollectionError(CASE_CLOSED)
    if case.arrangements.filter(status__in=[ArrangementStatus.PENDING_APPROVAL, ArrangementStatus.ACTIVE]).exists():
        raise CollectionError(ALREADY_OPEN)
    today = lender_today()
    balance = case_balance(case, today=today)
    if balance.total <= ZERO:
        raise CollectionError(NOTHING_OWED)
    if kind == ArrangementKind.REPAYMENT_PLAN:
        terms = plan_terms(balance, today, schedule=list(schedule or ()))
    elif kind == ArrangementKind.SETTLEMENT:
        terms = settlement_terms(balance, today, lump_sum=lump_sum, pay_by=pay_by)
    elif kind == ArrangementKind.EXTENSION:
        terms = extension_terms(balance, today, new_due_on=new_due_on)
    else:
        terms = waiver_terms(
            balance,
            today,
            waive_penalty=waive_penalty,
            waive_fees=waive_fees,
            waive_interest=waive_interest,
            pay_by=pay_by,
        )
    now = timezone.now()
    active = within_limit(
        actor, concession=terms.concession, waived_penalty=terms.waived_penalty, balance=balance.total
    )
    arrangement = Arrangement(
        case=case,
        kind=kind,
        status=ArrangementStatus.ACTIVE if active else ArrangementStatus.PENDING_APPROVAL,
        currency=case.currency,
        balance_at_start=balance.total,
        total_to_pay=terms.total_to_pay,
        concession=terms.concession,
        waived_penalty=terms.waived_penalty,
        waived_fees=terms.waived_fees,
        waived_interest=terms.waived_interest,
        notes=notes.strip(),
        requested_at=now,
        requested_by=actor,
        decided_at=now if active else None,
        decided_by=actor if active else None,
    )
    try:
        with transaction.atomic():
            arrangement.save()
    except IntegrityError:
        raise CollectionError(ALREADY_OPEN) from None
    ArrangementInstallment.objects.bulk_create(
        ArrangementInstallment(arrangement=arrangement, number=number, due_on=due_on, amount=amount)
        for number, (due_on, amount) in enumerate(terms.installments, start=1)
    )
    _event(arrangement, "proposed", actor=actor, notes=arrangement.notes, installments=len(terms.installments))
    if active:
        case_status_refresh(case=case, actor=actor)
    return arrangement


def _lock_arrangement(arrangement: Arrangement) -> Arrangement:
    return Arrangement.objects.select_for_update().select_related("case").get(pk=arrangement.pk)


def arrangement_dates_shift(arrangement: Arrangement, *, today: datetime.date | None = None) -> int:
    """
    How many days an approval today moves the arrangement's dates on: 0 while
    its first date is still to come; else enough for the first to fall today,
    the others keeping their spacing (the approver sees the new dates first).
    """
    today = today or lender_today()
    installments = sorted(arrangement.installments.all(), key=lambda installment: installment.number)  # prefetched
    return max((today - installments[0].due_on).days, 0) if installments else 0


def arrangement_dates_if_approved(arrangement: Arrangement, *, today: datetime.date | None = None) -> list:
    """The (number, due date) pairs the arrangement would have if approved today."""
    shift = datetime.timedelta(days=arrangement_dates_shift(arrangement, today=today))
    installments = sorted(arrangement.installments.all(), key=lambda installment: installment.number)
    return [(installment.number, installment.due_on + shift) for installment in installments]


@transaction.atomic
def arrangement_decide(*, arrangement: Arrangement, approve: bool, actor, note: str = "") -> Arrangement:
    """
    Approve or reject an arrangement waiting for approval. The approver's own
    limit must cover the concession (a team lead's request over theirs stays for
    a manager); a rejection says why. Nobody decides their own request. A
    request whose first date has passed while it waited is approved with its
    dates moved on (arrangement_dates_shift), never into the past.
    """
    arrangement = _lock_arrangement(arrangement)
    note = (note or "").strip()
    if arrangement.status != ArrangementStatus.PENDING_APPROVAL:
        raise CollectionError(NOT_PENDING)
    shift = 0
    if not user_can(actor, Capability.APPROVE_ARRANGEMENTS):
        raise CollectionError(NOT_AN_APPROVER)
    if arrangement.requested_by_id == actor.pk:
        raise CollectionError(OWN_REQUEST)
    if approve:
        if arrangement.case.status == CaseStatus.CLOSED:
            raise CollectionError(CASE_CLOSED)
        if not arrangement_within_limit(actor, arrangement):
            raise CollectionError(OVER_YOUR_LIMIT)
        shift = arrangement_dates_shift(arrangement)
        if shift:
            for installment in arrangement.installments.all():
                installment.due_on += datetime.timedelta(days=shift)
                installment.save(update_fields=["due_on"])
    elif not note:
        raise CollectionError(REJECTION_NEEDS_NOTE, field="note")
    arrangement.status = ArrangementStatus.ACTIVE if approve else ArrangementStatus.REJECTED
    arrangement.decided_at = timezone.now()
    arrangement.decided_by = actor
    arrangement.decision_note = note[:300]
    arrangement.save(update_fields=["status", "decided_at", "decided_by", "decision_note"])
    _event(arrangement, "approved" if approve else "rejected", actor=actor, notes=note, dates_moved_days=shift)
    if approve:
        case_status_refresh(case=arrangement.case, actor=actor)
    return arrangement


@transaction.atomic
def arrangement_cancel(*, arrangement: Arrangement, actor, note: str = "") -> Arrangement:
    """Withdraw a request waiting for approval, or end an active arrangement (the borrower wants a new deal)."""
    arrangement = _lock_arrangement(arrangement)
    if arrangement.status not in (ArrangementStatus.PENDING_APPROVAL, ArrangementStatus.ACTIVE):
        raise CollectionError(NOT_OPEN)
    was_active = arrangement.status == ArrangementStatus.ACTIVE
    arrangement.status = ArrangementStatus.CANCELLED
    arrangement.ended_on = lender_today()
    note = (note or "").strip()
    if note:
        arrangement.decision_note = note[:300]
    arrangement.save(update_fields=["status", "ended_on", "decision_note"])
    _event(arrangement, "cancelled", actor=actor, notes=note)
    if was_active:
        case_status_refresh(case=arrangement.case, actor=actor)
    return arrangement
