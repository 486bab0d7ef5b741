"""Collection's models: promises and arrangements."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from collection.models.cases import Case
from collection.models.contacts import ContactAttempt
from lending.models import money_field


class PromiseStatus(models.TextChoices):
    PENDING = "pending", _("Pending")
    KEPT = "kept", _("Kept")
    PARTLY_KEPT = "partly_kept", _("Partly kept")
    BROKEN = "broken", _("Broken")
    CANCELLED = "cancelled", _("Cancelled")


class PromiseToPay(models.Model):
    """The borrower's word: this much by that day. Decided nightly from the payments received."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="promises")
    amount = money_field(_("amount"))
    currency = models.CharField(_("currency"), max_length=3)
    due_on = models.DateField(_("due on"))
    status = models.CharField(_("status"), max_length=12, choices=PromiseStatus.choices, default=PromiseStatus.PENDING)
    paid_amount = money_field(_("paid"))
    decided_on = models.DateField(_("decided on"), null=True, blank=True)
    contact = models.ForeignKey(
        ContactAttempt, on_delete=models.SET_NULL, null=True, blank=True, related_name="promises"
    )
    created_at = models.DateTimeField(_("taken at"))
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True)

    class Meta:
        verbose_name = _("promise to pay")
        verbose_name_plural = _("promises to pay")
        ordering = ["case", "due_on", "id"]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="promise_amount_positive"),
            models.CheckConstraint(condition=Q(paid_amount__gte=0), name="promise_paid_not_negative"),
        ]
        indexes = [models.Index(fields=["status", "due_on"], name="promise_pending_due_idx")]

    def __str__(self):
        return f"{self.amount} {self.currency} by {self.due_on}"


class ArrangementKind(models.TextChoices):
    REPAYMENT_PLAN = "repayment_plan", _("Repayment plan")
    SETTLEMENT = "settlement", _("Settlement")
    EXTENSION = "extension", _("Due-date extension")
    WAIVER = "waiver", _("Fee or penalty waiver")


class ArrangementStatus(models.TextChoices):
    PENDING_APPROVAL = "pending_approval", _("Waiting for approval")
    ACTIVE = "active", pgettext_lazy("arrangement status", "Active")
    REJECTED = "rejected", _("Rejected")
    COMPLETED = "completed", _("Completed")
    BROKEN = "broken", _("Broken")
    CANCELLED = "cancelled", _("Cancelled")


class Arrangement(models.Model):
    """
    A deal with the borrower: a plan of amounts and dates, a discounted lump
    sum, more time, or a waiver of penalty/fees. `concession` is what the
    lender gives up (waived or discounted amount); the role approval limits
    are measured against it.
    """

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="arrangements")
    kind = models.CharField(_("kind"), max_length=16, choices=ArrangementKind.choices)
    status = models.CharField(
        _("status"), max_length=20, choices=ArrangementStatus.choices, default=ArrangementStatus.PENDING_APPROVAL
    )
    currency = models.CharField(_("currency"), max_length=3)
    balance_at_start = money_field(_("balance when proposed"))
    total_to_pay = money_field(_("to pay"))
    concession = money_field(_("concession"))
    waived_penalty = money_field(_("penalty waived"))
    waived_fees = money_field(_("fees waived"))
    waived_interest = money_field(_("interest waived"))
    notes = models.TextField(_("notes"), blank=True)
    requested_at = models.DateTimeField(_("requested at"))
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    decision_note = models.CharField(_("decision note"), max_length=300, blank=True)
    ended_on = models.DateField(_("ended on"), null=True, blank=True)

    class Meta:
        verbose_name = _("arrangement")
        verbose_name_plural = _("arrangements")
        ordering = ["case", "-requested_at"]
        constraints = [
            models.CheckConstraint(
                condition=Q(total_to_pay__gte=0) & Q(concession__gte=0), name="arrangement_amounts_not_negative"
            ),
            # deals: at most one open arrangement (waiting for approval or active) per case.
            models.UniqueConstraint(
                fields=["case"],
                condition=Q(status__in=["pending_approval", "active"]),
                name="arrangement_one_open_per_case",
            ),
        ]
        indexes = [models.Index(fields=["status"], name="arrangement_status_idx")]

    def __str__(self):
        return f"{self.get_kind_display()} ({self.case_id})"


class ArrangementInstallment(models.Model):
    class Status(models.TextChoices):
        DUE = "due", _("Due")
        PAID = "paid", _("Paid")
        PARTLY_PAID = "partly_paid", _("Partly paid")
        MISSED = "missed", _("Missed")

    arrangement = models.ForeignKey(Arrangement, on_delete=models.CASCADE, related_name="installments")
    number = models.PositiveSmallIntegerField(_("number"))
    due_on = models.DateField(_("due on"))
    amount = money_field(_("amount"))
    paid_amount = money_field(_("paid"))
    status = models.CharField(_("status"), max_length=12, choices=Status.choices, default=Status.DUE)

    class Meta:
        verbose_name = _("arrangement installment")
        verbose_name_plural = _("arrangement installments")
        ordering = ["arrangement", "number"]
        constraints = [
            models.UniqueConstraint(fields=["arrangement", "number"], name="arrangement_installment_number_unique"),
            models.CheckConstraint(condition=Q(amount__gt=0), name="arrangement_installment_amount_positive"),
        ]

    def __str__(self):
        return f"{self.arrangement_id} #{self.number}"
