"""Lending's models: intake."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class ImportBatch(models.Model):
    """One file (or API call) from the core system, and what became of it."""

    class Kind(models.TextChoices):
        BORROWERS = "borrowers", _("Borrowers")
        CONTACT_POINTS = "contact_points", _("Contact points")
        ACCOUNTS = "accounts", _("Credit accounts")
        INSTALLMENTS = "installments", _("Installments")
        PAYMENTS = "payments", _("Payments")
        # An outside agency's return file (activities, promises, claimed payments): collection
        # registers its schema and handler with the intake (collection/agencies/exchange.py).
        AGENCY_RETURNS = "agency_returns", _("Agency return file")

    class Source(models.TextChoices):
        UPLOAD = "upload", _("Browser upload")
        COMMAND = "command", _("Management command")
        API = "api", _("Intake API")

    class Status(models.TextChoices):
        # An upload waits for the person who sent it to look at its first rows and apply it.
        PREVIEW = "preview", _("Waiting for confirmation")
        PENDING = "pending", _("Waiting")
        RUNNING = "running", _("Running")
        APPLIED = "applied", _("Applied")
        PARTLY_APPLIED = "partly_applied", _("Applied, bad rows quarantined")
        REJECTED = "rejected", _("Rejected")
        FAILED = "failed", _("Failed")
        CANCELLED = "cancelled", _("Cancelled")

    class Encoding(models.TextChoices):
        """What the sender declares the file (or body) is written in: never guessed."""

        UTF8 = "utf-8", _("UTF-8 (with or without byte-order mark)")
        GB18030 = "gb18030", _("GB18030 (includes GBK and GB2312)")

    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices)
    source = models.CharField(_("source"), max_length=10, choices=Source.choices)
    status = models.CharField(_("status"), max_length=16, choices=Status.choices, default=Status.PENDING)
    file = models.FileField(_("file"), upload_to="imports/%Y/%m/", blank=True)
    original_name = models.CharField(_("file name"), max_length=255, blank=True)
    sha256 = models.CharField(_("SHA-256"), max_length=64, blank=True, db_index=True)
    encoding = models.CharField(_("encoding"), max_length=10, choices=Encoding.choices, default=Encoding.UTF8)
    quarantine_bad_rows = models.BooleanField(
        _("apply good rows, quarantine bad ones"),
        default=False,
        help_text=_("Otherwise a file with any bad row applies nothing."),
    )
    total_rows = models.PositiveIntegerField(_("rows"), default=0)
    processed_rows = models.PositiveIntegerField(_("rows processed"), default=0)
    created_count = models.PositiveIntegerField(_("created"), default=0)
    updated_count = models.PositiveIntegerField(_("updated"), default=0)
    unchanged_count = models.PositiveIntegerField(_("unchanged"), default=0)
    error_count = models.PositiveIntegerField(_("bad rows"), default=0)
    message = models.CharField(_("message"), max_length=500, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("by"), on_delete=models.PROTECT, null=True, blank=True
    )
    created_at = models.DateTimeField(_("started"), auto_now_add=True)
    finished_at = models.DateTimeField(_("finished"), null=True, blank=True)

    class Meta:
        verbose_name = _("import batch")
        verbose_name_plural = _("import batches")
        ordering = ["-created_at", "-id"]

    def __str__(self):
        return f"{self.get_kind_display()} {self.original_name or self.pk}"

    @property
    def progress_percent(self):
        if not self.total_rows:
            return 0
        return min(100, round(100 * self.processed_rows / self.total_rows))


class ImportRowError(models.Model):
    """A bad row of an import: where (row, column), what (value) and why."""

    batch = models.ForeignKey(ImportBatch, on_delete=models.CASCADE, related_name="row_errors")
    row_number = models.PositiveIntegerField(_("row"))
    column = models.CharField(_("column"), max_length=64, blank=True)
    value = models.CharField(_("value"), max_length=300, blank=True)
    reason = models.CharField(_("reason"), max_length=300)
    # The whole raw row, kept for a quarantined row so that it can be fixed and re-sent.
    raw = models.JSONField(_("raw row"), default=dict, blank=True)

    class Meta:
        verbose_name = _("import row error")
        verbose_name_plural = _("import row errors")
        ordering = ["batch", "row_number", "id"]

    def __str__(self):
        return f"row {self.row_number} {self.column}: {self.reason}"


class IntakeToken(models.Model):
    """A token the core system presents to the intake API. Only its SHA-256 is kept."""

    name = models.CharField(_("name"), max_length=100, unique=True)
    key_sha256 = models.CharField(_("key (SHA-256)"), max_length=64, unique=True)
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    last_used_at = models.DateTimeField(_("last used"), null=True, blank=True)

    class Meta:
        verbose_name = _("intake API token")
        verbose_name_plural = _("intake API tokens")

    def __str__(self):
        return self.name
