"""Legal's models: court-ready case bundles."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from legal.models.litigation import LitigationFile


class CourtBundle(models.Model):
    """One build of a file's court bundle: a PDF with its index, exhibits and manifest, built on Celery."""

    class Status(models.TextChoices):
        QUEUED = "queued", _("Queued")
        RUNNING = "running", _("Building")
        DONE = "done", _("Ready")
        FAILED = "failed", _("Failed")

    file = models.ForeignKey(LitigationFile, on_delete=models.CASCADE, related_name="bundles")
    language = models.CharField(_("language"), max_length=10, choices=settings.LANGUAGES)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.QUEUED)
    # What the build is doing, for the progress bar: a step code and a share done (0–100).
    step = models.CharField(_("step"), max_length=24, blank=True)
    progress = models.PositiveSmallIntegerField(_("progress"), default=0)
    pdf = models.FileField(_("bundle"), upload_to="legal/bundles/%Y/%m/", blank=True)
    sha256 = models.CharField(_("SHA-256"), max_length=64, blank=True)
    pages = models.PositiveIntegerField(_("pages"), default=0)
    # The sections and exhibits with their page ranges and hashes: [{"kind", "title", "first", "last", "sha256"}].
    manifest = models.JSONField(default=list, blank=True)
    error = models.CharField(_("problem"), max_length=300, blank=True)
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    requested_at = models.DateTimeField(_("requested at"))
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)
    task_id = models.CharField(max_length=64, blank=True)

    class Meta:
        verbose_name = _("court bundle")
        verbose_name_plural = _("court bundles")
        ordering = ["-requested_at", "-id"]

    def __str__(self):
        return f"{self.file} ({self.requested_at:%Y-%m-%d %H:%M})"
