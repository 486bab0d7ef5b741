"""Legal's models: litigation files, their hearings, costs, judgment, enforcement and evidence."""

from django.conf import settings
from django.core.files.storage import storages
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from collection.models import Case, Stage
from lending.models import Payment, money_field


class FileStatus(models.TextChoices):
    REFERRED = "referred", _("Referred")
    AWAITING_APPROVAL = "awaiting_approval", _("Awaiting a manager's approval")
    ACCEPTED = "accepted", _("Accepted")
    REJECTED = "rejected", _("Rejected")
    PREPARING = "preparing", _("Preparing")
    FILED = "filed", _("Filed")
    HEARING_SCHEDULED = "hearing_scheduled", _("Hearing scheduled")
    JUDGMENT = "judgment", _("Judgment")
    ENFORCEMENT = "enforcement", _("Enforcement")
    CLOSED_WON = "closed_won", _("Closed: won")
    CLOSED_LOST = "closed_lost", _("Closed: lost")
    CLOSED_SETTLED = "closed_settled", _("Closed: settled")
    CLOSED_WITHDRAWN = "closed_withdrawn", _("Closed: withdrawn")


# A file in one of these is over; a case has at most one file that is not.
ENDED_STATUSES = frozenset(
    {
        FileStatus.REJECTED,
        FileStatus.CLOSED_WON,
        FileStatus.CLOSED_LOST,
        FileStatus.CLOSED_SETTLED,
        FileStatus.CLOSED_WITHDRAWN,
    }
)


class LitigationFile(models.Model):
    """
    A case on its way to (or through) court: `L-<year>-<id, six digits>`.
    Every move of its status is a service (legal/services/files.py) that
    writes the case timeline; the claim is computed from the accounts when
    the file is accepted and again whenever the officer refreshes it.
    """

    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="litigation_files")
    status = models.CharField(_("status"), max_length=20, choices=FileStatus.choices, default=FileStatus.REFERRED)
    # The referral.
    referred_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("referred by"), on_delete=models.PROTECT, related_name="+"
    )
    referred_at = models.DateTimeField(_("referred at"))
    referral_note = models.TextField(_("why refer"), blank=True)
    # The checklist as it stood when the case was referred: [{"code", "passed", "data"}].
    checklist = models.JSONField(_("checklist"), default=list, blank=True)
    stage_before = models.CharField(_("stage before"), max_length=12, choices=Stage.choices, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("decided by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    decision_note = models.TextField(_("reasons"), blank=True)
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("approved by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    approved_at = models.DateTimeField(_("approved at"), null=True, blank=True)
    # Who works it.
    legal_officer = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("legal officer"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="litigation_files",
    )
    outside_lawyer = models.CharField(_("outside lawyer"), max_length=200, blank=True)
    # The court.
    court = models.CharField(_("court"), max_length=200, blank=True)
    court_case_number = models.CharField(_("court case number"), max_length=80, blank=True)
    filed_on = models.DateField(_("filed on"), null=True, blank=True)
    next_deadline_on = models.DateField(_("next deadline"), null=True, blank=True)
    # The claim, computed from the accounts (penalty within the legal cap).
    currency = models.CharField(_("currency"), max_length=3, default="CNY")
    claim_principal = money_field(_("principal"))
    claim_interest = money_field(_("interest"))
    claim_penalty = money_field(_("penalty"))
    claim_fees = money_field(_("fees"))
    claim_total = money_field(_("claim"))
    court_fee_estimate = money_field(_("court fee estimate"))
    claim_computed_on = models.DateField(_("claim computed on"), null=True, blank=True)
    closed_on = models.DateField(_("closed on"), null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("litigation file")
        verbose_name_plural = _("litigation files")
        ordering = ["-referred_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["case"],
                condition=~Q(
                    status__in=["rejected", "closed_won", "closed_lost", "closed_settled", "closed_withdrawn"]
                ),
                name="litigation_one_open_file_per_case",
            ),
        ]
        indexes = [models.Index(fields=["status", "next_deadline_on"], name="litigation_queue_idx")]

    def __str__(self):
        return self.number

    @property
    def number(self) -> str:
        return f"L-{self.referred_at.year}-{self.pk:06d}"

    @property
    def is_open(self) -> bool:
        return self.status not in ENDED_STATUSES


class FileStatusChange(models.Model):
    """The status history of a file: what the workspace and the bundle's cover read."""

    file = models.ForeignKey(LitigationFile, on_delete=models.CASCADE, related_name="status_changes")
    from_status = models.CharField(_("from"), max_length=20, choices=FileStatus.choices, blank=True)
    to_status = models.CharField(_("to"), max_length=20, choices=FileStatus.choices)
    changed_at = models.DateTimeField(_("changed at"))
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    note = models.TextField(_("note"), blank=True)

    class Meta:
        verbose_name = _("file status change")
        verbose_name_plural = _("file status changes")
        ordering = ["file", "changed_at", "id"]

    def __str__(self):
        return f"{self.file_id}: {self.from_status} -> {self.to_status}"


class Hearing(models.Model):
    class Outcome(models.TextChoices):
        PENDING = "pending", _("To be held")
        ADJOURNED = "adjourned", _("Adjourned")
        HELD = "held", _("Held")
        JUDGMENT_RESERVED = "judgment_reserved", _("Judgment reserved")
        SETTLED = "settled", _("Settled in court")

    file = models.ForeignKey(LitigationFile, on_delete=models.CASCADE, related_name="hearings")
    starts_at = models.DateTimeField(_("date and time"))
    place = models.CharField(_("place"), max_length=200)
    outcome = models.CharField(_("outcome"), max_length=20, choices=Outcome.choices, default=Outcome.PENDING)
    notes = models.TextField(_("notes"), blank=True)

    class Meta:
        verbose_name = _("hearing")
        verbose_name_plural = _("hearings")
        ordering = ["file", "starts_at"]

    def __str__(self):
        return f"{self.file_id}: {self.starts_at:%Y-%m-%d}"


class LegalCost(models.Model):
    class Kind(models.TextChoices):
        COURT_FEE = "court_fee", _("Court fee")
        LAWYER_FEE = "lawyer_fee", _("Lawyer's fee")
        OTHER = "other", _("Other")

    file = models.ForeignKey(LitigationFile, on_delete=models.CASCADE, related_name="costs")
    kind = models.CharField(_("kind"), max_length=12, choices=Kind.choices)
    amount = money_field(_("amount"))
    incurred_on = models.DateField(_("date"))
    note = models.CharField(_("note"), max_length=300, blank=True)

    class Meta:
        verbose_name = _("legal cost")
        verbose_name_plural = _("legal costs")
        ordering = ["file", "incurred_on", "id"]
        constraints = [models.CheckConstraint(condition=Q(amount__gt=0), name="legal_cost_positive")]

    def __str__(self):
        return f"{self.get_kind_display()} {self.amount}"


class Judgment(models.Model):
    file = models.OneToOneField(LitigationFile, on_delete=models.CASCADE, related_name="judgment")
    judged_on = models.DateField(_("judgment date"))
    in_favour = models.BooleanField(_("in our favour"), default=True)
    principal = money_field(_("principal awarded"))
    interest = money_field(_("interest awarded"))
    penalty = money_field(_("penalty awarded"))
    fees = money_field(_("fees awarded"))
    costs = money_field(_("costs awarded"))
    total = money_field(_("total awarded"))
    appeal_deadline_on = models.DateField(_("appeal deadline"), null=True, blank=True)
    notes = models.TextField(_("notes"), blank=True)

    class Meta:
        verbose_name = _("judgment")
        verbose_name_plural = _("judgments")

    def __str__(self):
        return f"{self.file_id}: {self.judged_on}"


class Enforcement(models.Model):
    class Status(models.TextChoices):
        APPLIED = "applied", _("Applied for")
        IN_PROGRESS = "in_progress", _("In progress")
        COMPLETED = "completed", _("Completed")
        TERMINATED = "terminated", _("Terminated without full recovery")

    file = models.ForeignKey(LitigationFile, on_delete=models.CASCADE, related_name="enforcements")
    applied_on = models.DateField(_("applied on"))
    court_reference = models.CharField(_("enforcement case number"), max_length=80, blank=True)
    status = models.CharField(_("status"), max_length=12, choices=Status.choices, default=Status.APPLIED)

    class Meta:
        verbose_name = _("enforcement")
        verbose_name_plural = _("enforcements")
        ordering = ["file", "applied_on", "id"]

    def __str__(self):
        return f"{self.file_id}: {self.applied_on}"


class EnforcementRecovery(models.Model):
    """An amount the court recovered: booked as a payment with the channel "court enforcement"."""

    enforcement = models.ForeignKey(Enforcement, on_delete=models.CASCADE, related_name="recoveries")
    payment = models.OneToOneField(Payment, on_delete=models.PROTECT, related_name="+")
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField(_("recorded at"))

    class Meta:
        verbose_name = _("amount recovered by enforcement")
        verbose_name_plural = _("amounts recovered by enforcement")

    def __str__(self):
        return f"{self.enforcement_id}: {self.payment_id}"


def _evidence_storage():
    # Outside MEDIA_ROOT's web-served tree: evidence is served only by a permission-checked view.
    return storages["evidence"]


def evidence_upload_to(instance, filename: str) -> str:
    return f"{instance.file_id}/{instance.sha256[:2]}/{instance.sha256}{instance.extension}"


class Evidence(models.Model):
    class Kind(models.TextChoices):
        CONTRACT = "contract", _("Signed contract")
        IDENTITY = "identity", _("Identity document")
        DELIVERY_PROOF = "delivery_proof", _("Proof of delivery")
        STATEMENT = "statement", _("Statement or record")
        OTHER = "other", _("Other")

    file = models.ForeignKey(LitigationFile, on_delete=models.CASCADE, related_name="evidence")
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices)
    name = models.CharField(_("name"), max_length=200)
    source = models.CharField(_("source"), max_length=200, blank=True)
    proves = models.CharField(_("what it proves"), max_length=300, blank=True)
    position = models.PositiveSmallIntegerField(_("order"), default=0)
    stored = models.FileField(_("file"), storage=_evidence_storage, upload_to=evidence_upload_to)
    original_name = models.CharField(_("uploaded as"), max_length=255)
    content_type = models.CharField(_("type"), max_length=60)
    extension = models.CharField(max_length=8)
    size = models.PositiveIntegerField(_("bytes"))
    sha256 = models.CharField(_("SHA-256"), max_length=64)
    pages = models.PositiveIntegerField(_("pages"), default=1)
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    uploaded_at = models.DateTimeField(_("uploaded at"))

    class Meta:
        verbose_name = _("evidence")
        verbose_name_plural = _("evidence")
        ordering = ["file", "position", "id"]

    def __str__(self):
        return self.name
