"""Collection's models: contacts."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from collection.models.cases import Case
from lending.models import Borrower, ContactPoint


class Channel(models.TextChoices):
    CALL = "call", _("Call")
    SMS = "sms", _("SMS")
    EMAIL = "email", _("E-mail")
    VISIT = "visit", _("Visit")
    LETTER = "letter", _("Letter")
    IN_APP = "in_app", _("In-app message")


class AnsweredBy(models.TextChoices):
    BORROWER = "borrower", _("Borrower")
    THIRD_PARTY = "third_party", _("Third party")
    NOBODY = "nobody", _("Nobody")


class Outcome(models.TextChoices):
    RIGHT_PARTY_CONTACT = "rpc", _("Right party contact")
    NO_ANSWER = "no_answer", _("No answer")
    BUSY = "busy", _("Busy")
    WRONG_NUMBER = "wrong_number", _("Wrong number")
    SWITCHED_OFF = "switched_off", _("Switched off")
    REFUSED_TO_PAY = "refused_to_pay", _("Refused to pay")
    PROMISED = "promised", _("Promised to pay")
    DISPUTES = "disputes", _("Disputes the debt")
    REFUSES_CONTACT = "refuses_contact", _("Asks us to stop contacting them")
    REPORTS_DECEASED = "reports_deceased", _("Reports the borrower deceased")
    CLAIMS_HARDSHIP = "claims_hardship", _("Claims hardship")
    CALL_BACK = "call_back", _("Asks for a call back")
    THIRD_PARTY_REACHED = "third_party_reached", _("Third party reached")
    THIRD_PARTY_REFUSED = "third_party_refused", _("Third party refuses contact")
    MESSAGE_SENT = "message_sent", _("Message sent")


class Direction(models.TextChoices):
    OUTBOUND = "outbound", _("Outbound")
    INBOUND = "inbound", _("Inbound (the borrower called)")


class ContactAttempt(models.Model):
    """
    One contact or attempt, whatever the channel. The compliance guard counts
    these per borrower (across cases, collectors and agencies).
    """

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="contacts")
    borrower = models.ForeignKey(Borrower, on_delete=models.PROTECT, related_name="contact_attempts")
    contact_point = models.ForeignKey(
        ContactPoint, on_delete=models.PROTECT, null=True, blank=True, related_name="contact_attempts"
    )
    channel = models.CharField(_("channel"), max_length=10, choices=Channel.choices)
    direction = models.CharField(_("direction"), max_length=10, choices=Direction.choices, default=Direction.OUTBOUND)
    answered_by = models.CharField(_("answered by"), max_length=12, choices=AnsweredBy.choices)
    outcome = models.CharField(_("outcome"), max_length=24, choices=Outcome.choices)
    duration_seconds = models.PositiveIntegerField(_("duration (seconds)"), default=0)
    notes = models.TextField(_("notes"), blank=True)
    occurred_at = models.DateTimeField(_("when"))
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("by"), on_delete=models.PROTECT, null=True, blank=True
    )

    class Meta:
        verbose_name = _("contact")
        verbose_name_plural = _("contacts")
        ordering = ["-occurred_at", "-id"]
        indexes = [
            models.Index(fields=["borrower", "-occurred_at"], name="contact_borrower_recent_idx"),
            models.Index(fields=["case", "-occurred_at"], name="contact_case_recent_idx"),
        ]

    def __str__(self):
        return f"{self.get_channel_display()} {self.get_outcome_display()} ({self.case_id})"

    @property
    def connected(self) -> bool:
        return self.answered_by != AnsweredBy.NOBODY


class ContactRefusal(models.Model):
    """
    A contact the compliance guard refused when someone (or an automatic job)
    was about to make it: who, which case and contact point, on which
    channel, the refusing rule and when. Written by the guard's entry point
    (`compliance.contact_require`), kept even though the refused action was
    rolled back; the passive verdicts shown on the case page are not attempts
    and write nothing.
    """

    # Blank for a message about an account not (yet) in a case: a reminder before the due date.
    case = models.ForeignKey(Case, on_delete=models.PROTECT, null=True, blank=True, related_name="contact_refusals")
    borrower = models.ForeignKey(Borrower, on_delete=models.PROTECT, related_name="contact_refusals")
    contact_point = models.ForeignKey(
        ContactPoint, on_delete=models.PROTECT, null=True, blank=True, related_name="contact_refusals"
    )
    channel = models.CharField(_("channel"), max_length=10, choices=Channel.choices)
    rule = models.CharField(_("rule"), max_length=40)
    reason = models.TextField(_("reason"))
    action = models.CharField(_("attempted action"), max_length=40)
    refused_at = models.DateTimeField(_("refused at"))
    contact_at = models.DateTimeField(_("contact asked about"))
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )

    class Meta:
        verbose_name = _("contact refusal")
        verbose_name_plural = _("contact refusals")
        ordering = ["-refused_at", "-id"]
        indexes = [
            models.Index(fields=["-refused_at"], name="refusal_recent_idx"),
            models.Index(fields=["rule", "-refused_at"], name="refusal_rule_idx"),
            models.Index(fields=["actor", "-refused_at"], name="refusal_actor_idx"),
            models.Index(fields=["case", "-refused_at"], name="refusal_case_idx"),
        ]

    def __str__(self):
        return f"{self.rule} {self.get_channel_display()} ({self.case_id})"
