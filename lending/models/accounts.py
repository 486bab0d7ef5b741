"""Lending's models: accounts, installments, payments."""

from decimal import Decimal

from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from lending.models.borrowers import Borrower
from lending.models.fields import money_field
from lending.models.products import Component, CreditProduct


class CreditAccount(models.Model):
    class Status(models.TextChoices):
        ACTIVE = "active", _("Active")
        FROZEN = "frozen", _("Frozen")
        CLOSED = "closed", _("Closed")
        CHARGED_OFF = "charged_off", _("Charged off")
        SOLD = "sold", _("Sold")

    external_id = models.CharField(_("external id"), max_length=64, unique=True)
    borrower = models.ForeignKey(Borrower, on_delete=models.PROTECT, related_name="accounts")
    product = models.ForeignKey(CreditProduct, on_delete=models.PROTECT, related_name="accounts")
    opened_on = models.DateField(_("opened on"))
    credit_limit = money_field(_("credit limit"))
    available_credit = money_field(_("available credit"))
    status = models.CharField(_("status"), max_length=16, choices=Status.choices, default=Status.ACTIVE)

    # Written by the nightly run (lending/delinquency.py), never by hand.
    days_past_due = models.PositiveIntegerField(_("days past due"), default=0)
    bucket = models.CharField(_("bucket"), max_length=8, default="M0")
    oldest_unpaid_due_on = models.DateField(_("oldest unpaid due date"), null=True, blank=True)
    overdue_principal = money_field(_("overdue principal"))
    overdue_interest = money_field(_("overdue interest"))
    overdue_fees = money_field(_("overdue fees"))
    overdue_penalty = money_field(_("overdue penalty"))
    outstanding_balance = money_field(_("outstanding balance"))
    # What the borrower paid beyond everything due: a credit, never a negative due.
    credit_balance = money_field(_("overpayment credit"))

    class Meta:
        verbose_name = _("credit account")
        verbose_name_plural = _("credit accounts")
        ordering = ["external_id"]
        indexes = [
            models.Index(fields=["bucket", "days_past_due"], name="account_bucket_dpd_idx"),
            models.Index(fields=["days_past_due"], name="account_dpd_idx", condition=Q(days_past_due__gt=0)),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(credit_limit__gte=0), name="account_limit_not_negative"),
            models.CheckConstraint(condition=Q(credit_balance__gte=0), name="account_credit_not_negative"),
        ]

    def __str__(self):
        return self.external_id

    @property
    def overdue_total(self):
        return self.overdue_principal + self.overdue_interest + self.overdue_fees + self.overdue_penalty

    @property
    def currency(self):
        return self.product.currency


class CreditLimitChange(models.Model):
    class Reason(models.TextChoices):
        INTAKE = "intake", _("Set by the core system")
        DELINQUENCY = "delinquency", _("Delinquency")
        REVIEW = "review", _("Periodic review")
        CUSTOMER_REQUEST = "customer_request", _("Customer request")
        RESTORED = "restored", _("Restored after cure")
        OTHER = "other", _("Other")

    class Action(models.TextChoices):
        SET = "set", _("Limit set")
        FREEZE = "freeze", _("Line frozen")
        CUT = "cut", _("Limit cut")
        RESTORE = "restore", _("Line restored")

    account = models.ForeignKey(CreditAccount, on_delete=models.CASCADE, related_name="limit_changes")
    # What happened to the line; a freeze keeps the limit (previous == new) and stops lending.
    action = models.CharField(
        _("action"), max_length=10, choices=Action.choices, default=Action.SET, db_default=Action.SET
    )
    changed_at = models.DateTimeField(_("changed at"))
    previous_limit = money_field(_("previous limit"))
    new_limit = money_field(_("new limit"))
    reason = models.CharField(_("reason"), max_length=20, choices=Reason.choices)
    note = models.CharField(_("note"), max_length=300, blank=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("by"), on_delete=models.PROTECT, null=True, blank=True
    )

    class Meta:
        verbose_name = _("credit limit change")
        verbose_name_plural = _("credit limit changes")
        ordering = ["-changed_at", "-id"]

    def __str__(self):
        return f"{self.account_id}: {self.previous_limit} -> {self.new_limit}"


class Installment(models.Model):
    """
    One due date of an account's schedule. On a revolving line each purchase
    adds its own installments, carrying the order reference.
    """

    account = models.ForeignKey(CreditAccount, on_delete=models.CASCADE, related_name="installments")
    number = models.PositiveIntegerField(_("number"))
    order_reference = models.CharField(_("order reference"), max_length=64, blank=True)
    lent_on = models.DateField(
        _("lent on"), help_text=_("When the principal was lent: the charges cap runs from here.")
    )
    due_on = models.DateField(_("due on"))
    principal_due = money_field(_("principal due"))
    interest_due = money_field(_("interest due"))
    fee_due = money_field(_("fees due"))
    penalty_accrued = money_field(_("penalty accrued"))
    principal_paid = money_field(_("principal paid"))
    interest_paid = money_field(_("interest paid"))
    fee_paid = money_field(_("fees paid"))
    penalty_paid = money_field(_("penalty paid"))
    late_fee_charged = models.BooleanField(_("late fee charged"), default=False)
    # Penalty has been accrued for every day up to and including this date, so
    # replaying a night accrues nothing twice.
    penalty_accrued_through = models.DateField(_("penalty accrued through"), null=True, blank=True)
    paid_off_on = models.DateField(_("paid off on"), null=True, blank=True)

    class Meta:
        verbose_name = _("installment")
        verbose_name_plural = _("installments")
        ordering = ["account", "due_on", "number"]
        constraints = [
            models.UniqueConstraint(fields=["account", "number"], name="installment_number_unique"),
            models.CheckConstraint(
                condition=Q(principal_paid__gte=0, principal_paid__lte=F("principal_due"))
                & Q(interest_paid__gte=0, interest_paid__lte=F("interest_due"))
                & Q(fee_paid__gte=0, fee_paid__lte=F("fee_due"))
                & Q(penalty_paid__gte=0, penalty_paid__lte=F("penalty_accrued")),
                name="installment_paid_within_due",
            ),
            models.CheckConstraint(
                condition=Q(principal_due__gte=0, interest_due__gte=0, fee_due__gte=0, penalty_accrued__gte=0),
                name="installment_dues_not_negative",
            ),
        ]
        indexes = [
            # The nightly run reads the unpaid installments of each account.
            models.Index(fields=["account", "due_on"], name="installment_unpaid_idx", condition=Q(paid_off_on=None)),
        ]

    def __str__(self):
        return f"{self.account_id} #{self.number} ({self.due_on})"

    def due(self, component: str) -> Decimal:
        return {
            Component.PENALTY: self.penalty_accrued,
            Component.FEE: self.fee_due,
            Component.INTEREST: self.interest_due,
            Component.PRINCIPAL: self.principal_due,
        }[component]

    def paid(self, component: str) -> Decimal:
        return getattr(self, PAID_FIELD[component])

    def remaining(self, component: str) -> Decimal:
        return self.due(component) - self.paid(component)

    @property
    def total_due(self):
        return self.principal_due + self.interest_due + self.fee_due + self.penalty_accrued

    @property
    def total_paid(self):
        return self.principal_paid + self.interest_paid + self.fee_paid + self.penalty_paid

    @property
    def total_remaining(self):
        return self.total_due - self.total_paid


PAID_FIELD = {
    Component.PENALTY: "penalty_paid",
    Component.FEE: "fee_paid",
    Component.INTEREST: "interest_paid",
    Component.PRINCIPAL: "principal_paid",
}


class Payment(models.Model):
    class Channel(models.TextChoices):
        APP = "app", _("App")
        BANK_TRANSFER = "bank_transfer", _("Bank transfer")
        AGENCY = "agency", _("Collection agency")
        COURT_ENFORCEMENT = "court_enforcement", _("Court enforcement")
        OTHER = "other", _("Other")

    class Status(models.TextChoices):
        APPLIED = "applied", _("Applied")
        REVERSED = "reversed", _("Reversed")

    external_id = models.CharField(_("external id"), max_length=64, unique=True)
    account = models.ForeignKey(CreditAccount, on_delete=models.PROTECT, related_name="payments")
    amount = models.DecimalField(
        _("amount"), max_digits=14, decimal_places=2, validators=[MinValueValidator(Decimal("0.01"))]
    )
    received_at = models.DateTimeField(_("received at"))
    channel = models.CharField(_("channel"), max_length=20, choices=Channel.choices)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.APPLIED)
    # The part no installment needed, credited to the account.
    unapplied_amount = money_field(_("overpayment"))
    reversed_at = models.DateTimeField(_("reversed at"), null=True, blank=True)
    reversal_reason = models.CharField(_("reversal reason"), max_length=200, blank=True)
    import_batch = models.ForeignKey(
        "lending.ImportBatch", on_delete=models.SET_NULL, null=True, blank=True, related_name="payments"
    )
    recorded_at = models.DateTimeField(_("recorded at"), auto_now_add=True)

    class Meta:
        verbose_name = _("payment")
        verbose_name_plural = _("payments")
        ordering = ["-received_at", "-id"]
        indexes = [models.Index(fields=["account", "-received_at"], name="payment_account_idx")]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="payment_amount_positive"),
            models.CheckConstraint(
                condition=Q(unapplied_amount__gte=0, unapplied_amount__lte=F("amount")),
                name="payment_unapplied_within_amount",
            ),
        ]

    def __str__(self):
        return self.external_id


class PaymentAllocation(models.Model):
    """Which installment and component each part of a payment paid."""

    payment = models.ForeignKey(Payment, on_delete=models.CASCADE, related_name="allocations")
    installment = models.ForeignKey(Installment, on_delete=models.PROTECT, related_name="allocations")
    component = models.CharField(_("component"), max_length=10, choices=Component.choices)
    amount = money_field(_("amount"))

    class Meta:
        verbose_name = _("payment allocation")
        verbose_name_plural = _("payment allocations")
        ordering = ["payment", "id"]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="allocation_amount_positive"),
            models.UniqueConstraint(fields=["payment", "installment", "component"], name="allocation_unique_part"),
        ]

    def __str__(self):
        return f"{self.payment_id} -> {self.installment_id} {self.component} {self.amount}"
