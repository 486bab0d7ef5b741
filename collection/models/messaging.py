"""
Collection's models: messages to borrowers (SMS, e-mail, in-app).

A manager edits `MessageTemplate`s (one per channel, kind and language),
each edit a new `MessageTemplateVersion`. Every message the product sends or
decides not to send is an `OutboundMessage` row, written before anything
leaves: its idempotency key (unique) is what makes a retried or re-run task
unable to send a second copy. The channel backends (collection/messaging/)
move it from queued to sent, delivered or failed; the guard may suppress it
at send time, naming the rule.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from collection.models.cases import Case
from collection.models.contacts import Channel
from lending.models import Borrower, ContactPoint, CreditAccount

# The channels a message template may be written for.
MESSAGE_CHANNELS = (Channel.SMS, Channel.EMAIL, Channel.IN_APP)


class MessageKind(models.TextChoices):
    """What a message is for: a reminder schedule or a strategy step names one."""

    PRE_DUE_REMINDER = "pre_due_reminder", _("Reminder before the due date")
    DUE_TODAY_REMINDER = "due_today_reminder", _("Reminder on the due date")
    OVERDUE_REMINDER = "overdue_reminder", _("Overdue reminder")
    PAYMENT_DEMAND = "payment_demand", _("Request to pay the overdue amount")
    PROMISE_REMINDER = "promise_reminder", _("Reminder of a promise to pay")
    BROKEN_PROMISE = "broken_promise", _("Promise to pay missed")


class MessageTemplate(models.Model):
    """A message for one channel, kind and language; its text is in its versions."""

    channel = models.CharField(_("channel"), max_length=10, choices=Channel.choices)
    kind = models.CharField(_("kind"), max_length=32, choices=MessageKind.choices)
    language = models.CharField(_("language"), max_length=10, choices=settings.LANGUAGES)
    current_version = models.ForeignKey(
        "MessageTemplateVersion",
        verbose_name=_("current version"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    is_active = models.BooleanField(_("in use"), default=True)

    class Meta:
        verbose_name = _("message template")
        verbose_name_plural = _("message templates")
        ordering = ["kind", "channel", "language"]
        constraints = [
            models.UniqueConstraint(fields=["channel", "kind", "language"], name="message_template_channel_kind_lang"),
            models.CheckConstraint(condition=Q(channel__in=MESSAGE_CHANNELS), name="message_template_channel_known"),
        ]

    def __str__(self):
        return f"{self.get_kind_display()} · {self.get_channel_display()} · {self.language}"


class MessageTemplateVersion(models.Model):
    """One saved text of a template; never changed once saved (an edit saves the next number)."""

    template = models.ForeignKey(MessageTemplate, on_delete=models.PROTECT, related_name="versions")
    number = models.PositiveIntegerField(_("version"))
    # E-mail only; SMS and in-app messages have a body alone.
    subject = models.CharField(_("subject"), max_length=200, blank=True)
    body = models.TextField(_("body"), help_text=_("Sandboxed template text (docs/messages.md)."))
    change_note = models.CharField(_("what changed"), max_length=300, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("saved by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    created_at = models.DateTimeField(_("saved at"))

    class Meta:
        verbose_name = _("message template version")
        verbose_name_plural = _("message template versions")
        ordering = ["template", "-number"]
        constraints = [models.UniqueConstraint(fields=["template", "number"], name="message_template_version_number")]

    def __str__(self):
        return f"{self.template} v{self.number}"


class MessageOrigin(models.TextChoices):
    REMINDER = "reminder", _("Reminder schedule")
    STRATEGY = "strategy", _("Strategy step")
    MANUAL = "manual", _("Sent by staff")


class MessageStatus(models.TextChoices):
    QUEUED = "queued", _("Queued")
    SENT = "sent", _("Sent")
    DELIVERED = "delivered", _("Delivered")
    FAILED = "failed", _("Failed")
    SUPPRESSED = "suppressed", _("Suppressed")


class OutboundMessage(models.Model):
    """
    One message to a borrower, from the moment it is decided until its delivery
    report. `idempotency_key` is unique: `reminder:<account>:<rule>:<due date>`
    for a reminder, `step:<step>:<case>:<day>` for a strategy step,
    `manual:<uuid>` for staff's own, so a task retried or run again finds the
    row and sends nothing twice. `scheduled_for` is the first moment the
    borrower's contact hours allow; the sender takes queued rows once it has
    passed and asks the guard again before anything leaves.
    """

    idempotency_key = models.CharField(_("idempotency key"), max_length=120, unique=True)
    origin = models.CharField(_("origin"), max_length=10, choices=MessageOrigin.choices)
    kind = models.CharField(_("kind"), max_length=32, choices=MessageKind.choices)
    channel = models.CharField(_("channel"), max_length=10, choices=Channel.choices)
    language = models.CharField(_("language"), max_length=10, choices=settings.LANGUAGES)
    borrower = models.ForeignKey(Borrower, on_delete=models.PROTECT, related_name="outbound_messages")
    # A reminder before the due date has an account and no case yet; a strategy message has a case.
    case = models.ForeignKey(Case, on_delete=models.PROTECT, null=True, blank=True, related_name="outbound_messages")
    account = models.ForeignKey(
        CreditAccount, on_delete=models.PROTECT, null=True, blank=True, related_name="outbound_messages"
    )
    contact_point = models.ForeignKey(
        ContactPoint, on_delete=models.PROTECT, null=True, blank=True, related_name="outbound_messages"
    )
    template_version = models.ForeignKey(
        MessageTemplateVersion,
        verbose_name=_("template version"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="messages",
    )
    # Which reminder rule or strategy step decided it (collection/reminders, collection/strategies).
    reminder_rule = models.ForeignKey(
        "ReminderRule", on_delete=models.SET_NULL, null=True, blank=True, related_name="messages"
    )
    strategy_step = models.ForeignKey(
        "StrategyStep", on_delete=models.PROTECT, null=True, blank=True, related_name="messages"
    )
    installment_due_on = models.DateField(_("installment due"), null=True, blank=True)

    # What was (or would have been) sent: the recipient and text as rendered, kept as sent.
    recipient = models.CharField(_("recipient"), max_length=254, blank=True)
    subject = models.CharField(_("subject"), max_length=200, blank=True)
    body = models.TextField(_("text"), blank=True)
    segments = models.PositiveSmallIntegerField(_("SMS segments"), default=0)

    status = models.CharField(_("status"), max_length=10, choices=MessageStatus.choices, default=MessageStatus.QUEUED)
    # A suppressed message names the guard's rule (compliance.Rule) or the sender's own reason code.
    suppressed_rule = models.CharField(_("suppressed by"), max_length=40, blank=True)
    # A failure's code (e.g. "provider_4xx", "timeout") and the provider's answer, for support.
    failure_code = models.CharField(_("failure"), max_length=40, blank=True)
    failure_detail = models.CharField(_("provider said"), max_length=500, blank=True)
    provider_message_id = models.CharField(_("provider id"), max_length=100, blank=True)
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)

    created_at = models.DateTimeField(_("queued at"))
    scheduled_for = models.DateTimeField(_("send from"))
    # A sender claims a row by setting this (a conditional update), so two workers never take the same one.
    claimed_until = models.DateTimeField(null=True, blank=True)
    last_attempt_at = models.DateTimeField(_("last attempt"), null=True, blank=True)
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)
    delivered_at = models.DateTimeField(_("delivered at"), null=True, blank=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )

    class Meta:
        verbose_name = _("outbound message")
        verbose_name_plural = _("outbound messages")
        ordering = ["-created_at", "-id"]
        indexes = [
            # The sender's claim: queued rows whose moment has come.
            models.Index(fields=["scheduled_for"], name="message_queued_due_idx", condition=Q(status="queued")),
            models.Index(fields=["case", "-created_at"], name="message_case_recent_idx"),
            models.Index(fields=["borrower", "-created_at"], name="message_borrower_recent_idx"),
            models.Index(fields=["provider_message_id"], name="message_provider_id_idx"),
        ]

    def __str__(self):
        return f"{self.get_channel_display()} {self.get_kind_display()} → {self.borrower_id} ({self.status})"


class DeliveryCallbackReceipt(models.Model):
    """A delivery-status callback already accepted: the same signed body twice is a replay, refused."""

    digest = models.CharField(max_length=64, unique=True)
    received_at = models.DateTimeField()

    class Meta:
        verbose_name = _("delivery callback")
        verbose_name_plural = _("delivery callbacks")
        indexes = [models.Index(fields=["received_at"], name="callback_received_idx")]

    def __str__(self):
        return self.digest


class ReminderRule(models.Model):
    """
    One reminder of a product's schedule: `offset_days` before (negative) or
    after (positive) an installment's due date, on a channel, with the
    template of `kind` in the borrower's language.
    """

    # Blank: the default schedule, which every product without rules of its own follows.
    product = models.ForeignKey(
        "lending.CreditProduct", on_delete=models.CASCADE, null=True, blank=True, related_name="reminder_rules"
    )
    offset_days = models.SmallIntegerField(
        _("days from the due date"), help_text=_("-3 is three days before, 0 the due date, 7 a week after.")
    )
    channel = models.CharField(_("channel"), max_length=10, choices=Channel.choices)
    kind = models.CharField(_("message"), max_length=32, choices=MessageKind.choices)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("reminder")
        verbose_name_plural = _("reminders")
        ordering = ["product", "offset_days", "channel"]
        constraints = [
            models.UniqueConstraint(
                fields=["product", "offset_days", "channel"],
                condition=Q(product__isnull=False),
                name="reminder_rule_once",
            ),
            models.UniqueConstraint(
                fields=["offset_days", "channel"], condition=Q(product__isnull=True), name="reminder_default_rule_once"
            ),
            models.CheckConstraint(condition=Q(channel__in=MESSAGE_CHANNELS), name="reminder_rule_channel_known"),
        ]

    def __str__(self):
        return f"{self.product_id or 'default'}: {self.offset_days:+d} {self.channel}"
