"""
The mirror of the lender's core system: who owes what, on which account, due
when, and what has been paid. Collection, legal and portfolio read it; only
lending's services, its nightly run and its intake write it.

Money is Decimal with two places, in the currency of the account's product.
Due dates are dates in the lender's time zone (settings.TIME_ZONE).
"""

from decimal import Decimal

from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

ZERO = Decimal("0.00")


def money_field(verbose_name, **kwargs):
    kwargs.setdefault("default", ZERO)
    return models.DecimalField(verbose_name, max_digits=14, decimal_places=2, **kwargs)


# --- Products ---------------------------------------------------------------


class Component(models.TextChoices):
    """The parts of what an installment owes, in the names payments are allocated to."""

    PENALTY = "penalty", _("Penalty")
    FEE = "fee", _("Fees")
    INTEREST = "interest", _("Interest")
    PRINCIPAL = "principal", _("Principal")


DEFAULT_ALLOCATION_ORDER = [Component.PENALTY, Component.FEE, Component.INTEREST, Component.PRINCIPAL]


def default_allocation_order():
    return [str(component) for component in DEFAULT_ALLOCATION_ORDER]


class CreditProduct(models.Model):
    class Kind(models.TextChoices):
        REVOLVING = "revolving", _("Revolving credit line")
        INSTALLMENT = "installment", _("Installment purchase")
        CASH_LOAN = "cash_loan", _("Cash loan")

    code = models.SlugField(_("code"), max_length=40, unique=True)
    name = models.CharField(_("name"), max_length=120)
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices)
    currency = models.CharField(_("currency"), max_length=3, default="CNY", help_text=_("ISO 4217 code, e.g. CNY."))
    annual_interest_rate = models.DecimalField(
        _("annual interest rate"), max_digits=7, decimal_places=4, default=Decimal("0"), help_text=_("0.1800 = 18%")
    )
    daily_penalty_rate = models.DecimalField(
        _("daily penalty rate"),
        max_digits=8,
        decimal_places=6,
        default=Decimal("0"),
        help_text=_("On overdue principal, per day: 0.000500 = 0.05% a day."),
    )
    late_fee = money_field(_("late fee"), help_text=_("Charged once per installment when it passes its grace days."))
    grace_days = models.PositiveSmallIntegerField(
        _("grace days"), default=0, help_text=_("Days after the due date before penalty and the late fee start.")
    )
    allocation_order = models.JSONField(
        _("allocation order"),
        default=default_allocation_order,
        help_text=_("The order in which a payment pays the components of the oldest installment first."),
    )
    charges_cap_annual_rate = models.DecimalField(
        _("cap on charges (annual rate)"),
        max_digits=7,
        decimal_places=4,
        default=Decimal("0.2400"),
        help_text=_(
            "Penalty, interest and fees of an installment together never exceed its principal times this rate "
            "per year since it was lent (e.g. four times the one-year LPR)."
        ),
    )
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("credit product")
        verbose_name_plural = _("credit products")
        ordering = ["code"]
        constraints = [
            models.CheckConstraint(
                condition=Q(annual_interest_rate__gte=0)
                & Q(daily_penalty_rate__gte=0)
                & Q(late_fee__gte=0)
                & Q(charges_cap_annual_rate__gte=0),
                name="product_rates_not_negative",
            ),
        ]

    def __str__(self):
        return f"{self.name} ({self.code})"


# --- Borrowers and how to reach them ----------------------------------------------


class Borrower(models.Model):
    external_id = models.CharField(_("external id"), max_length=64, unique=True)
    name = models.CharField(_("name"), max_length=120)
    national_id = models.CharField(_("national id"), max_length=32, blank=True)
    date_of_birth = models.DateField(_("date of birth"), null=True, blank=True)
    employer = models.CharField(_("employer"), max_length=200, blank=True)
    monthly_income = models.DecimalField(_("monthly income"), max_digits=14, decimal_places=2, null=True, blank=True)
    province = models.CharField(_("province"), max_length=50, blank=True, db_index=True)
    city = models.CharField(_("city"), max_length=50, blank=True)
    district = models.CharField(_("district"), max_length=50, blank=True)
    language = models.CharField(_("language"), max_length=10, choices=settings.LANGUAGES, default="zh-hans")
    # Blank when the lender sent none: the guard then derives the zones from the
    # address and the numbers (lending/phones.py), never from a default.
    time_zone = models.CharField(_("time zone"), max_length=64, blank=True)
    risk_grade = models.CharField(_("risk grade"), max_length=8, blank=True)
    credit_score = models.PositiveSmallIntegerField(_("credit score"), null=True, blank=True)
    # Flags that every contact path obeys (the compliance guard, a later issue).
    is_deceased = models.BooleanField(_("deceased"), default=False)
    is_bankrupt = models.BooleanField(_("bankrupt"), default=False)
    is_vulnerable = models.BooleanField(_("vulnerable"), default=False)
    do_not_contact = models.BooleanField(_("do not contact"), default=False)
    cease_contact_requested = models.BooleanField(_("cease-contact requested"), default=False)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("borrower")
        verbose_name_plural = _("borrowers")
        ordering = ["name", "id"]
        indexes = [
            # Staff look borrowers up by national id and by the start of the name.
            models.Index(fields=["national_id"], name="borrower_national_id_idx"),
            models.Index(fields=["name"], name="borrower_name_prefix_idx", opclasses=["varchar_pattern_ops"]),
        ]

    def __str__(self):
        return self.name


class ContactPoint(models.Model):
    """A way to reach a borrower, or a third party who may help locate them."""

    class Kind(models.TextChoices):
        MOBILE = "mobile", _("Mobile phone")
        HOME_PHONE = "home_phone", _("Home phone")
        WORK_PHONE = "work_phone", _("Work phone")
        EMAIL = "email", _("E-mail")
        HOME_ADDRESS = "home_address", _("Home address")
        WORK_ADDRESS = "work_address", _("Work address")

    class Owner(models.TextChoices):
        BORROWER = "borrower", _("Borrower")
        THIRD_PARTY = "third_party", _("Third party")

    class Relation(models.TextChoices):
        SPOUSE = "spouse", _("Spouse")
        PARENT = "parent", _("Parent")
        SIBLING = "sibling", _("Sibling")
        RELATIVE = "relative", _("Other relative")
        FRIEND = "friend", _("Friend")
        COLLEAGUE = "colleague", _("Colleague")
        OTHER = "other", _("Other")

    external_id = models.CharField(_("external id"), max_length=64, unique=True)
    borrower = models.ForeignKey(Borrower, on_delete=models.CASCADE, related_name="contact_points")
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices)
    value = models.CharField(_("number or address"), max_length=300)
    # The same number however written, in E.164 ("+8613800001111"); blank for
    # addresses, e-mails and what is no telephone number (lending/phones.py).
    number_e164 = models.CharField(_("number (E.164)"), max_length=16, blank=True, db_index=True)
    owner = models.CharField(_("belongs to"), max_length=16, choices=Owner.choices, default=Owner.BORROWER)
    # Third parties only: who they are. They may be asked where the borrower
    # is, never told about the debt.
    third_party_name = models.CharField(_("third party's name"), max_length=120, blank=True)
    relation = models.CharField(_("relation to the borrower"), max_length=16, choices=Relation.choices, blank=True)
    is_primary = models.BooleanField(_("primary"), default=False)
    is_verified = models.BooleanField(_("verified"), default=False)
    consent_sms = models.BooleanField(_("consents to SMS"), default=False)
    consent_email = models.BooleanField(_("consents to e-mail"), default=False)
    consent_recorded_on = models.DateField(_("consent recorded on"), null=True, blank=True)
    do_not_contact = models.BooleanField(_("do not contact"), default=False)

    class Meta:
        verbose_name = _("contact point")
        verbose_name_plural = _("contact points")
        ordering = ["borrower", "owner", "-is_primary", "kind", "id"]
        indexes = [models.Index(fields=["value"], name="contact_point_value_idx")]
        constraints = [
            models.CheckConstraint(
                condition=Q(owner="borrower") | ~Q(relation=""),
                name="contact_third_party_has_relation",
                violation_error_message=_("A third party's contact point needs their relation to the borrower."),
            ),
        ]

    def __str__(self):
        return f"{self.get_kind_display()}: {self.value}"

    @property
    def is_third_party(self):
        return self.owner == self.Owner.THIRD_PARTY


class PhoneNumberMark(models.Model):
    """
    A telephone number that is not to be called, whoever's record it is on:
    whoever answered asked us to stop, or said it is not the borrower's. It
    belongs to the number (E.164), not to one contact point, so the same
    number stored again, or as another borrower's contact, is refused too.
    """

    class Kind(models.TextChoices):
        DO_NOT_CALL = "do_not_call", _("Do not call")
        WRONG_NUMBER = "wrong_number", _("Wrong number")

    number_e164 = models.CharField(_("number (E.164)"), max_length=16)
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices)
    recorded_at = models.DateTimeField(_("recorded"))
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    # Where it was learnt: the case (collection's, by id: lending knows no cases) and the point called.
    source_case_id = models.PositiveBigIntegerField(_("case"), null=True, blank=True)
    source_contact_point = models.ForeignKey(
        ContactPoint, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    note = models.CharField(_("note"), max_length=300, blank=True)

    class Meta:
        verbose_name = _("phone number mark")
        verbose_name_plural = _("phone number marks")
        ordering = ["number_e164", "recorded_at", "id"]
        constraints = [
            # Once is enough: the first mark of a kind stands (who, when, where).
            models.UniqueConstraint(fields=["number_e164", "kind"], name="phone_number_mark_once"),
            models.CheckConstraint(condition=~Q(number_e164=""), name="phone_number_mark_has_number"),
        ]

    def __str__(self):
        return f"{self.number_e164}: {self.get_kind_display()}"


# --- Accounts, installments, payments ----------------------------------------------


class CreditAccount(models.Model):
    class Status(models.TextChoices):
        ACTIVE = "active", _("Active")
        FROZEN = "frozen", _("Frozen")
        CLOSED = "closed", _("Closed")
        CHARGED_OFF = "charged_off", _("Charged off")
        SOLD = "sold", _("Sold")

    external_id = models.CharField(_("external id"), max_length=64, unique=True)
    borrower = models.ForeignKey(Borrower, on_delete=models.PROTECT, related_name="accounts")
    product = models.ForeignKey(CreditProduct, on_delete=models.PROTECT, related_name="accounts")
    opened_on = models.DateField(_("opened on"))
    credit_limit = money_field(_("credit limit"))
    available_credit = money_field(_("available credit"))
    status = models.CharField(_("status"), max_length=16, choices=Status.choices, default=Status.ACTIVE)

    # Written by the nightly run (lending/delinquency.py), never by hand.
    days_past_due = models.PositiveIntegerField(_("days past due"), default=0)
    bucket = models.CharField(_("bucket"), max_length=8, default="M0")
    oldest_unpaid_due_on = models.DateField(_("oldest unpaid due date"), null=True, blank=True)
    overdue_principal = money_field(_("overdue principal"))
    overdue_interest = money_field(_("overdue interest"))
    overdue_fees = money_field(_("overdue fees"))
    overdue_penalty = money_field(_("overdue penalty"))
    outstanding_balance = money_field(_("outstanding balance"))
    # What the borrower paid beyond everything due: a credit, never a negative due.
    credit_balance = money_field(_("overpayment credit"))

    class Meta:
        verbose_name = _("credit account")
        verbose_name_plural = _("credit accounts")
        ordering = ["external_id"]
        indexes = [
            models.Index(fields=["bucket", "days_past_due"], name="account_bucket_dpd_idx"),
            models.Index(fields=["days_past_due"], name="account_dpd_idx", condition=Q(days_past_due__gt=0)),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(credit_limit__gte=0), name="account_limit_not_negative"),
            models.CheckConstraint(condition=Q(credit_balance__gte=0), name="account_credit_not_negative"),
        ]

    def __str__(self):
        return self.external_id

    @property
    def overdue_total(self):
        return self.overdue_principal + self.overdue_interest + self.overdue_fees + self.overdue_penalty

    @property
    def currency(self):
        return self.product.currency


class CreditLimitChange(models.Model):
    class Reason(models.TextChoices):
        INTAKE = "intake", _("Set by the core system")
        DELINQUENCY = "delinquency", _("Delinquency")
        REVIEW = "review", _("Periodic review")
        CUSTOMER_REQUEST = "customer_request", _("Customer request")
        RESTORED = "restored", _("Restored after cure")
        OTHER = "other", _("Other")

    account = models.ForeignKey(CreditAccount, on_delete=models.CASCADE, related_name="limit_changes")
    changed_at = models.DateTimeField(_("changed at"))
    previous_limit = money_field(_("previous limit"))
    new_limit = money_field(_("new limit"))
    reason = models.CharField(_("reason"), max_length=20, choices=Reason.choices)
    note = models.CharField(_("note"), max_length=300, blank=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("by"), on_delete=models.PROTECT, null=True, blank=True
    )

    class Meta:
        verbose_name = _("credit limit change")
        verbose_name_plural = _("credit limit changes")
        ordering = ["-changed_at", "-id"]

    def __str__(self):
        return f"{self.account_id}: {self.previous_limit} -> {self.new_limit}"


class Installment(models.Model):
    """
    One due date of an account's schedule. On a revolving line each purchase
    adds its own installments, carrying the order reference.
    """

    account = models.ForeignKey(CreditAccount, on_delete=models.CASCADE, related_name="installments")
    number = models.PositiveIntegerField(_("number"))
    order_reference = models.CharField(_("order reference"), max_length=64, blank=True)
    lent_on = models.DateField(
        _("lent on"), help_text=_("When the principal was lent: the charges cap runs from here.")
    )
    due_on = models.DateField(_("due on"))
    principal_due = money_field(_("principal due"))
    interest_due = money_field(_("interest due"))
    fee_due = money_field(_("fees due"))
    penalty_accrued = money_field(_("penalty accrued"))
    principal_paid = money_field(_("principal paid"))
    interest_paid = money_field(_("interest paid"))
    fee_paid = money_field(_("fees paid"))
    penalty_paid = money_field(_("penalty paid"))
    late_fee_charged = models.BooleanField(_("late fee charged"), default=False)
    # Penalty has been accrued for every day up to and including this date, so
    # replaying a night accrues nothing twice.
    penalty_accrued_through = models.DateField(_("penalty accrued through"), null=True, blank=True)
    paid_off_on = models.DateField(_("paid off on"), null=True, blank=True)

    class Meta:
        verbose_name = _("installment")
        verbose_name_plural = _("installments")
        ordering = ["account", "due_on", "number"]
        constraints = [
            models.UniqueConstraint(fields=["account", "number"], name="installment_number_unique"),
            models.CheckConstraint(
                condition=Q(principal_paid__gte=0, principal_paid__lte=F("principal_due"))
                & Q(interest_paid__gte=0, interest_paid__lte=F("interest_due"))
                & Q(fee_paid__gte=0, fee_paid__lte=F("fee_due"))
                & Q(penalty_paid__gte=0, penalty_paid__lte=F("penalty_accrued")),
                name="installment_paid_within_due",
            ),
            models.CheckConstraint(
                condition=Q(principal_due__gte=0, interest_due__gte=0, fee_due__gte=0, penalty_accrued__gte=0),
                name="installment_dues_not_negative",
            ),
        ]
        indexes = [
            # The nightly run reads the unpaid installments of each account.
            models.Index(fields=["account", "due_on"], name="installment_unpaid_idx", condition=Q(paid_off_on=None)),
        ]

    def __str__(self):
        return f"{self.account_id} #{self.number} ({self.due_on})"

    def due(self, component: str) -> Decimal:
        return {
            Component.PENALTY: self.penalty_accrued,
            Component.FEE: self.fee_due,
            Component.INTEREST: self.interest_due,
            Component.PRINCIPAL: self.principal_due,
        }[component]

    def paid(self, component: str) -> Decimal:
        return getattr(self, PAID_FIELD[component])

    def remaining(self, component: str) -> Decimal:
        return self.due(component) - self.paid(component)

    @property
    def total_due(self):
        return self.principal_due + self.interest_due + self.fee_due + self.penalty_accrued

    @property
    def total_paid(self):
        return self.principal_paid + self.interest_paid + self.fee_paid + self.penalty_paid

    @property
    def total_remaining(self):
        return self.total_due - self.total_paid


PAID_FIELD = {
    Component.PENALTY: "penalty_paid",
    Component.FEE: "fee_paid",
    Component.INTEREST: "interest_paid",
    Component.PRINCIPAL: "principal_paid",
}


class Payment(models.Model):
    class Channel(models.TextChoices):
        APP = "app", _("App")
        BANK_TRANSFER = "bank_transfer", _("Bank transfer")
        AGENCY = "agency", _("Collection agency")
        COURT_ENFORCEMENT = "court_enforcement", _("Court enforcement")
        OTHER = "other", _("Other")

    class Status(models.TextChoices):
        APPLIED = "applied", _("Applied")
        REVERSED = "reversed", _("Reversed")

    external_id = models.CharField(_("external id"), max_length=64, unique=True)
    account = models.ForeignKey(CreditAccount, on_delete=models.PROTECT, related_name="payments")
    amount = models.DecimalField(
        _("amount"), max_digits=14, decimal_places=2, validators=[MinValueValidator(Decimal("0.01"))]
    )
    received_at = models.DateTimeField(_("received at"))
    channel = models.CharField(_("channel"), max_length=20, choices=Channel.choices)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.APPLIED)
    # The part no installment needed, credited to the account.
    unapplied_amount = money_field(_("overpayment"))
    reversed_at = models.DateTimeField(_("reversed at"), null=True, blank=True)
    reversal_reason = models.CharField(_("reversal reason"), max_length=200, blank=True)
    import_batch = models.ForeignKey(
        "lending.ImportBatch", on_delete=models.SET_NULL, null=True, blank=True, related_name="payments"
    )
    recorded_at = models.DateTimeField(_("recorded at"), auto_now_add=True)

    class Meta:
        verbose_name = _("payment")
        verbose_name_plural = _("payments")
        ordering = ["-received_at", "-id"]
        indexes = [models.Index(fields=["account", "-received_at"], name="payment_account_idx")]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="payment_amount_positive"),
            models.CheckConstraint(
                condition=Q(unapplied_amount__gte=0, unapplied_amount__lte=F("amount")),
                name="payment_unapplied_within_amount",
            ),
        ]

    def __str__(self):
        return self.external_id


class PaymentAllocation(models.Model):
    """Which installment and component each part of a payment paid."""

    payment = models.ForeignKey(Payment, on_delete=models.CASCADE, related_name="allocations")
    installment = models.ForeignKey(Installment, on_delete=models.PROTECT, related_name="allocations")
    component = models.CharField(_("component"), max_length=10, choices=Component.choices)
    amount = money_field(_("amount"))

    class Meta:
        verbose_name = _("payment allocation")
        verbose_name_plural = _("payment allocations")
        ordering = ["payment", "id"]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="allocation_amount_positive"),
            models.UniqueConstraint(fields=["payment", "installment", "component"], name="allocation_unique_part"),
        ]

    def __str__(self):
        return f"{self.payment_id} -> {self.installment_id} {self.component} {self.amount}"


# --- Delinquency ---------------------------------------------------------------


class Bucket(models.Model):
    """
    A days-past-due range with its name (M0 current, M1 1–30 …). The nightly
    run puts each account in the bucket whose range holds its days past due.
    """

    code = models.CharField(_("code"), max_length=8, unique=True)
    label = models.CharField(_("label"), max_length=40)
    min_days = models.PositiveIntegerField(_("from day"))
    max_days = models.PositiveIntegerField(_("to day"), null=True, blank=True, help_text=_("Empty: no upper end."))

    class Meta:
        verbose_name = _("bucket")
        verbose_name_plural = _("buckets")
        ordering = ["min_days"]
        constraints = [
            models.UniqueConstraint(fields=["min_days"], name="bucket_min_days_unique"),
            models.CheckConstraint(
                condition=Q(max_days__isnull=True) | Q(max_days__gte=F("min_days")), name="bucket_range_ordered"
            ),
        ]

    def __str__(self):
        return self.code


class DelinquencyRun(models.Model):
    """
    One night of the delinquency run: the date it computed the figures for,
    what it did and how long it took. The account figures are as of the
    latest run (kept here once, not on a million account rows, so that a
    night only writes the accounts whose figures change).
    """

    as_of = models.DateField(_("as of"), unique=True)
    finished_at = models.DateTimeField(_("finished"), auto_now=True)
    installments_accrued = models.PositiveIntegerField(_("installments accrued"), default=0)
    accounts_refreshed = models.PositiveIntegerField(_("accounts refreshed"), default=0)
    snapshots_written = models.PositiveIntegerField(_("snapshots written"), default=0)
    # {"M1": {"in": 10, "out": 3}, ...}
    bucket_moves = models.JSONField(_("bucket moves"), default=dict, blank=True)
    seconds = models.JSONField(_("seconds per step"), default=dict, blank=True)

    class Meta:
        verbose_name = _("delinquency run")
        verbose_name_plural = _("delinquency runs")
        ordering = ["-as_of"]

    def __str__(self):
        return str(self.as_of)


class DelinquencySnapshot(models.Model):
    """
    An account as the nightly run left it on one day: written every day for
    every overdue account, and at each month end for every account. Roll
    rates, cure rates and the bureau file are computed from these rows.
    """

    account = models.ForeignKey(CreditAccount, on_delete=models.CASCADE, related_name="snapshots", db_index=False)
    snapshot_date = models.DateField(_("date"))
    is_month_end = models.BooleanField(_("month end"), default=False)
    days_past_due = models.PositiveIntegerField(_("days past due"))
    bucket = models.CharField(_("bucket"), max_length=8)
    overdue_principal = money_field(_("overdue principal"))
    overdue_interest = money_field(_("overdue interest"))
    overdue_fees = money_field(_("overdue fees"))
    overdue_penalty = money_field(_("overdue penalty"))
    outstanding_balance = money_field(_("outstanding balance"))

    class Meta:
        verbose_name = _("delinquency snapshot")
        verbose_name_plural = _("delinquency snapshots")
        ordering = ["-snapshot_date", "account"]
        constraints = [
            models.UniqueConstraint(fields=["account", "snapshot_date"], name="snapshot_account_day_unique"),
        ]
        # Reads by day use a BRIN index on snapshot_date on PostgreSQL (migration 0006): the rows
        # arrive in date order, and a B-tree would cost every one of a million month-end inserts.

    def __str__(self):
        return f"{self.account_id} {self.snapshot_date} {self.bucket}"


# --- Intake --------------------------------------------------------------------


class ImportBatch(models.Model):
    """One file (or API call) from the core system, and what became of it."""

    class Kind(models.TextChoices):
        BORROWERS = "borrowers", _("Borrowers")
        CONTACT_POINTS = "contact_points", _("Contact points")
        ACCOUNTS = "accounts", _("Credit accounts")
        INSTALLMENTS = "installments", _("Installments")
        PAYMENTS = "payments", _("Payments")

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
