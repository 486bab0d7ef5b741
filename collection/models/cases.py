"""Collection's models: cases."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from collection.models.portfolios import Portfolio
from lending.models import Borrower, CreditAccount, money_field


class Stage(models.TextChoices):
    EARLY = "early", _("Early")
    LATE = "late", _("Late")
    FIELD = "field", _("Field")
    AGENCY = "agency", _("Agency")
    LEGAL = "legal", _("Legal")
    WRITE_OFF = "write_off", _("Write-off")
    SOLD = "sold", _("Sold")


class CaseStatus(models.TextChoices):
    OPEN = "open", _("Open")
    ON_HOLD = "on_hold", _("On hold")
    PROMISED = "promised", _("Promised")
    IN_ARRANGEMENT = "in_arrangement", _("In arrangement")
    CLOSED = "closed", pgettext_lazy("case status", "Closed")


class CloseOutcome(models.TextChoices):
    CURED = "cured", _("Cured")
    PAID_IN_FULL = "paid_in_full", _("Paid in full")
    SETTLED = "settled", _("Settled")
    WRITTEN_OFF = "written_off", _("Written off")
    SOLD = "sold", _("Sold")


class LatenessReason(models.TextChoices):
    LOST_INCOME = "lost_income", _("Lost income")
    ILLNESS = "illness", _("Illness")
    OVER_BORROWING = "over_borrowing", _("Over-borrowing")
    REMINDER_NOT_RECEIVED = "reminder_not_received", _("Reminder not received")
    DISPUTE_GOODS = "dispute_goods", _("Dispute over goods or service")
    SUSPECTED_FRAUD = "suspected_fraud", _("Suspected fraud")
    REFUSES_TO_PAY = "refuses_to_pay", _("Refuses to pay")
    UNKNOWN = "unknown", _("Unknown")


class LimitationStart(models.TextChoices):
    """What started (or last restarted) a limitation period."""

    DUE_DATE = "due_date", _("Last installment due")
    DEFAULT = "default", _("Default")
    PAYMENT = "payment", _("Payment")
    PROMISE = "promise", _("Promise to pay")
    ARRANGEMENT = "arrangement", _("Signed arrangement")
    DEMAND = "demand", _("Demand letter")
    FILING = "filing", _("Court filing")


class Case(models.Model):
    """
    One borrower in arrears: all their delinquent accounts, one collector, one
    contact count. Its number is `C-<year opened>-<id, six digits>`.
    The delinquency figures are the sum over the accounts in the case,
    refreshed by the nightly lifecycle.
    """

    borrower = models.ForeignKey(Borrower, on_delete=models.PROTECT, related_name="cases")
    portfolio = models.ForeignKey(Portfolio, on_delete=models.PROTECT, related_name="cases")
    opened_on = models.DateField(_("opened on"))
    closed_on = models.DateField(_("closed on"), null=True, blank=True)
    close_outcome = models.CharField(_("outcome"), max_length=16, choices=CloseOutcome.choices, blank=True)
    stage = models.CharField(_("stage"), max_length=12, choices=Stage.choices, default=Stage.EARLY)
    status = models.CharField(_("status"), max_length=16, choices=CaseStatus.choices, default=CaseStatus.OPEN)
    reason = models.CharField(
        _("reason for lateness"), max_length=24, choices=LatenessReason.choices, default=LatenessReason.UNKNOWN
    )

    # Refreshed by the nightly lifecycle from the accounts in the case.
    currency = models.CharField(_("currency"), max_length=3, default="CNY")
    days_past_due = models.PositiveIntegerField(_("days past due"), default=0)
    bucket = models.CharField(_("bucket"), max_length=8, default="M1")
    overdue_principal = money_field(_("overdue principal"))
    overdue_interest = money_field(_("overdue interest"))
    overdue_fees = money_field(_("overdue fees"))
    overdue_penalty = money_field(_("overdue penalty"))
    overdue_total = money_field(_("overdue"))
    outstanding_balance = money_field(_("outstanding balance"))

    # Who works it.
    team = models.ForeignKey(
        "accounts.Team", verbose_name=_("team"), on_delete=models.PROTECT, null=True, blank=True, related_name="cases"
    )
    assigned_to = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("collector"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="assigned_cases",
    )
    assigned_at = models.DateTimeField(_("assigned at"), null=True, blank=True)
    # "Next case" hands a case to one collector for a short while: nobody else gets it until then.
    worked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    worked_until = models.DateTimeField(null=True, blank=True)

    # What orders the queues (collection/priority.py explains the formula).
    next_action_at = models.DateTimeField(_("next action"), null=True, blank=True)
    priority = models.IntegerField(_("priority"), default=0)
    broken_promises = models.PositiveSmallIntegerField(_("broken promises"), default=0)
    has_broken_promise = models.BooleanField(_("promise broken"), default=False)
    promise_due_on = models.DateField(_("promise due"), null=True, blank=True)
    last_contact_at = models.DateTimeField(_("last contact"), null=True, blank=True)
    last_right_party_contact_at = models.DateTimeField(_("last spoke to the borrower"), null=True, blank=True)
    # Added to the priority while a strategy step "queue for a call" asks for it (collection/strategies/).
    strategy_priority_boost = models.SmallIntegerField(_("strategy boost"), default=0, db_default=0)
    # The agency the case is placed with now (collection/agencies/): set on placement, cleared on recall.
    agency = models.ForeignKey(
        "collection.Agency",
        verbose_name=_("agency"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="placed_cases",
    )
    # The collection score (propensity to pay, 0-1000) portfolio writes each night; segments may use it.
    score = models.PositiveSmallIntegerField(_("score"), null=True, blank=True)

    # The limitation period of the case's accounts (the earliest to expire), written by
    # legal (legal/limitation.py) when something restarts it and by the nightly run.
    limitation_expires_on = models.DateField(_("limitation expires"), null=True, blank=True)
    limitation_restarted_on = models.DateField(_("limitation last restarted"), null=True, blank=True)
    limitation_restarted_by = models.CharField(
        _("restarted by"), max_length=16, choices=LimitationStart.choices, blank=True, default="", db_default=""
    )

    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("case")
        verbose_name_plural = _("cases")
        ordering = ["-priority", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["borrower"], condition=~Q(status="closed"), name="case_one_open_per_borrower"
            ),
            models.CheckConstraint(
                condition=Q(status="closed", closed_on__isnull=False)
                | (~Q(status="closed") & Q(closed_on__isnull=True)),
                name="case_closed_has_date",
            ),
        ]
        indexes = [
            # The queues: open cases of a collector / a team, by priority.
            models.Index(
                fields=["assigned_to", "-priority"], name="case_assignee_queue_idx", condition=~Q(status="closed")
            ),
            models.Index(fields=["team", "-priority"], name="case_team_queue_idx", condition=~Q(status="closed")),
            models.Index(fields=["-priority"], name="case_open_priority_idx", condition=~Q(status="closed")),
            # The agency portal's queue: an agency's placed cases, by priority.
            models.Index(fields=["agency", "-priority"], name="case_agency_queue_idx", condition=~Q(status="closed")),
            # The legal officer's list of open cases near the end of their limitation period.
            models.Index(fields=["limitation_expires_on"], name="case_limitation_idx", condition=~Q(status="closed")),
            # The unassigned pool of a team, and Next case's second tier (collection/services/next_case.py).
            models.Index(
                fields=["team", "-priority"],
                name="case_unassigned_queue_idx",
                condition=Q(assigned_to__isnull=True) & ~Q(status="closed"),
            ),
        ]

    def __str__(self):
        return self.number

    @property
    def number(self) -> str:
        return case_number(self.pk, self.opened_on.year)

    @property
    def is_closed(self) -> bool:
        return self.status == CaseStatus.CLOSED


def case_number(case_id: int, year: int) -> str:
    return f"C-{year}-{case_id:06d}"


def case_id_from_number(text: str) -> int | None:
    """The case id in `C-2026-000123` (or a bare id), or None if the text is no case number."""
    text = text.strip().upper()
    parts = text.split("-")
    if len(parts) == 3 and parts[0] == "C" and parts[1].isdigit() and parts[2].isdigit():
        return int(parts[2])
    return int(text) if text.isdigit() else None


class CaseAccount(models.Model):
    """An account's membership of a case: it joins when delinquent, leaves when cured (or the case closes)."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="case_accounts")
    account = models.ForeignKey(CreditAccount, on_delete=models.PROTECT, related_name="case_memberships")
    joined_on = models.DateField(_("joined on"))
    left_on = models.DateField(_("left on"), null=True, blank=True)

    class Meta:
        verbose_name = _("account in a case")
        verbose_name_plural = _("accounts in cases")
        ordering = ["case", "joined_on", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["account"], condition=Q(left_on__isnull=True), name="case_account_in_one_open_case"
            ),
        ]

    def __str__(self):
        return f"{self.case_id}: {self.account_id}"


class StageChange(models.Model):
    """The stage history of a case (roll and recovery reports read it)."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="stage_changes")
    changed_on = models.DateField(_("changed on"))
    from_stage = models.CharField(_("from"), max_length=12, choices=Stage.choices, blank=True)
    to_stage = models.CharField(_("to"), max_length=12, choices=Stage.choices)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True)

    class Meta:
        verbose_name = _("stage change")
        verbose_name_plural = _("stage changes")
        ordering = ["case", "changed_on", "id"]

    def __str__(self):
        return f"{self.case_id}: {self.from_stage} -> {self.to_stage}"


class HoldKind(models.TextChoices):
    DISPUTE = "dispute", _("Dispute")
    COMPLAINT = "complaint", _("Complaint")
    CEASE_CONTACT = "cease_contact", _("Cease-contact request")
    HARDSHIP_REVIEW = "hardship_review", _("Hardship review")
    BANKRUPTCY = "bankruptcy", _("Bankruptcy")
    DECEASED = "deceased", _("Deceased")


class Hold(models.Model):
    """While a hold lasts (released_at empty), no outbound contact happens on the case."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="holds")
    kind = models.CharField(_("kind"), max_length=16, choices=HoldKind.choices)
    reason = models.TextField(_("reason"), blank=True)
    evidence = models.FileField(_("evidence"), upload_to="collection/holds/%Y/%m/", blank=True)
    review_on = models.DateField(_("review on"), null=True, blank=True)
    started_at = models.DateTimeField(_("started"))
    started_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+")
    released_at = models.DateTimeField(_("released"), null=True, blank=True)
    released_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    release_note = models.CharField(_("release note"), max_length=300, blank=True)

    class Meta:
        verbose_name = _("hold")
        verbose_name_plural = _("holds")
        ordering = ["case", "-started_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["case", "kind"], condition=Q(released_at__isnull=True), name="hold_one_active_per_kind"
            ),
        ]

    def __str__(self):
        return f"{self.get_kind_display()} ({self.case_id})"

    @property
    def is_active(self) -> bool:
        return self.released_at is None
