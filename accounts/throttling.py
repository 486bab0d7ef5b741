"""
Login throttling: django-axes, counting failed logins in the database.

Axes compares one count with one limit; its parameters here are the pair
(user name, client address), so wrong passwords for a collector from one
address lock that name out from that address only. This handler adds a
second, higher limit per address across every user name
(LOGIN_ADDRESS_FAILURE_LIMIT), so that one address trying many names is
locked out too, while a call centre whose staff share one address survives
a few mistyped passwords.
"""

from axes.attempts import get_cool_off_threshold
from axes.handlers.database import AxesDatabaseHandler
from axes.helpers import get_failure_limit
from axes.models import AccessAttempt
from django.conf import settings
from django.db.models import Sum


def address_failures(request) -> int:
    """Failed logins from this request's client address, any user name, within the cool-off time."""
    attempts = AccessAttempt.objects.filter(ip_address=request.axes_ip_address)
    if settings.AXES_COOLOFF_TIME is not None:
        attempts = attempts.filter(attempt_time__gte=get_cool_off_threshold(request))
    return attempts.aggregate(failures=Sum("failures_since_start"))["failures"] or 0


class LoginThrottleHandler(AxesDatabaseHandler):
    def get_failures(self, request, credentials: dict | None = None) -> int:
        failures = super().get_failures(request, credentials)
        if address_failures(request) >= settings.LOGIN_ADDRESS_FAILURE_LIMIT:
            # The address is over its own limit: count as over the pair's limit too.
            return max(failures, get_failure_limit(request, credentials))
        return failures
