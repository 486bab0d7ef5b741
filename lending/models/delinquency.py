"""Lending's models: delinquency."""

from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from lending.models.accounts import CreditAccount
from lending.models.fields import money_field


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
