"""Legal's models: each portfolio's legal policy and, under US law, its limitation period by state."""

from decimal import Decimal

from django.db import models
from django.utils.translation import gettext_lazy as _

from collection.models import Portfolio
from lending.models import money_field


class LegalPolicy(models.Model):
    """
    What a portfolio's referrals must meet and how long its debts can be sued
    on. China's period is the Civil Code's three years (art. 188); a US
    portfolio sets its default years and, per state, the state's own
    (StateLimitation). Without a row a portfolio gets the defaults here.
    """

    portfolio = models.OneToOneField(Portfolio, on_delete=models.CASCADE, related_name="legal_policy")
    min_referral_balance = money_field(_("least balance to refer"), default=Decimal("1000.00"))
    final_notice_days = models.PositiveSmallIntegerField(
        _("days after the final notice"),
        default=15,
        help_text=_("A case may be referred this many days after its final notice was sent."),
    )
    manager_approval_above = money_field(
        _("manager approves above"),
        default=Decimal("50000.00"),
        help_text=_("A litigation file claiming more than this needs a manager's approval as well."),
    )
    limitation_years = models.PositiveSmallIntegerField(
        _("limitation period (years)"),
        default=3,
        help_text=_("China: 3 years (Civil Code art. 188). US: the default where a state has no row below."),
    )
    court_fee_rate = models.DecimalField(
        _("court fee estimate (share of the claim)"), max_digits=6, decimal_places=4, default=Decimal("0.0100")
    )
    court_fee_minimum = money_field(_("least court fee"), default=Decimal("50.00"))

    class Meta:
        verbose_name = _("legal policy")
        verbose_name_plural = _("legal policies")

    def __str__(self):
        return str(self.portfolio)


class StateLimitation(models.Model):
    """A US state's limitation period for written contracts, in years, within one portfolio's policy."""

    policy = models.ForeignKey(LegalPolicy, on_delete=models.CASCADE, related_name="state_limitations")
    state = models.CharField(_("state"), max_length=2, help_text=_("Two-letter code, e.g. CA."))
    years = models.PositiveSmallIntegerField(_("years"))

    class Meta:
        verbose_name = _("state limitation period")
        verbose_name_plural = _("state limitation periods")
        ordering = ["policy", "state"]
        constraints = [models.UniqueConstraint(fields=["policy", "state"], name="state_limitation_once")]

    def __str__(self):
        return f"{self.state}: {self.years}"
