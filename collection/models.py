"""
Collection: overdue cases and everything done to recover them.

One Case per borrower in arrears covers all of that borrower's delinquent
accounts (CaseAccount says which, and when each joined and left). What happens
on a case is recorded in its own table (ContactAttempt, PromiseToPay,
Arrangement, Hold, FieldVisit) and, for the case page's one timeline, as a
CaseEvent written by the same service in the same transaction.

Statuses change only through collection's services; the nightly lifecycle
(collection/lifecycle.py) opens, refreshes and closes cases.
"""

from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from lending.models import Borrower, ContactPoint, CreditAccount, CreditProduct, money_field

ZERO = Decimal("0.00")


# --- Portfolios and their jurisdiction ---------------------------------------------


class Jurisdiction(models.TextChoices):
    CHINA = "cn", _("China (NIFA collection convention)")
    UNITED_STATES = "us", _("United States (FDCPA / Regulation F)")


class Portfolio(models.Model):
    """
    A group of credit products collected under one jurisdiction's rules. The
    jurisdiction's profile (collection/compliance.py) sets the contact rules;
    the optional limits here may only make them stricter, and the compliance
    guard takes the stricter of the two whatever is stored.
    """

    code = models.SlugField(_("code"), max_length=40, unique=True)
    name = models.CharField(_("name"), max_length=120)
    jurisdiction = models.CharField(_("jurisdiction"), max_length=4, choices=Jurisdiction.choices)
    products = models.ManyToManyField(CreditProduct, verbose_name=_("products"), related_name="portfolios", blank=True)
    is_default = models.BooleanField(
        _("default"), default=False, help_text=_("Products in no portfolio are collected under this one.")
    )
    # Stricter-only limits (empty: the profile's).
    earliest_contact = models.TimeField(_("earliest contact (local time)"), null=True, blank=True)
    latest_contact = models.TimeField(_("latest contact (local time)"), null=True, blank=True)
    max_connected_calls_per_day = models.PositiveSmallIntegerField(
        _("most connected calls a day"), null=True, blank=True
    )
    max_call_attempts_per_7_days = models.PositiveSmallIntegerField(
        _("most call attempts in 7 days"), null=True, blank=True
    )

    class Meta:
        verbose_name = _("portfolio")
        verbose_name_plural = _("portfolios")
        ordering = ["code"]
        constraints = [
            models.UniqueConstraint(fields=["is_default"], condition=Q(is_default=True), name="one_default_portfolio")
        ]

    def __str__(self):
        return self.name


# --- Cases -----------------------------------------------------------------------


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


# --- Contacts ------------------------------------------------------------------


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

    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="contact_refusals")
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


# --- Promises and arrangements -------------------------------------------------------


class PromiseStatus(models.TextChoices):
    PENDING = "pending", _("Pending")
    KEPT = "kept", _("Kept")
    PARTLY_KEPT = "partly_kept", _("Partly kept")
    BROKEN = "broken", _("Broken")
    CANCELLED = "cancelled", _("Cancelled")


class PromiseToPay(models.Model):
    """The borrower's word: this much by that day. Decided nightly from the payments received."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="promises")
    amount = money_field(_("amount"))
    currency = models.CharField(_("currency"), max_length=3)
    due_on = models.DateField(_("due on"))
    status = models.CharField(_("status"), max_length=12, choices=PromiseStatus.choices, default=PromiseStatus.PENDING)
    paid_amount = money_field(_("paid"))
    decided_on = models.DateField(_("decided on"), null=True, blank=True)
    contact = models.ForeignKey(
        ContactAttempt, on_delete=models.SET_NULL, null=True, blank=True, related_name="promises"
    )
    created_at = models.DateTimeField(_("taken at"))
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True)

    class Meta:
        verbose_name = _("promise to pay")
        verbose_name_plural = _("promises to pay")
        ordering = ["case", "due_on", "id"]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="promise_amount_positive"),
            models.CheckConstraint(condition=Q(paid_amount__gte=0), name="promise_paid_not_negative"),
        ]
        indexes = [models.Index(fields=["status", "due_on"], name="promise_pending_due_idx")]

    def __str__(self):
        return f"{self.amount} {self.currency} by {self.due_on}"


class ArrangementKind(models.TextChoices):
    REPAYMENT_PLAN = "repayment_plan", _("Repayment plan")
    SETTLEMENT = "settlement", _("Settlement")
    EXTENSION = "extension", _("Due-date extension")
    WAIVER = "waiver", _("Fee or penalty waiver")


class ArrangementStatus(models.TextChoices):
    PENDING_APPROVAL = "pending_approval", _("Waiting for approval")
    ACTIVE = "active", pgettext_lazy("arrangement status", "Active")
    REJECTED = "rejected", _("Rejected")
    COMPLETED = "completed", _("Completed")
    BROKEN = "broken", _("Broken")
    CANCELLED = "cancelled", _("Cancelled")


class Arrangement(models.Model):
    """
    A deal with the borrower: a plan of amounts and dates, a discounted lump
    sum, more time, or a waiver of penalty/fees. `concession` is what the
    lender gives up (waived or discounted amount); the role approval limits
    are measured against it.
    """

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="arrangements")
    kind = models.CharField(_("kind"), max_length=16, choices=ArrangementKind.choices)
    status = models.CharField(
        _("status"), max_length=20, choices=ArrangementStatus.choices, default=ArrangementStatus.PENDING_APPROVAL
    )
    currency = models.CharField(_("currency"), max_length=3)
    balance_at_start = money_field(_("balance when proposed"))
    total_to_pay = money_field(_("to pay"))
    concession = money_field(_("concession"))
    waived_penalty = money_field(_("penalty waived"))
    waived_fees = money_field(_("fees waived"))
    waived_interest = money_field(_("interest waived"))
    notes = models.TextField(_("notes"), blank=True)
    requested_at = models.DateTimeField(_("requested at"))
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    decision_note = models.CharField(_("decision note"), max_length=300, blank=True)
    ended_on = models.DateField(_("ended on"), null=True, blank=True)

    class Meta:
        verbose_name = _("arrangement")
        verbose_name_plural = _("arrangements")
        ordering = ["case", "-requested_at"]
        constraints = [
            models.CheckConstraint(
                condition=Q(total_to_pay__gte=0) & Q(concession__gte=0), name="arrangement_amounts_not_negative"
            ),
            # deals: at most one open arrangement (waiting for approval or active) per case.
            models.UniqueConstraint(
                fields=["case"],
                condition=Q(status__in=["pending_approval", "active"]),
                name="arrangement_one_open_per_case",
            ),
        ]
        indexes = [models.Index(fields=["status"], name="arrangement_status_idx")]

    def __str__(self):
        return f"{self.get_kind_display()} ({self.case_id})"


class ArrangementInstallment(models.Model):
    class Status(models.TextChoices):
        DUE = "due", _("Due")
        PAID = "paid", _("Paid")
        PARTLY_PAID = "partly_paid", _("Partly paid")
        MISSED = "missed", _("Missed")

    arrangement = models.ForeignKey(Arrangement, on_delete=models.CASCADE, related_name="installments")
    number = models.PositiveSmallIntegerField(_("number"))
    due_on = models.DateField(_("due on"))
    amount = money_field(_("amount"))
    paid_amount = money_field(_("paid"))
    status = models.CharField(_("status"), max_length=12, choices=Status.choices, default=Status.DUE)

    class Meta:
        verbose_name = _("arrangement installment")
        verbose_name_plural = _("arrangement installments")
        ordering = ["arrangement", "number"]
        constraints = [
            models.UniqueConstraint(fields=["arrangement", "number"], name="arrangement_installment_number_unique"),
            models.CheckConstraint(condition=Q(amount__gt=0), name="arrangement_installment_amount_positive"),
        ]

    def __str__(self):
        return f"{self.arrangement_id} #{self.number}"


# --- Field visits --------------------------------------------------------------------


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


# --- The timeline ------------------------------------------------------------------


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


# --- Teams' work and collectors' capacity ------------------------------------------------------


class TeamWorkRule(models.Model):
    """
    Which cases a team works: empty lists mean "any". The lifecycle assigns
    a new or moved case to the first active team (by `order`) whose rule
    matches, then within it to the collector with the most room.
    """

    team = models.OneToOneField("accounts.Team", on_delete=models.CASCADE, related_name="work_rule")
    order = models.PositiveSmallIntegerField(_("order"), default=100)
    buckets = models.JSONField(_("buckets"), default=list, blank=True)
    stages = models.JSONField(_("stages"), default=list, blank=True)
    provinces = models.JSONField(_("provinces"), default=list, blank=True)
    products = models.ManyToManyField(CreditProduct, verbose_name=_("products"), blank=True, related_name="+")

    class Meta:
        verbose_name = _("team work rule")
        verbose_name_plural = _("team work rules")
        ordering = ["order", "team"]

    def __str__(self):
        return str(self.team)


class CollectorCapacity(models.Model):
    """How many open cases a collector can carry (relative weights balance a team)."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="capacity")
    capacity = models.PositiveIntegerField(_("capacity (open cases)"), default=300)
    accepts_new_cases = models.BooleanField(_("accepts new cases"), default=True)

    class Meta:
        verbose_name = _("collector capacity")
        verbose_name_plural = _("collector capacities")

    def __str__(self):
        return f"{self.user}: {self.capacity}"
