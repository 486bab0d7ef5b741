"""
Recording one payment (payment_record): checked, stored and allocated over
the account's unpaid installments, in one transaction with its audit event.

Locking: the payment locks the account's unpaid installments (ordered by id)
before it touches them, and changes the account's overpayment credit with a
relative UPDATE, so concurrent payments on one account queue up instead of
losing an update, and the nightly run (which updates installments, then
accounts) never deadlocks with them.
"""

from datetime import date, datetime
from decimal import Decimal

from django.db import IntegrityError, transaction
from django.db.models import F
from django.db.models.functions import Round

from accounts.services import audit_record
from lending.allocation import InstallmentBalance, allocate, allocation_order_validate
from lending.models import PAID_FIELD, CreditAccount, Installment, Payment, PaymentAllocation
from lending.services.calendar import local_date
from lending.services.errors import PAYMENT_CONFLICT, LendingError
from lending.services.rules import account_problem, conflicting_field, payment_fields_problems


def _balance(row) -> InstallmentBalance:
    """An InstallmentBalance from a values() row of an installment."""
    return InstallmentBalance(
        installment_id=row["id"],
        due_on=row["due_on"],
        number=row["number"],
        penalty=row["penalty_accrued"] - row["penalty_paid"],
        fee=row["fee_due"] - row["fee_paid"],
        interest=row["interest_due"] - row["interest_paid"],
        principal=row["principal_due"] - row["principal_paid"],
    )


INSTALLMENT_FIELDS = (
    "id",
    "account_id",
    "due_on",
    "number",
    "principal_due",
    "interest_due",
    "fee_due",
    "penalty_accrued",
    "principal_paid",
    "interest_paid",
    "fee_paid",
    "penalty_paid",
)


def _allocate_into(rows: dict[int, dict], *, amount, order, paid_on: date) -> tuple[list, Decimal, set[int]]:
    """
    Allocate one payment over the installment rows (values() dicts keyed by
    id, changed in place) and return its parts, the unapplied rest and the
    ids of the installments it touched.
    """
    balances = [_balance(row) for row in rows.values()]
    allocation = allocate(amount=amount, installments=[b for b in balances if b.total > 0], order=order)
    touched = set()
    for part in allocation.parts:
        row = rows[part.installment_id]
        row[PAID_FIELD[part.component]] += part.amount
        touched.add(part.installment_id)
        if _balance(row).total == 0:
            row["paid_off_on"] = paid_on
    return allocation.parts, allocation.unapplied, touched


def payment_record(
    *,
    account: CreditAccount,
    external_id: str,
    amount: Decimal,
    received_at: datetime,
    channel: str,
    import_batch=None,
) -> tuple[Payment, bool]:
    """
    Record a payment and allocate it, oldest installment first. Idempotent by
    external id: the same payment again returns the recorded one (created is
    False) and changes nothing; the same external id with other data is refused.
    """
    problems = payment_fields_problems(external_id=external_id, amount=amount, received_at=received_at, channel=channel)
    if problems:
        field_name, message = problems[0]
        raise LendingError(message, field=field_name)
    with transaction.atomic():
        existing = _payment_existing(
            external_id, account_id=account.pk, amount=amount, received_at=received_at, channel=channel
        )
        if existing is not None:
            return existing, False
        problem = account_problem(CreditAccount.objects.values_list("status", flat=True).get(pk=account.pk))
        if problem:
            raise LendingError(problem, field="account")
        try:
            with transaction.atomic():
                payment = Payment.objects.create(
                    external_id=external_id,
                    account=account,
                    amount=amount,
                    received_at=received_at,
                    channel=channel,
                    import_batch=import_batch,
                )
        except IntegrityError:
            # Another process recorded the same external id a moment ago.
            existing = _payment_existing(
                external_id, account_id=account.pk, amount=amount, received_at=received_at, channel=channel
            )
            if existing is None:
                raise
            return existing, False
        rows = {
            row["id"]: row
            for row in Installment.objects.select_for_update()
            .filter(account=account, paid_off_on__isnull=True)
            .order_by("id")
            .values(*INSTALLMENT_FIELDS)
        }
        for row in rows.values():
            row["paid_off_on"] = None
        order = allocation_order_validate(account.product.allocation_order)
        parts, unapplied, touched = _allocate_into(rows, amount=amount, order=order, paid_on=local_date(received_at))
        for installment_id in sorted(touched):
            row = rows[installment_id]
            Installment.objects.filter(pk=installment_id).update(
                **{name: row[name] for name in PAID_FIELD.values()}, paid_off_on=row["paid_off_on"]
            )
        PaymentAllocation.objects.bulk_create(
            PaymentAllocation(
                payment=payment, installment_id=part.installment_id, component=part.component, amount=part.amount
            )
            for part in parts
        )
        if unapplied:
            payment.unapplied_amount = unapplied
            payment.save(update_fields=["unapplied_amount"])
            CreditAccount.objects.filter(pk=account.pk).update(
                # Round: SQLite keeps decimals as floats, and a sum of floats drifts off the cent.
                credit_balance=Round(F("credit_balance") + unapplied, 2)
            )
        audit_record(
            action="lending.payment.recorded",
            target=payment,
            data={
                "account": account.external_id,
                "amount": str(amount),
                "channel": channel,
                "unapplied": str(unapplied),
                "import_batch": import_batch.pk if import_batch else None,
            },
        )
    return payment, True


def _payment_existing(external_id, *, account_id, amount, received_at, channel) -> Payment | None:
    existing = Payment.objects.filter(external_id=external_id).first()
    if existing is None:
        return None
    conflict = conflicting_field(
        (existing.account_id, existing.amount, existing.received_at, existing.channel),
        account_id=account_id,
        amount=amount,
        received_at=received_at,
        channel=channel,
    )
    if conflict:
        raise LendingError(str(PAYMENT_CONFLICT).format(external_id=external_id, field=conflict), field=conflict)
    return existing
