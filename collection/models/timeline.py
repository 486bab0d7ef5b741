"""Collection's models: the timeline."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from collection.models.cases import Case


class EventKind(models.TextChoices):
    CONTACT = "contact", _("Contact")
    MESSAGE = "message", _("Message")
    LETTER = "letter", _("Letter")
    VISIT = "visit", _("Visit")
    NOTE = "note", _("Note")
    PROMISE = "promise", _("Promise")
    ARRANGEMENT = "arrangement", _("Arrangement")
    HOLD = "hold", _("Hold")
    STAGE = "stage", _("Stage")
    ASSIGNMENT = "assignment", _("Assignment")
    STATUS = "status", _("Status")
    ACCOUNT = "account", _("Account")
    PAYMENT = "payment", _("Payment")
    HARDSHIP = "hardship", _("Hardship")
    COMPLIANCE = "compliance", _("Compliance")


class CaseEvent(models.Model):
    """One line of a case's timeline, written by the service that did the thing."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="events")
    occurred_at = models.DateTimeField(_("when"))
    kind = models.CharField(_("kind"), max_length=12, choices=EventKind.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("by"), on_delete=models.PROTECT, null=True, blank=True
    )
    # What happened, as a stable code (collection/events.py) and its facts; the
    # sentence is rendered for each reader (collection/timeline.py).
    code = models.CharField(_("code"), max_length=40, blank=True, default="", db_default="")
    data = models.JSONField(default=dict, blank=True)
    notes = models.TextField(_("notes"), blank=True)
    # Only events of old versions without a code carry a sentence here, in
    # their writer's language: the timeline shows it when nothing else can be read.
    summary = models.CharField(_("what"), max_length=300, blank=True, default="", db_default="")

    class Meta:
        verbose_name = _("case event")
        verbose_name_plural = _("case events")
        ordering = ["-occurred_at", "-id"]
        indexes = [models.Index(fields=["case", "-occurred_at"], name="case_event_timeline_idx")]

    def __str__(self):
        return f"{self.case_id}: {self.code or self.summary}"
