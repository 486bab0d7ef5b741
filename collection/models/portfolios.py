"""Collection's models: portfolios and their jurisdiction."""

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from lending.models import CreditProduct


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
