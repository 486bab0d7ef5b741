"""
Every write to a credit line: each in one transaction with the account, the
CreditLimitChange, the outbox row for the core system and the audit event, so
all of them are written or none.

The services are safe to call twice: freezing a frozen line, cutting a line
to the limit it already has under a restriction, or a second nightly restore
change nothing and return None.
"""

import datetime
import uuid
from decimal import Decimal, InvalidOperation

from django.conf import settings
from django.db import transaction
from django.db.models import Exists, F, OuterRef, Q, Sum
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.services import audit_record
from lending.models import (
    CoreSystemDelivery,
    CreditAccount,
    CreditLimitChange,
    CreditLineRestriction,
    Installment,
)
from lending.services.calendar import LENDER_TZ
from lending.services.errors import LendingError

Reason = CreditLimitChange.Reason
Action = CreditLimitChange.Action

LINE_CLOSED = _("The account is {status}: its credit line cannot be changed.")
LINE_CUT_INVALID = _("The new limit must be an amount of at least 0.00 and below the current limit ({limit}).")
LINE_NOT_RESTRICTED = _("This credit line is neither frozen nor cut: there is nothing to restore.")
LINE_NOTE_TOO_LONG = _("The note may have at most 300 characters.")
LINE_REASON_UNKNOWN = _("Unknown reason for a credit-line change.")
DELIVERY_NOT_RETRYABLE = _("This change was already delivered to the core system.")
DELIVERY_IN_FLIGHT = _("This change is being delivered right now; look again in a minute.")

# Lines of accounts in these states are no longer the collection's to change.
STATUSES_REFUSING_LINE_ACTIONS = (
    CreditAccount.Status.CLOSED,
    CreditAccount.Status.CHARGED_OFF,
    CreditAccount.Status.SOLD,
)


def credit_line_freeze(
    *, account: CreditAccount, actor=None, reason: str = Reason.DELINQUENCY, note: str = ""
) -> CreditLimitChange | None:
    """
    Stop the line: status frozen, no available credit, the limit kept (the
    restore gives it back). A frozen line is not frozen again: None.
    """
    note = _clean_note(note)
    with transaction.atomic():
        locked = _locked(account)
        if locked.status == CreditAccount.Status.FROZEN:
            return None
        restriction = _restriction_open(locked, reason=reason)
        locked.status = CreditAccount.Status.FROZEN
        locked.available_credit = Decimal("0.00")
        locked.save(update_fields=["status", "available_credit"])
        change = _change_record(
            account=locked, action=Action.FREEZE, new_limit=locked.credit_limit, reason=reason, note=note, actor=actor
        )
        _audit(change, "frozen", actor=actor, restriction=restriction)
    _refresh(account, locked)
    return change


def credit_line_cut(
    *, account: CreditAccount, new_limit, actor=None, reason: str = Reason.DELINQUENCY, note: str = ""
) -> CreditLimitChange | None:
    """
    Lower the limit to `new_limit` (0 ≤ new < current); what the borrower has
    used stays used, so the available credit falls by the cut (never below
    0). Cutting again to the limit the line already has under a restriction
    changes nothing: None.
    """
    note = _clean_note(note)
    with transaction.atomic():
        locked = _locked(account)
        new_limit = _limit_parsed(new_limit, current=locked.credit_limit)
        if new_limit == locked.credit_limit and locked.line_restrictions.filter(restored_at=None).exists():
            return None
        if new_limit is None or new_limit >= locked.credit_limit:
            raise LendingError(str(LINE_CUT_INVALID).format(limit=locked.credit_limit), field="new_limit")
        restriction = _restriction_open(locked, reason=reason)
        previous_limit = locked.credit_limit
        locked.credit_limit = new_limit
        locked.available_credit = max(Decimal("0.00"), locked.available_credit - (previous_limit - new_limit))
        locked.save(update_fields=["credit_limit", "available_credit"])
        change = _change_record(
            account=locked,
            action=Action.CUT,
            previous_limit=previous_limit,
            new_limit=new_limit,
            reason=reason,
            note=note,
            actor=actor,
        )
        _audit(change, "cut", actor=actor, restriction=restriction)
    _refresh(account, locked)
    return change


def credit_line_restore(*, account: CreditAccount, actor=None, note: str = "") -> CreditLimitChange:
    """
    Give the line back as it stood before its first freeze or cut: that
    limit, status active, and available credit the limit less the principal
    still unpaid.
    """
    note = _clean_note(note)
    with transaction.atomic():
        locked = _locked(account)
        restriction = locked.line_restrictions.select_for_update().filter(restored_at=None).first()
        if restriction is None:
            raise LendingError(LINE_NOT_RESTRICTED)
        now = timezone.now()
        previous_limit = locked.credit_limit
        unpaid_principal = Installment.objects.filter(account=locked, paid_off_on=None).aggregate(
            unpaid=Sum(F("principal_due") - F("principal_paid"))
        )["unpaid"] or Decimal("0.00")
        locked.credit_limit = restriction.limit_before
        locked.available_credit = max(Decimal("0.00"), restriction.limit_before - unpaid_principal)
        locked.status = CreditAccount.Status.ACTIVE
        locked.save(update_fields=["credit_limit", "available_credit", "status"])
        restriction.restored_at = now
        restriction.save(update_fields=["restored_at"])
        change = _change_record(
            account=locked,
            action=Action.RESTORE,
            previous_limit=previous_limit,
            new_limit=locked.credit_limit,
            reason=Reason.RESTORED,
            note=note,
            actor=actor,
            at=now,
        )
        _audit(change, "restored", actor=actor, restriction=restriction)
    _refresh(account, locked)
    return change


def credit_lines_restore_due(*, on: datetime.date, months: int | None = None) -> dict:
    """
    Restore every line frozen or cut for delinquency whose account has been
    current for `months` months up to `on` (settings.CREDIT_LINE_RESTORE_AFTER_MONTHS):
    no days past due nor overdue amount now, restricted since at least then,
    and no installment of the account unpaid past its due date at any time
    after the cut-off (the installment history says when each was paid).
    One query selects them; each is restored in its own transaction.
    """
    months = settings.CREDIT_LINE_RESTORE_AFTER_MONTHS if months is None else months
    since = months_before(on, months)
    late_after_since = Installment.objects.filter(account=OuterRef("account_id"), due_on__lt=on).filter(
        Q(paid_off_on=None) | (Q(paid_off_on__gt=F("due_on")) & Q(paid_off_on__gt=since))
    )
    due = (
        CreditLineRestriction.objects.filter(
            restored_at=None,
            reason=Reason.DELINQUENCY,
            started_at__lt=datetime.datetime.combine(since + datetime.timedelta(days=1), datetime.time(), LENDER_TZ),
            account__days_past_due=0,
            account__overdue_principal=0,
            account__overdue_interest=0,
            account__overdue_fees=0,
            account__overdue_penalty=0,
        )
        .exclude(account__status__in=STATUSES_REFUSING_LINE_ACTIONS)
        .exclude(Exists(late_after_since))
        .select_related("account")
        .order_by("id")
    )
    restored = 0
    for restriction in due.iterator(chunk_size=500):
        try:
            credit_line_restore(account=restriction.account)
        except LendingError:  # restored meanwhile by a manager
            continue
        restored += 1
    return {"lines_restored": restored}


def core_delivery_retry(*, delivery: CoreSystemDelivery, actor=None) -> CoreSystemDelivery:
    """A failed (or waiting) change is tried again at once, with a fresh retry budget."""
    with transaction.atomic():
        locked = CoreSystemDelivery.objects.select_for_update().get(pk=delivery.pk)
        if locked.status == CoreSystemDelivery.Status.DELIVERED:
            raise LendingError(DELIVERY_NOT_RETRYABLE)
        if locked.status == CoreSystemDelivery.Status.DELIVERING and locked.claimed_until > timezone.now():
            raise LendingError(DELIVERY_IN_FLIGHT)
        retried = _deliveries_retry(CoreSystemDelivery.objects.filter(pk=locked.pk))
        audit_record(
            action="lending.core_delivery.retried",
            target=locked,
            actor=actor,
            data={"account": locked.payload.get("account"), "deliveries": retried},
        )
    delivery.refresh_from_db()
    return delivery


def core_deliveries_retry_failed(*, actor=None) -> int:
    """Every failed change tried again at once; returns how many."""
    with transaction.atomic():
        retried = _deliveries_retry(CoreSystemDelivery.objects.filter(status=CoreSystemDelivery.Status.FAILED))
        if retried:
            audit_record(action="lending.core_delivery.retried_failed", actor=actor, data={"deliveries": retried})
    return retried


def months_before(day: datetime.date, months: int) -> datetime.date:
    """The same day `months` calendar months earlier, clamped to the month's last day (31 May - 3 → 28 Feb)."""
    index = day.year * 12 + day.month - 1 - months
    year, month = divmod(index, 12)
    month += 1
    for candidate in (day.day, 30, 29, 28):
        try:
            return datetime.date(year, month, min(day.day, candidate))
        except ValueError:
            continue
    raise ValueError(day)


# --- Inside the transaction -------------------------------------------------------


def _locked(account: CreditAccount) -> CreditAccount:
    # The product comes along for the currency; only the account's row is locked.
    locked = CreditAccount.objects.select_for_update(of=("self",)).select_related("product").get(pk=account.pk)
    if locked.status in STATUSES_REFUSING_LINE_ACTIONS:
        raise LendingError(str(LINE_CLOSED).format(status=locked.get_status_display()))
    return locked


def _restriction_open(account: CreditAccount, *, reason: str) -> CreditLineRestriction:
    """The line's open restriction, or a new one remembering the limit to restore."""
    if reason not in Reason.values or reason in (Reason.INTAKE, Reason.RESTORED):
        raise LendingError(LINE_REASON_UNKNOWN, field="reason")
    restriction = account.line_restrictions.filter(restored_at=None).first()
    if restriction is None:
        restriction = CreditLineRestriction.objects.create(
            account=account, reason=reason, limit_before=account.credit_limit, started_at=timezone.now()
        )
    return restriction


def _change_record(
    *, account, action, new_limit, reason, note, actor, previous_limit=None, at=None
) -> CreditLimitChange:
    """The CreditLimitChange and, beside it, the outbox row that tells the core system."""
    change = CreditLimitChange.objects.create(
        account=account,
        action=action,
        changed_at=at or timezone.now(),
        previous_limit=account.credit_limit if previous_limit is None else previous_limit,
        new_limit=new_limit,
        reason=reason,
        note=note,
        actor=actor,
    )
    key = uuid.uuid4().hex
    CoreSystemDelivery.objects.create(
        limit_change=change,
        account=account,
        idempotency_key=key,
        next_attempt_at=change.changed_at,
        payload={
            "type": "credit_limit_change",
            "idempotency_key": key,
            "account": account.external_id,
            "action": action,
            "previous_limit": str(change.previous_limit),
            "new_limit": str(change.new_limit),
            "currency": account.product.currency,
            "status": account.status,
            "reason": reason,
            "changed_at": change.changed_at.isoformat(),
        },
    )
    return change


def _audit(change: CreditLimitChange, verb: str, *, actor, restriction: CreditLineRestriction) -> None:
    audit_record(
        action=f"lending.credit_line.{verb}",
        target=change.account,
        actor=actor,
        data={
            "account": change.account.external_id,
            "previous_limit": str(change.previous_limit),
            "new_limit": str(change.new_limit),
            "limit_before": str(restriction.limit_before),
            "currency": change.account.product.currency,
            "reason": change.reason,
            "note": change.note,
        },
    )


def _deliveries_retry(rows) -> int:
    return rows.exclude(status=CoreSystemDelivery.Status.DELIVERED).update(
        status=CoreSystemDelivery.Status.PENDING,
        attempts=0,
        next_attempt_at=timezone.now(),
        claimed_until=None,
        claim_token="",
    )


def _limit_parsed(value, *, current: Decimal) -> Decimal | None:
    try:
        limit = Decimal(str(value)).quantize(Decimal("0.01"))
    except (InvalidOperation, ValueError, TypeError):
        return None
    if limit < 0 or limit != Decimal(str(value)):
        return None
    return limit


def _clean_note(note: str) -> str:
    note = (note or "").strip()
    if len(note) > 300:
        raise LendingError(LINE_NOTE_TOO_LONG, field="note")
    return note


def _refresh(account: CreditAccount, locked: CreditAccount) -> None:
    """The caller's instance shows the line as it now stands."""
    for name in ("status", "credit_limit", "available_credit"):
        setattr(account, name, getattr(locked, name))
