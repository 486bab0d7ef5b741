"""
The lender's calendar: due dates, promises and paid-off days are dates in the
lender's time zone (settings.TIME_ZONE), whatever zone a request runs in.
"""

from datetime import date, datetime
from zoneinfo import ZoneInfo

from django.conf import settings
from django.utils import timezone

LENDER_TZ = ZoneInfo(settings.TIME_ZONE)


def lender_today() -> date:
    """Today in the lender's time zone: due dates and promises are the lender's dates, whatever zone a page is in."""
    return timezone.localdate(timezone=LENDER_TZ)


def local_date(moment: datetime) -> date:
    """The lender's calendar day of an instant (settings.TIME_ZONE), whatever zone the request runs in."""
    return moment.astimezone(LENDER_TZ).date()
