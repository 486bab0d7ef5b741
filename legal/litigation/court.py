"""
The court's part of a litigation file: hearings, costs, the judgment,
enforcement and the amounts it recovers. Each is a service in one
transaction with its timeline line and audit row; the status moves they
cause go through legal/litigation/files.py's transition table.

An amount recovered by enforcement is a real payment: it is booked through
lending's `payment_record` (allocated over the account's installments like
any other) with the channel "court enforcement" and an external id
`ENF-<enforcement id>-<n>`, and linked to the enforcement by an
EnforcementRecovery.
"""

import datetime
from decimal import Decimal

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.services import audit_record
from collection.models import CaseAccount
from collection.services.timeline import event_record
from legal.litigation import events
from legal.litigation.files import (
    FILE_CLOSED,
    LitigationError,
    _locked,
    _move_check,
    file_deadline_refresh,
    file_status_move,
)
from legal.models import Enforcement, EnforcementRecovery, FileStatus, Hearing, Judgment, LegalCost, LitigationFile
from lending.models import Payment
from lending.services.errors import LendingError
from lending.services.payment import payment_record

F = FileStatus
ZERO = Decimal("0.00")

# China: an appeal against a first-instance judgment within 15 days of its service
# (Civil Procedure Law art. 171). The officer may set another date.
APPEAL_DAYS = 15

HEARING_NOT_NOW = _("Hearings are scheduled once the claim is filed and until the judgment.")
HEARING_OUTCOME_LATE = _("The file is closed: its hearings can no longer change.")
COST_NOT_POSITIVE = _("A cost must be more than zero.")
JUDGMENT_EXISTS = _("The file already has its judgment.")
AMOUNT_NEGATIVE = _("Amounts awarded cannot be negative.")
ENFORCE_NEEDS_WIN = _("Enforcement needs a judgment in our favour.")
ENFORCEMENT_NOT_OPEN = _("Amounts are recovered only while the file is in enforcement.")
RECOVERY_NOT_POSITIVE = _("The amount recovered must be more than zero.")
ACCOUNT_NOT_IN_CASE = _("The account is not one of the case's accounts.")
RECOVERY_IN_FUTURE = _("The date of the recovery cannot be in the future.")


def hearing_add(*, file: LitigationFile, starts_at: datetime.datetime, place: str, actor, notes: str = "") -> Hearing:
    """A hearing the court set; the first one moves a filed file to "hearing scheduled"."""
    with transaction.atomic():
        file = _locked(file)
        if file.status not in (F.FILED, F.HEARING_SCHEDULED):
            raise LitigationError(HEARING_NOT_NOW, field="starts_at")
        hearing = Hearing.objects.create(file=file, starts_at=starts_at, place=place.strip(), notes=notes)
        facts = events.hearing_added(hearing)
        event_record(case=file.case, facts=facts, actor=actor)
        audit_record(action="legal.hearing.added", target=file, actor=actor, data=facts.data)
        if file.status == F.FILED:
            file_status_move(file=file, to=F.HEARING_SCHEDULED, actor=actor)
        else:
            file_deadline_refresh(file=file)
    return hearing


def hearing_outcome_set(*, hearing: Hearing, outcome: str, actor, notes: str = "") -> Hearing:
    """What happened at the hearing (held, adjourned, judgment reserved, settled)."""
    with transaction.atomic():
        file = _locked(hearing.file)
        if not file.is_open:
            raise LitigationError(HEARING_OUTCOME_LATE, field="outcome")
        hearing = Hearing.objects.select_for_update().get(pk=hearing.pk)
        hearing.outcome = Hearing.Outcome(outcome)
        if notes:
            hearing.notes = notes
        hearing.save(update_fields=["outcome", "notes"])
        hearing.file = file
        facts = events.hearing_outcome(hearing)
        event_record(case=file.case, facts=facts, actor=actor)
        audit_record(action="legal.hearing.outcome_set", target=file, actor=actor, data=facts.data)
        file_deadline_refresh(file=file)
    return hearing


def cost_add(
    *, file: LitigationFile, kind: str, amount: Decimal, incurred_on: datetime.date, actor, note: str = ""
) -> LegalCost:
    """A court fee, lawyer's fee or other cost of the file, in the file's currency."""
    if amount is None or amount <= ZERO:
        raise LitigationError(COST_NOT_POSITIVE, field="amount")
    with transaction.atomic():
        file = _locked(file)
        if not file.is_open:
            raise LitigationError(FILE_CLOSED)
        cost = LegalCost.objects.create(
            file=file, kind=LegalCost.Kind(kind), amount=amount, incurred_on=incurred_on, note=note
        )
        facts = events.cost_added(cost)
        event_record(case=file.case, facts=facts, actor=actor)
        audit_record(action="legal.cost.added", target=file, actor=actor, data=facts.data)
    return cost


def judgment_record(
    *,
    file: LitigationFile,
    judged_on: datetime.date,
    in_favour: bool,
    principal: Decimal = ZERO,
    interest: Decimal = ZERO,
    penalty: Decimal = ZERO,
    fees: Decimal = ZERO,
    costs: Decimal = ZERO,
    appeal_deadline_on: datetime.date | None = None,
    actor,
    notes: str = "",
) -> Judgment:
    """The court's judgment, awarded by component; the appeal window defaults to APPEAL_DAYS from its date."""
    amounts = {"principal": principal, "interest": interest, "penalty": penalty, "fees": fees, "costs": costs}
    if any(value is None or value < ZERO for value in amounts.values()):
        raise LitigationError(AMOUNT_NEGATIVE, field="principal")
    with transaction.atomic():
        file = _locked(file)
        if Judgment.objects.filter(file=file).exists():
            raise LitigationError(JUDGMENT_EXISTS)
        _move_check(file, F.JUDGMENT)
        judgment = Judgment.objects.create(
            file=file,
            judged_on=judged_on,
            in_favour=in_favour,
            total=sum(amounts.values(), ZERO),
            appeal_deadline_on=appeal_deadline_on or judged_on + datetime.timedelta(days=APPEAL_DAYS),
            notes=notes,
            **amounts,
        )
        facts = events.judgment_recorded(judgment)
        event_record(case=file.case, facts=facts, actor=actor)
        audit_record(action="legal.judgment.recorded", target=file, actor=actor, data=facts.data)
        file_status_move(file=file, to=F.JUDGMENT, actor=actor)
    return judgment


def enforcement_apply(*, file: LitigationFile, applied_on: datetime.date, court_reference: str, actor) -> Enforcement:
    """Apply to the court to enforce the judgment; the first application moves the file to "enforcement"."""
    with transaction.atomic():
        file = _locked(file)
        judgment = Judgment.objects.filter(file=file).first()
        if judgment is None or not judgment.in_favour:
            raise LitigationError(ENFORCE_NEEDS_WIN)
        if file.status != F.ENFORCEMENT:
            _move_check(file, F.ENFORCEMENT)
        enforcement = Enforcement.objects.create(
            file=file, applied_on=applied_on, court_reference=court_reference.strip()
        )
        facts = events.enforcement_applied(enforcement)
        event_record(case=file.case, facts=facts, actor=actor)
        audit_record(action="legal.enforcement.applied", target=file, actor=actor, data=facts.data)
        if file.status != F.ENFORCEMENT:
            file_status_move(file=file, to=F.ENFORCEMENT, actor=actor)
    return enforcement


def enforcement_status_set(*, enforcement: Enforcement, status: str, actor) -> Enforcement:
    """The enforcement in progress, completed or terminated without full recovery."""
    with transaction.atomic():
        file = _locked(enforcement.file)
        if not file.is_open:
            raise LitigationError(FILE_CLOSED)
        Enforcement.objects.filter(pk=enforcement.pk).update(status=Enforcement.Status(status))
        enforcement.status = status
        audit_record(
            action="legal.enforcement.status_set",
            target=file,
            actor=actor,
            data={"enforcement": enforcement.pk, "status": status},
        )
    return enforcement


def recovery_accounts(file: LitigationFile):
    """The accounts an amount recovered may be booked on: the case's (current members first)."""
    return (
        CaseAccount.objects.filter(case_id=file.case_id)
        .select_related("account")
        .order_by("left_on", "joined_on", "id")
    )


def recovery_record(
    *, enforcement: Enforcement, account, amount: Decimal, received_on: datetime.date, actor
) -> EnforcementRecovery:
    """
    Book what the court recovered as a payment on one of the case's accounts
    (allocated by lending like any payment) and link it to the enforcement.
    """
    if amount is None or amount <= ZERO:
        raise LitigationError(RECOVERY_NOT_POSITIVE, field="amount")
    if received_on > timezone.localdate():
        raise LitigationError(RECOVERY_IN_FUTURE, field="received_on")
    with transaction.atomic():
        file = _locked(enforcement.file)
        if file.status != F.ENFORCEMENT:
            raise LitigationError(ENFORCEMENT_NOT_OPEN)
        if not CaseAccount.objects.filter(case_id=file.case_id, account=account).exists():
            raise LitigationError(ACCOUNT_NOT_IN_CASE, field="account")
        enforcement = Enforcement.objects.select_for_update().get(pk=enforcement.pk, file=file)
        # The lock on the enforcement numbers its recoveries without gaps or doubles.
        number = EnforcementRecovery.objects.filter(enforcement=enforcement).count() + 1
        received_at = timezone.make_aware(datetime.datetime.combine(received_on, datetime.time(12, 0)))
        try:
            payment, _created = payment_record(
                account=account,
                external_id=f"ENF-{enforcement.pk}-{number}",
                amount=amount,
                received_at=received_at,
                channel=Payment.Channel.COURT_ENFORCEMENT,
            )
        except LendingError as error:
            raise LitigationError(str(error), field="amount") from error
        recovery = EnforcementRecovery.objects.create(
            enforcement=enforcement, payment=payment, recorded_by=actor, recorded_at=timezone.now()
        )
        if enforcement.status == Enforcement.Status.APPLIED:
            enforcement.status = Enforcement.Status.IN_PROGRESS
            enforcement.save(update_fields=["status"])
        enforcement.file = file
        facts = events.recovered(recovery)
        event_record(case=file.case, facts=facts, actor=actor)
        audit_record(action="legal.enforcement.recovered", target=file, actor=actor, data=facts.data)
    return recovery
