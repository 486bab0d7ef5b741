"""
Collection's models: outside collection agencies (第三方催收合作), their
contracts and the cases placed with them.

A manager keeps the agencies and their contracts; a placement batch places
cases with one agency under one contract; each placed case is a Placement,
active until it is recalled (by hand, at the end of the placement period, or
forced by an event). While a placement is active the case is in the agency
stage and `Case.agency` names the agency, so the agency's queue is one index
scan and the lender's queues leave the case out.

Payments received while a case is placed are attributed to the placement
(CommissionLine, one per payment, a second negative one when the payment is
reversed); a monthly CommissionStatement per agency lists them. What an
agency claims it collected (its return file) is a ClaimedPayment, matched
against real payments, never booked from the agency's word.

collection/agencies/ holds the services and selectors; this module only the data.
"""

import datetime

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from collection.models.cases import Case, Stage
from lending.models import CreditProduct, Payment, money_field

# The industry guideline asks for an evaluation of each agency at least yearly (and before renewal).
EVALUATION_INTERVAL_DAYS = 365


class AgencyStatus(models.TextChoices):
    ACTIVE = "active", _("Active")
    SUSPENDED = "suspended", _("Suspended")
    TERMINATED = "terminated", _("Terminated")


class Agency(models.Model):
    code = models.CharField(_("code"), max_length=20, unique=True)
    name = models.CharField(_("name"), max_length=200)
    licence_number = models.CharField(_("licence number"), max_length=64, blank=True)
    # The unified social credit code (统一社会信用代码) of a Chinese company.
    registration_number = models.CharField(_("registration number"), max_length=64, blank=True)
    contact_name = models.CharField(_("contact person"), max_length=120, blank=True)
    contact_phone = models.CharField(_("contact phone"), max_length=40, blank=True)
    contact_email = models.EmailField(_("contact e-mail"), blank=True)
    address = models.CharField(_("address"), max_length=300, blank=True)
    status = models.CharField(_("status"), max_length=12, choices=AgencyStatus.choices, default=AgencyStatus.ACTIVE)
    # Written by the evaluation service from the latest AgencyEvaluation.
    last_evaluated_on = models.DateField(_("last evaluated"), null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("agency")
        verbose_name_plural = _("agencies")
        ordering = ["name", "id"]

    def __str__(self):
        return self.name

    @property
    def evaluation_due_on(self) -> datetime.date | None:
        """When the next evaluation is due: a year after the last; None if never evaluated (due now)."""
        if self.last_evaluated_on is None:
            return None
        return self.last_evaluated_on + datetime.timedelta(days=EVALUATION_INTERVAL_DAYS)


class EvaluationOutcome(models.TextChoices):
    APPROVED = "approved", _("Approved")
    CONDITIONAL = "conditional", _("Approved with conditions")
    FAILED = "failed", _("Failed")


class AgencyEvaluation(models.Model):
    """One periodic evaluation of an agency (its compliance, complaints, results)."""

    agency = models.ForeignKey(Agency, on_delete=models.CASCADE, related_name="evaluations")
    evaluated_on = models.DateField(_("evaluated on"))
    outcome = models.CharField(_("outcome"), max_length=12, choices=EvaluationOutcome.choices)
    notes = models.TextField(_("notes"), blank=True)
    evaluated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("by"), on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("agency evaluation")
        verbose_name_plural = _("agency evaluations")
        ordering = ["agency", "-evaluated_on", "-id"]

    def __str__(self):
        return f"{self.agency_id} {self.evaluated_on}"


class AgencyField(models.TextChoices):
    """The borrower's details a contract may let the agency see (the name and the amounts always show)."""

    PHONE = "phone", _("The borrower's phone numbers")
    EMAIL = "email", _("The borrower's e-mail addresses")
    ADDRESS = "address", _("The borrower's home and work addresses")
    EMPLOYER = "employer", _("The borrower's employer")
    DATE_OF_BIRTH = "date_of_birth", _("The borrower's date of birth")
    THIRD_PARTIES = "third_parties", _("Third-party contacts (relatives, colleagues)")


class TierBasis(models.TextChoices):
    BUCKET = "bucket", _("Bucket at placement")
    DAYS_PLACED = "days_placed", _("Days since placement")


class AgencyContract(models.Model):
    """The terms one agency works placed cases under, from `starts_on` to `ends_on`."""

    agency = models.ForeignKey(Agency, on_delete=models.CASCADE, related_name="contracts")
    reference = models.CharField(_("reference"), max_length=40)
    starts_on = models.DateField(_("starts on"))
    ends_on = models.DateField(_("ends on"))
    currency = models.CharField(_("currency"), max_length=3, default="CNY")
    tier_basis = models.CharField(_("commission tiers by"), max_length=12, choices=TierBasis.choices)
    # A fee per case placed, on top of the commission.
    flat_fee_per_case = money_field(_("flat fee per case placed"))
    placement_days = models.PositiveSmallIntegerField(_("placement period (days)"), default=90)
    max_caseload = models.PositiveIntegerField(_("maximum active placements"), default=1000)
    # Province names as on the borrower (empty: every region).
    regions = models.JSONField(_("regions"), default=list, blank=True)
    # Empty: every product.
    products = models.ManyToManyField(CreditProduct, verbose_name=_("products"), blank=True, related_name="+")
    # AgencyField codes the agency may see.
    visible_fields = models.JSONField(_("borrower details shown"), default=list, blank=True)
    notes = models.TextField(_("notes"), blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("agency contract")
        verbose_name_plural = _("agency contracts")
        ordering = ["agency", "-starts_on", "id"]
        constraints = [
            models.UniqueConstraint(fields=["agency", "reference"], name="agency_contract_reference_unique"),
            models.CheckConstraint(condition=Q(ends_on__gte=models.F("starts_on")), name="agency_contract_dates"),
        ]

    def __str__(self):
        return f"{self.agency} {self.reference}"

    def in_force_on(self, day: datetime.date) -> bool:
        return self.starts_on <= day <= self.ends_on


class CommissionTier(models.Model):
    """
    One commission rate of a contract. By bucket: `bucket` names the bucket at
    placement ("M1", "M4" ...; blank matches any bucket no other tier names). By days since
    placement: the tier covers `min_days` to `max_days` (inclusive; no max: open-ended).
    """

    contract = models.ForeignKey(AgencyContract, on_delete=models.CASCADE, related_name="tiers")
    bucket = models.CharField(_("bucket"), max_length=8, blank=True)
    min_days = models.PositiveIntegerField(_("from day"), null=True, blank=True)
    max_days = models.PositiveIntegerField(_("to day"), null=True, blank=True)
    rate = models.DecimalField(_("commission rate"), max_digits=5, decimal_places=4)

    class Meta:
        verbose_name = _("commission tier")
        verbose_name_plural = _("commission tiers")
        ordering = ["contract", "min_days", "bucket", "id"]
        constraints = [
            models.CheckConstraint(condition=Q(rate__gte=0, rate__lte=1), name="commission_tier_rate_range"),
        ]

    def __str__(self):
        return f"{self.contract_id} {self.bucket or self.min_days} {self.rate}"


class AgencyMember(models.Model):
    """Which agency a user of the agency role works for; a supervisor sees the agency's agents' work."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="agency_membership")
    agency = models.ForeignKey(Agency, on_delete=models.PROTECT, related_name="members")
    is_supervisor = models.BooleanField(_("supervisor"), default=False)

    class Meta:
        verbose_name = _("agency member")
        verbose_name_plural = _("agency members")
        ordering = ["agency", "user"]

    def __str__(self):
        return f"{self.user_id} @ {self.agency_id}"


class AllocationRule(models.TextChoices):
    SINGLE = "single", _("One agency")
    ROUND_ROBIN = "round_robin", _("Round-robin")
    BY_REGION = "by_region", _("By region")
    BY_PERFORMANCE = "by_performance", _("By past performance")


class PlacementBatch(models.Model):
    """Cases placed with one agency at once. Its number is `P-<year>-<id, five digits>`."""

    agency = models.ForeignKey(Agency, on_delete=models.PROTECT, related_name="batches")
    contract = models.ForeignKey(AgencyContract, on_delete=models.PROTECT, related_name="batches")
    rule = models.CharField(
        _("allocation"), max_length=16, choices=AllocationRule.choices, default=AllocationRule.SINGLE
    )
    placed_on = models.DateField(_("placed on"))
    recall_due_on = models.DateField(_("recall due"))
    case_count = models.PositiveIntegerField(_("cases"), default=0)
    balance_placed = money_field(_("balance placed"))
    currency = models.CharField(_("currency"), max_length=3, default="CNY")
    note = models.CharField(_("note"), max_length=300, blank=True)
    # Set when a strategy step placed the batch.
    strategy_step = models.ForeignKey(
        "collection.StrategyStep", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("by"), on_delete=models.PROTECT, null=True, blank=True
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("placement batch")
        verbose_name_plural = _("placement batches")
        ordering = ["-placed_on", "-id"]

    def __str__(self):
        return self.number

    @property
    def number(self) -> str:
        return placement_batch_number(self.pk, self.placed_on.year)


def placement_batch_number(batch_id: int, year: int) -> str:
    return f"P-{year}-{batch_id:05d}"


class PlacementStatus(models.TextChoices):
    ACTIVE = "active", _("Active")
    RECALLED = "recalled", _("Recalled")


class RecallReason(models.TextChoices):
    MANUAL = "manual", _("Recalled by a manager")
    EXPIRED = "expired", _("End of the placement period")
    DISPUTE = "dispute", _("Dispute")
    HARDSHIP_REVIEW = "hardship_review", _("Hardship review")
    DECEASED = "deceased", _("Borrower deceased")
    BANKRUPTCY = "bankruptcy", _("Borrower bankrupt")
    CEASE_CONTACT = "cease_contact", _("Cease-contact request")
    COMPLAINT = "complaint", _("Complaint")
    LEGAL = "legal", _("Referred to legal")
    CLOSED = "closed", _("Case closed (paid, settled or cured)")
    WRITE_OFF = "write_off", _("Written off")
    SOLD = "sold", _("Sold")
    AGENCY_STOPPED = "agency_stopped", _("Agency suspended or contract ended")


class Placement(models.Model):
    """One case placed with one agency: what was placed, until when, and how it ended."""

    batch = models.ForeignKey(PlacementBatch, on_delete=models.PROTECT, related_name="placements")
    agency = models.ForeignKey(Agency, on_delete=models.PROTECT, related_name="placements")
    contract = models.ForeignKey(AgencyContract, on_delete=models.PROTECT, related_name="placements")
    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="placements")
    placed_on = models.DateField(_("placed on"))
    placed_at = models.DateTimeField(_("placed at"))
    recall_due_on = models.DateField(_("recall due"))
    # The stage the case goes back to on recall.
    stage_before = models.CharField(_("stage before"), max_length=12, choices=Stage.choices)
    balance_at_placement = money_field(_("balance placed"))
    overdue_at_placement = money_field(_("overdue at placement"))
    bucket_at_placement = models.CharField(_("bucket at placement"), max_length=8)
    days_past_due_at_placement = models.PositiveIntegerField(_("days past due at placement"), default=0)
    currency = models.CharField(_("currency"), max_length=3, default="CNY")
    # Who at the agency works it (the supervisor assigns; blank: the agency's pool).
    agent = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("agency agent"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="agency_placements",
    )
    status = models.CharField(
        _("status"), max_length=10, choices=PlacementStatus.choices, default=PlacementStatus.ACTIVE
    )
    recalled_on = models.DateField(_("recalled on"), null=True, blank=True)
    recalled_at = models.DateTimeField(_("recalled at"), null=True, blank=True)
    recall_reason = models.CharField(_("recall reason"), max_length=16, choices=RecallReason.choices, blank=True)
    recall_note = models.CharField(_("recall note"), max_length=300, blank=True)
    recalled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    class Meta:
        verbose_name = _("placement")
        verbose_name_plural = _("placements")
        ordering = ["-placed_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["case"], condition=Q(status="active"), name="placement_one_active_per_case"
            ),
            models.CheckConstraint(
                condition=Q(status="active", recalled_at__isnull=True)
                | Q(status="recalled", recalled_at__isnull=False),
                name="placement_recalled_has_time",
            ),
        ]
        indexes = [
            models.Index(fields=["agency", "status"], name="placement_agency_status_idx"),
            # The nightly recall of expired placements.
            models.Index(fields=["recall_due_on"], name="placement_recall_due_idx", condition=Q(status="active")),
        ]

    def __str__(self):
        return f"{self.batch_id}: {self.case_id}"

    @property
    def is_active(self) -> bool:
        return self.status == PlacementStatus.ACTIVE


class CommissionKind(models.TextChoices):
    PAYMENT = "payment", _("Payment")
    CLAWBACK = "clawback", _("Clawback (payment reversed)")


class CommissionLine(models.Model):
    """
    A payment received while its case was placed, and the agency's commission on
    it by the contract tier in force; a reversed payment gets a second line,
    negative, that claws the commission back. Amounts are signed.
    """

    placement = models.ForeignKey(Placement, on_delete=models.PROTECT, related_name="commission_lines")
    agency = models.ForeignKey(Agency, on_delete=models.PROTECT, related_name="commission_lines")
    payment = models.ForeignKey(Payment, on_delete=models.PROTECT, related_name="+")
    kind = models.CharField(_("kind"), max_length=10, choices=CommissionKind.choices)
    amount = models.DecimalField(_("amount"), max_digits=14, decimal_places=2)
    rate = models.DecimalField(_("commission rate"), max_digits=5, decimal_places=4)
    commission = models.DecimalField(_("commission"), max_digits=14, decimal_places=2)
    # How the tier reads, as a code the page renders ("bucket:M2", "days:31-60").
    tier = models.CharField(_("tier"), max_length=40, blank=True)
    currency = models.CharField(_("currency"), max_length=3, default="CNY")
    # The payment's receipt (a clawback: its reversal); the statement month is this one's.
    occurred_at = models.DateTimeField(_("when"))
    statement = models.ForeignKey(
        "collection.CommissionStatement",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="lines",
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("commission line")
        verbose_name_plural = _("commission lines")
        ordering = ["occurred_at", "id"]
        constraints = [
            models.UniqueConstraint(fields=["payment", "kind"], name="commission_line_one_per_payment_kind"),
        ]
        indexes = [models.Index(fields=["agency", "occurred_at"], name="commission_agency_when_idx")]

    def __str__(self):
        return f"{self.kind} {self.payment_id} {self.commission}"


class StatementStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    APPROVED = "approved", _("Approved")


class CommissionStatement(models.Model):
    """One agency's commission for one calendar month: every line of the month, approved by a manager."""

    agency = models.ForeignKey(Agency, on_delete=models.PROTECT, related_name="statements")
    period_start = models.DateField(_("month"))
    period_end = models.DateField(_("to"))
    status = models.CharField(
        _("status"), max_length=10, choices=StatementStatus.choices, default=StatementStatus.DRAFT
    )
    currency = models.CharField(_("currency"), max_length=3, default="CNY")
    line_count = models.PositiveIntegerField(_("lines"), default=0)
    total_collected = models.DecimalField(_("collected"), max_digits=14, decimal_places=2, default=0)
    total_commission = models.DecimalField(_("commission"), max_digits=14, decimal_places=2, default=0)
    flat_fees = money_field(_("flat fees"))
    total_due = models.DecimalField(_("total due"), max_digits=14, decimal_places=2, default=0)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    approved_at = models.DateTimeField(_("approved at"), null=True, blank=True)

    class Meta:
        verbose_name = _("commission statement")
        verbose_name_plural = _("commission statements")
        ordering = ["-period_start", "agency"]
        constraints = [
            models.UniqueConstraint(fields=["agency", "period_start"], name="commission_statement_one_per_month"),
        ]

    def __str__(self):
        return self.number

    @property
    def number(self) -> str:
        return f"S-{self.agency.code}-{self.period_start:%Y-%m}"


class ClaimStatus(models.TextChoices):
    UNMATCHED = "unmatched", _("Not matched yet")
    MATCHED = "matched", _("Matched to a payment")
    REJECTED = "rejected", _("Rejected")


class ClaimedPayment(models.Model):
    """
    A payment an agency says it collected (from its return file). It is matched
    against the payments the lender really received; it never books one.
    """

    agency = models.ForeignKey(Agency, on_delete=models.PROTECT, related_name="claims")
    placement = models.ForeignKey(Placement, on_delete=models.PROTECT, related_name="claims")
    reference = models.CharField(_("agency's reference"), max_length=64)
    amount = models.DecimalField(_("amount"), max_digits=14, decimal_places=2)
    paid_on = models.DateField(_("paid on"))
    status = models.CharField(_("status"), max_length=10, choices=ClaimStatus.choices, default=ClaimStatus.UNMATCHED)
    matched_payment = models.OneToOneField(
        Payment, on_delete=models.PROTECT, null=True, blank=True, related_name="agency_claim"
    )
    import_batch = models.ForeignKey(
        "lending.ImportBatch", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    note = models.CharField(_("note"), max_length=300, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    matched_at = models.DateTimeField(_("matched at"), null=True, blank=True)

    class Meta:
        verbose_name = _("claimed payment")
        verbose_name_plural = _("claimed payments")
        ordering = ["-paid_on", "-id"]
        constraints = [
            # A return file sent twice does not claim twice.
            models.UniqueConstraint(fields=["agency", "reference"], name="claimed_payment_reference_unique"),
        ]

    def __str__(self):
        return f"{self.agency_id} {self.reference}"
