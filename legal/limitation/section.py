"""The case page's "Limitation" section: the expiry the case carries and what last restarted it."""

import datetime

from django.urls import reverse

from accounts.permissions import Capability, user_can
from collection.models import LimitationStart
from lending.services import lender_today

EXPIRED, WARNING, RUNNING, NOT_STARTED = "expired", "warning", "running", "not_started"


def limitation_state(expires_on: datetime.date | None, today: datetime.date, warning_days: int) -> str:
    """One of EXPIRED, WARNING (within `warning_days`), RUNNING, NOT_STARTED: the section's and the list's style."""
    if expires_on is None:
        return NOT_STARTED
    if expires_on < today:
        return EXPIRED
    if (expires_on - today).days <= warning_days:
        return WARNING
    return RUNNING


def limitation_section(request, case) -> dict:
    """What the section draws from the case's stored period (the nightly run and the letters keep it)."""
    from legal.limitation import WARNING_DAYS

    today = lender_today()
    expires_on = case.limitation_expires_on
    restarted_by = case.limitation_restarted_by
    list_url = reverse("legal:limitation_list") if user_can(request.user, Capability.WORK_LEGAL) else ""
    return {
        "expires_on": expires_on,
        "restarted_on": case.limitation_restarted_on,
        "restarted_by": LimitationStart(restarted_by).label if restarted_by else "",
        "days_left": (expires_on - today).days if expires_on else None,
        "days_ago": (today - expires_on).days if expires_on else None,
        "state": limitation_state(expires_on, today, WARNING_DAYS),
        "list_url": list_url,
    }
