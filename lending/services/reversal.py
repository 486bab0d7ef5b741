"""
Reversing a payment (payment_reverse): what it paid is taken back from its
installments and its overpayment credit from the account, in one
transaction with its audit event; its allocation rows stay as history.
"""

from django.db import transaction
from django.db.models import F
from django.db.models.functions import Round
from django.utils import timezone

from accounts.services import audit_record
from lending.models import PAID_FIELD, CreditAccount, Installment, Payment
from lending.services.errors import (
    PAYMENT_ALREADY_REVERSED,
    PAYMENT_CREDIT_USED,
    PAYMENT_REVERSAL_REASON_REQUIRED,
    LendingError,
)


def payment_reverse(*, payment: Payment, reason: str) -> Payment:
    """
    Undo exactly what the payment paid: every allocation is taken back from
    its installment and the overpayment credit from the account. The
    allocation rows stay as history. Reversing a reversed payment is refused.
    """
    reason = (reason or "").strip()
    if not reason or len(reason) > 200:
        raise LendingError(PAYMENT_REVERSAL_REASON_REQUIRED, field="reason")
    with transaction.atomic():
        locked = Payment.objects.select_for_update().select_related("account").get(pk=payment.pk)
        if locked.status == Payment.Status.REVERSED:
            raise LendingError(PAYMENT_ALREADY_REVERSED)
        allocations = list(locked.allocations.all())
        installments = {
            installment.pk: installment
            for installment in Installment.objects.select_for_update()
            .filter(pk__in={allocation.installment_id for allocation in allocations})
            .order_by("id")
        }
        for allocation in allocations:
            installment = installments[allocation.installment_id]
            name = PAID_FIELD[allocation.component]
            setattr(installment, name, getattr(installment, name) - allocation.amount)
        for installment in installments.values():
            if installment.total_remaining > 0:
                installment.paid_off_on = None
            installment.save(update_fields=[*PAID_FIELD.values(), "paid_off_on"])
        if locked.unapplied_amount:
            taken = CreditAccount.objects.filter(
                pk=locked.account_id, credit_balance__gte=locked.unapplied_amount
            ).update(credit_balance=Round(F("credit_balance") - locked.unapplied_amount, 2))
            if not taken:
                raise LendingError(str(PAYMENT_CREDIT_USED).format(amount=locked.unapplied_amount))
        locked.status = Payment.Status.REVERSED
        locked.reversed_at = timezone.now()
        locked.reversal_reason = reason
        locked.save(update_fields=["status", "reversed_at", "reversal_reason"])
        audit_record(
            action="lending.payment.reversed",
            target=locked,
            data={
                "account": locked.account.external_id,
                "amount": str(locked.amount),
                "unapplied": str(locked.unapplied_amount),
                "reason": reason,
            },
        )
    payment.status, payment.reversed_at, payment.reversal_reason = locked.status, locked.reversed_at, reason
    return payment
