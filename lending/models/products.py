"""Lending's models: products."""

from decimal import Decimal

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from lending.models.fields import money_field


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
