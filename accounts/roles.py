"""The staff roles. Which role may do what lives in accounts/permissions.py."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class Role(models.TextChoices):
    COLLECTOR = "collector", _("Collector")
    FIELD_AGENT = "field_agent", _("Field agent")
    TEAM_LEAD = "team_lead", _("Team lead")
    LEGAL_OFFICER = "legal_officer", _("Legal officer")
    MANAGER = "manager", _("Manager")
    AGENCY_AGENT = "agency_agent", _("Agency agent")
    ADMIN = "admin", _("Administrator")
