"""Legal's models: letter templates and their versions, generated letters, letter batches."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from collection.models import Case
from lending.models import CreditAccount


class LetterKind(models.TextChoices):
    OVERDUE_NOTICE = "overdue_notice", _("Overdue notice")
    FORMAL_DEMAND = "formal_demand", _("Formal demand")
    FINAL_NOTICE = "final_notice", _("Final notice before legal action")
    LAWYERS_LETTER = "lawyers_letter", _("Lawyer's letter")
    SETTLEMENT_OFFER = "settlement_offer", _("Settlement offer")
    ARRANGEMENT_CONFIRMATION = "arrangement_confirmation", _("Arrangement confirmation")
    PAYOFF_CERTIFICATE = "payoff_certificate", _("Payoff certificate")
    ASSIGNMENT_NOTICE = "assignment_notice", _("Notice of assignment of the debt")


# Letters that mention suing: refused on a time-barred debt (the guard's time_barred rule).
THREATENING_KINDS = frozenset({LetterKind.FINAL_NOTICE, LetterKind.LAWYERS_LETTER})
# Letters the law requires the lender to send: they pass a cease-contact request or a dispute hold.
LEGALLY_REQUIRED_KINDS = frozenset({LetterKind.PAYOFF_CERTIFICATE, LetterKind.ASSIGNMENT_NOTICE})
# Letters that demand payment: each restarts the limitation period (Civil Code art. 195).
DEMAND_KINDS = frozenset(
    {LetterKind.OVERDUE_NOTICE, LetterKind.FORMAL_DEMAND, LetterKind.FINAL_NOTICE, LetterKind.LAWYERS_LETTER}
)


class LetterTemplate(models.Model):
    """A kind of letter in one language; its text lives in its versions, the newest being current."""

    kind = models.CharField(_("kind"), max_length=32, choices=LetterKind.choices)
    language = models.CharField(_("language"), max_length=10, choices=settings.LANGUAGES)
    current_version = models.ForeignKey(
        "LetterTemplateVersion",
        verbose_name=_("current version"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )

    class Meta:
        verbose_name = _("letter template")
        verbose_name_plural = _("letter templates")
        ordering = ["kind", "language"]
        constraints = [models.UniqueConstraint(fields=["kind", "language"], name="letter_template_kind_language")]

    def __str__(self):
        return f"{self.get_kind_display()} ({self.language})"


class LetterTemplateVersion(models.Model):
    """One saved text of a template. Never edited: a save makes the next version."""

    template = models.ForeignKey(LetterTemplate, on_delete=models.PROTECT, related_name="versions")
    number = models.PositiveIntegerField(_("version"))
    subject = models.CharField(_("subject"), max_length=200)
    body = models.TextField(_("body"), help_text=_("Sandboxed template text (docs/letters.md)."))
    change_note = models.CharField(_("what changed"), max_length=300, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    created_at = models.DateTimeField(_("saved at"))

    class Meta:
        verbose_name = _("letter template version")
        verbose_name_plural = _("letter template versions")
        ordering = ["template", "-number"]
        constraints = [models.UniqueConstraint(fields=["template", "number"], name="letter_template_version_number")]

    def __str__(self):
        return f"{self.template} v{self.number}"


def document_upload_to(instance, filename: str) -> str:
    return f"legal/letters/{instance.issued_on:%Y/%m}/{filename}"


class LetterBatch(models.Model):
    """Letters of one kind for many cases, generated on Celery; ends in a ZIP and one merged PDF."""

    class Status(models.TextChoices):
        QUEUED = "queued", _("Queued")
        RUNNING = "running", _("Running")
        DONE = "done", _("Done")
        FAILED = "failed", _("Failed")

    kind = models.CharField(_("kind"), max_length=32, choices=LetterKind.choices)
    issued_on = models.DateField(_("letter date"))
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.QUEUED)
    total = models.PositiveIntegerField(_("letters"), default=0)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("by"), on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(_("started"))
    finished_at = models.DateTimeField(_("finished"), null=True, blank=True)
    zip_file = models.FileField(_("letters (ZIP)"), upload_to="legal/batches/%Y/%m/", blank=True)
    merged_file = models.FileField(_("letters for printing (PDF)"), upload_to="legal/batches/%Y/%m/", blank=True)
    task_id = models.CharField(max_length=64, blank=True)

    class Meta:
        verbose_name = _("letter batch")
        verbose_name_plural = _("letter batches")
        ordering = ["-created_at", "-id"]

    def __str__(self):
        return f"B-{self.pk:06d}"


class LetterBatchItem(models.Model):
    """One case of a batch: waiting, done (with its letter), skipped (already sent today) or failed (why)."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Waiting")
        DONE = "done", _("Generated")
        SKIPPED = "skipped", _("Already sent today")
        FAILED = "failed", _("Failed")

    batch = models.ForeignKey(LetterBatch, on_delete=models.CASCADE, related_name="items")
    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="+")
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.PENDING)
    document = models.ForeignKey("Document", on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    # Why it failed: the guard's rule (or a problem code) and its reason, in the facts' language-free form.
    error_code = models.CharField(_("problem"), max_length=40, blank=True)
    error_data = models.JSONField(default=dict, blank=True)

    class Meta:
        verbose_name = _("letter in a batch")
        verbose_name_plural = _("letters in a batch")
        ordering = ["batch", "id"]
        constraints = [models.UniqueConstraint(fields=["batch", "case"], name="letter_batch_item_once")]

    def __str__(self):
        return f"{self.batch}: {self.case_id}"


class Document(models.Model):
    """
    A generated letter, immutable once stored: its file, its SHA-256, the exact
    template version and language it came from, who made it and when. One per
    case, kind and day (the unique key a re-run batch meets).
    """

    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="documents")
    account = models.ForeignKey(CreditAccount, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    kind = models.CharField(_("kind"), max_length=32, choices=LetterKind.choices)
    issued_on = models.DateField(_("letter date"))
    template_version = models.ForeignKey(
        LetterTemplateVersion, verbose_name=_("template version"), on_delete=models.PROTECT, related_name="documents"
    )
    language = models.CharField(_("language"), max_length=10, choices=settings.LANGUAGES)
    file = models.FileField(_("file"), upload_to=document_upload_to)
    sha256 = models.CharField(_("SHA-256"), max_length=64)
    size = models.PositiveIntegerField(_("bytes"))
    pages = models.PositiveIntegerField(_("pages"), default=1)
    # The amounts the letter states, as facts (strings with the currency), for the court bundle and the timeline.
    facts = models.JSONField(default=dict, blank=True)
    batch = models.ForeignKey(LetterBatch, on_delete=models.SET_NULL, null=True, blank=True, related_name="documents")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    created_at = models.DateTimeField(_("generated at"))

    class Meta:
        verbose_name = _("letter")
        verbose_name_plural = _("letters")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["case", "kind", "issued_on"], name="document_one_per_case_kind_day")
        ]
        indexes = [models.Index(fields=["case", "kind", "-issued_on"], name="document_case_kind_idx")]

    def __str__(self):
        return f"{self.get_kind_display()} {self.case_id} {self.issued_on}"

    @property
    def filename(self) -> str:
        return f"{self.case.number}-{self.kind}-{self.issued_on:%Y%m%d}.pdf"


__all__ = [
    "DEMAND_KINDS",
    "LEGALLY_REQUIRED_KINDS",
    "THREATENING_KINDS",
    "Document",
    "LetterBatch",
    "LetterBatchItem",
    "LetterKind",
    "LetterTemplate",
    "LetterTemplateVersion",
]
