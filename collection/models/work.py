"""Collection's models: teams' work and collectors' capacity."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from lending.models import CreditProduct


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
