"""Collection's models: field visits."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from collection.models.cases import Case
from collection.models.contacts import AnsweredBy, ContactAttempt, Outcome
from lending.models import ContactPoint


class VisitStatus(models.TextChoices):
    REQUESTED = "requested", _("Requested")
    SCHEDULED = "scheduled", _("Scheduled")
    REJECTED = "rejected", _("Rejected")
    DONE = "done", _("Reported")
    CANCELLED = "cancelled", _("Cancelled")


class FieldVisit(models.Model):
    """上门: a visit to the borrower's home or work, requested by a collector, approved and assigned by a team lead."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="visits")
    status = models.CharField(_("status"), max_length=12, choices=VisitStatus.choices, default=VisitStatus.REQUESTED)
    address = models.CharField(_("address"), max_length=300)
    contact_point = models.ForeignKey(ContactPoint, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    province = models.CharField(_("province"), max_length=50, blank=True)
    city = models.CharField(_("city"), max_length=50, blank=True)
    district = models.CharField(_("district"), max_length=50, blank=True)
    reason = models.CharField(_("reason"), max_length=300)
    preferred_on = models.DateField(_("preferred date"), null=True, blank=True)
    requested_at = models.DateTimeField(_("requested at"))
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    agent = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("field agent"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="field_visits",
    )
    scheduled_on = models.DateField(_("scheduled on"), null=True, blank=True)
    # The report.
    visited_at = models.DateTimeField(_("visited at"), null=True, blank=True)
    met = models.CharField(_("met"), max_length=12, choices=AnsweredBy.choices, blank=True)
    outcome = models.CharField(_("outcome"), max_length=24, choices=Outcome.choices, blank=True)
    was_recorded = models.BooleanField(_("recorded on audio/video"), default=False)
    report_notes = models.TextField(_("report"), blank=True)
    contact = models.OneToOneField(
        ContactAttempt, on_delete=models.SET_NULL, null=True, blank=True, related_name="visit"
    )

    class Meta:
        verbose_name = _("field visit")
        verbose_name_plural = _("field visits")
        ordering = ["scheduled_on", "district", "id"]
        indexes = [models.Index(fields=["agent", "scheduled_on"], name="visit_agent_day_idx")]

    def __str__(self):
        return f"{self.case_id}: {self.address}"


class VisitAttachment(models.Model):
    class Kind(models.TextChoices):
        PHOTO = "photo", _("Photo")
        AUDIO = "audio", _("Audio recording")
        VIDEO = "video", _("Video recording")

    visit = models.ForeignKey(FieldVisit, on_delete=models.CASCADE, related_name="attachments")
    kind = models.CharField(_("kind"), max_length=8, choices=Kind.choices)
    file = models.FileField(_("file"), upload_to="collection/visits/%Y/%m/")
    uploaded_at = models.DateTimeField(_("uploaded at"), auto_now_add=True)

    def __str__(self):
        return f"{self.get_kind_display()} ({self.visit_id})"
