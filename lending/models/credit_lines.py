"""
Lending's models: credit-line actions (freeze, cut, restore) and the outbox
that carries each change to the core system.

A line action changes the mirror at once (CreditAccount, CreditLimitChange)
and writes a CoreSystemDelivery in the same transaction: the core system is
the one that really stops lending, so a change it never heard of is a change
that did not happen. The delivery task (lending/credit_lines/outbox.py) sends
the rows until the core system acknowledges them.
"""

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from lending.models.accounts import CreditAccount, CreditLimitChange
from lending.models.fields import money_field


class CreditLineRestriction(models.Model):
    """
    A line frozen or cut and not yet restored: the limit it had before the
    first action, so that a cut after a freeze (or two cuts) still restores
    to where the line stood. At most one open restriction an account.
    """

    account = models.ForeignKey(CreditAccount, on_delete=models.CASCADE, related_name="line_restrictions")
    reason = models.CharField(_("reason"), max_length=20, choices=CreditLimitChange.Reason.choices)
    limit_before = money_field(_("limit before"))
    started_at = models.DateTimeField(_("restricted since"))
    restored_at = models.DateTimeField(_("restored at"), null=True, blank=True)

    class Meta:
        verbose_name = _("credit-line restriction")
        verbose_name_plural = _("credit-line restrictions")
        ordering = ["-started_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["account"], condition=Q(restored_at=None), name="line_restriction_one_open"
            ),
        ]
        indexes = [
            # The nightly restore reads the open restrictions for delinquency.
            models.Index(
                fields=["reason", "started_at"], name="line_restriction_open_idx", condition=Q(restored_at=None)
            ),
        ]

    def __str__(self):
        return f"{self.account_id} since {self.started_at:%Y-%m-%d}"


class CoreSystemDelivery(models.Model):
    """One change to deliver to the core system (the outbox row), with where its delivery stands."""

    class Kind(models.TextChoices):
        LIMIT_CHANGE = "limit_change", _("Credit-limit change")

    class Status(models.TextChoices):
        PENDING = "pending", _("Pending")
        DELIVERING = "delivering", _("Delivering")
        DELIVERED = "delivered", _("Delivered")
        FAILED = "failed", _("Failed")

    # last_error holds what the core system answered (its status line and body), an OS error as
    # Python names it, or this code for no answer in time, worded for the reader by last_error_text.
    ERROR_TIMEOUT = "timeout"

    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices, default=Kind.LIMIT_CHANGE)
    limit_change = models.OneToOneField(
        CreditLimitChange, on_delete=models.PROTECT, related_name="delivery", verbose_name=_("limit change")
    )
    account = models.ForeignKey(CreditAccount, on_delete=models.CASCADE, related_name="core_deliveries")
    # Sent to the core system as is; the receiver de-duplicates on it (also the Idempotency-Key header).
    idempotency_key = models.CharField(_("idempotency key"), max_length=64, unique=True)
    payload = models.JSONField(_("payload"))
    status = models.CharField(_("status"), max_length=12, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveIntegerField(_("attempts"), default=0)
    next_attempt_at = models.DateTimeField(_("next attempt"))
    # A worker that claimed the row holds it until then; after, another may take it (the first one died).
    claimed_until = models.DateTimeField(_("claimed until"), null=True, blank=True)
    claim_token = models.CharField(max_length=32, blank=True)
    last_status_code = models.PositiveIntegerField(_("last answer"), null=True, blank=True)
    last_error = models.CharField(_("last error"), max_length=500, blank=True)
    delivered_at = models.DateTimeField(_("delivered at"), null=True, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("core-system delivery")
        verbose_name_plural = _("core-system deliveries")
        ordering = ["-created_at", "-id"]
        indexes = [
            # The delivery claim: rows due, oldest first (delivered rows are not in the index).
            models.Index(
                fields=["next_attempt_at", "id"],
                name="core_delivery_due_idx",
                condition=Q(status__in=["pending", "delivering"]),
            ),
            models.Index(fields=["status", "-created_at"], name="core_delivery_status_idx"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=["pending", "delivering", "delivered", "failed"]),
                name="core_delivery_status_known",
            ),
        ]

    def __str__(self):
        return self.idempotency_key

    @property
    def last_error_text(self) -> str:
        if self.last_error == self.ERROR_TIMEOUT:
            return str(_("No answer within the timeout."))
        return self.last_error
