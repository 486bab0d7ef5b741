"""
When a message may leave: the next moment inside the borrower's contact hours.

A reminder that falls outside the hours is not dropped, it waits: due at
23:00 in Shanghai, it goes at 08:00 the next morning. The hours are the
profile's (collection/compliance/profiles.py, made stricter by the portfolio),
read in the borrower's zone; where the borrower may be in several zones
(collection/compliance/facts.py), the moment must suit every one of them.
"""

import datetime
from zoneinfo import ZoneInfo

from django.utils import timezone

# Enough rounds for any set of zones whose windows overlap at all; beyond it the windows never meet.
_MOST_ROUNDS = 16


def _inside(profile, local: datetime.datetime) -> bool:
    return profile.earliest_contact <= local.time() < profile.latest_contact


def next_contact_moment(*, profile, time_zone: str, at: datetime.datetime) -> datetime.datetime:
    """
    `at` if it is inside the profile's contact hours in `time_zone`, else the
    opening of the next window there (the same day's if `at` is before it,
    else the next day's). Aware in, aware out.
    """
    zone = ZoneInfo(time_zone)
    local = timezone.localtime(at, zone)
    if _inside(profile, local):
        return at
    day = local.date()
    if local.time() >= profile.latest_contact:
        day += datetime.timedelta(days=1)
    opening = datetime.datetime.combine(day, profile.earliest_contact, tzinfo=zone)
    # A window that opens in a daylight-saving gap: the wall clock skips it, take the real instant.
    return opening.astimezone(datetime.UTC)


def next_contact_moment_in_all(*, profile, time_zones, at: datetime.datetime) -> datetime.datetime | None:
    """
    The first moment from `at` inside the contact hours in every zone of
    `time_zones`, or None when their windows never overlap (the guard then
    refuses on contact hours, and the message is suppressed rather than
    waiting for ever).
    """
    zones = tuple(time_zones)
    if not zones:
        return None
    moment = at
    for _round in range(_MOST_ROUNDS):
        moved = moment
        for name in zones:
            moved = next_contact_moment(profile=profile, time_zone=name, at=moved)
        if moved == moment:
            return moment
        moment = moved
    return None
