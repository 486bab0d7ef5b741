"""
Jurisdiction profiles: the numbers each jurisdiction's rules use (contact
hours, call caps, quiet days, third-party limits, opt-out lines, recorded
visits, the limitation period), and a portfolio's own limits on top.

A portfolio is collected under one jurisdiction's profile (China: the NIFA
collection convention and its 2024 post-loan guideline; United States: the
FDCPA and Regulation F). A portfolio's own limits only ever make the profile
stricter: `profile_for` takes the stricter of the two whatever is stored, and
`portfolio_limits_errors` refuses looser values before they are stored.
"""

import datetime
from dataclasses import dataclass, replace

from django.utils.translation import gettext_lazy as _

from collection.compliance.rules import (
    ATTEMPTS_TOO_MANY,
    CONNECTED_TOO_MANY,
    EARLIEST_TOO_EARLY,
    LATEST_TOO_LATE,
    LIMIT_AT_LEAST_ONE,
    OPT_OUT_LINES,
    WINDOW_EMPTY,
)
from collection.compliance.verdicts import fill, hhmm
from collection.models import Channel, Jurisdiction


@dataclass(frozen=True)
class ContactProfile:
    """
    A jurisdiction's contact rules. `None` for a limit means "no such limit
    in this profile" (a portfolio may still add one: that is stricter).
    """

    jurisdiction: str
    name: str
    # Contact hours, borrower's local time: [earliest_contact, latest_contact).
    earliest_contact: datetime.time
    latest_contact: datetime.time
    hours_channels: frozenset
    # Calls.
    max_connected_calls_per_day: int | None
    max_call_attempts_per_7_days: int | None
    quiet_days_after_conversation: int | None
    inbound_conversation_starts_quiet_period: bool
    # Third parties.
    third_party_only_when_unreachable: bool
    third_party_most_contacts: int | None
    unreachable_days: int
    unreachable_failed_attempts: int
    # Messages, visits, letters.
    opt_out_channels: frozenset
    visits_must_be_recorded: bool
    limitation_years: int | None


# Letters are posted, not delivered at an hour: every other channel keeps the hours.
TIMED_CHANNELS = frozenset({Channel.CALL, Channel.SMS, Channel.EMAIL, Channel.VISIT, Channel.IN_APP})

CHINA = ContactProfile(
    jurisdiction=Jurisdiction.CHINA,
    name=_("China (NIFA collection convention)"),
    earliest_contact=datetime.time(8, 0),
    latest_contact=datetime.time(22, 0),
    hours_channels=TIMED_CHANNELS,
    max_connected_calls_per_day=3,
    max_call_attempts_per_7_days=None,
    quiet_days_after_conversation=None,
    inbound_conversation_starts_quiet_period=False,
    third_party_only_when_unreachable=True,
    third_party_most_contacts=None,
    unreachable_days=7,
    unreachable_failed_attempts=3,
    opt_out_channels=frozenset(),
    visits_must_be_recorded=True,
    limitation_years=None,
)

UNITED_STATES = ContactProfile(
    jurisdiction=Jurisdiction.UNITED_STATES,
    name=_("United States (FDCPA / Regulation F)"),
    earliest_contact=datetime.time(8, 0),
    latest_contact=datetime.time(21, 0),
    hours_channels=TIMED_CHANNELS,
    max_connected_calls_per_day=None,
    max_call_attempts_per_7_days=7,
    quiet_days_after_conversation=7,
    inbound_conversation_starts_quiet_period=True,
    third_party_only_when_unreachable=False,
    third_party_most_contacts=1,
    unreachable_days=7,
    unreachable_failed_attempts=3,
    opt_out_channels=frozenset({Channel.SMS, Channel.EMAIL, Channel.IN_APP}),
    visits_must_be_recorded=False,
    limitation_years=3,
)

PROFILES = {CHINA.jurisdiction: CHINA, UNITED_STATES.jurisdiction: UNITED_STATES}


# "Stricter" for each kind of limit: start later, stop earlier, allow fewer.
def _later(profile_value, portfolio_value):
    return portfolio_value if portfolio_value is not None and portfolio_value > profile_value else profile_value


def _earlier(profile_value, portfolio_value):
    return portfolio_value if portfolio_value is not None and portfolio_value < profile_value else profile_value


def _fewer(profile_value, portfolio_value):
    if portfolio_value is None:
        return profile_value
    if profile_value is None:
        return portfolio_value
    return min(profile_value, portfolio_value)


def profile_for(portfolio) -> ContactProfile:
    """The portfolio's effective rules: its jurisdiction's profile, made stricter (never looser) by its limits."""
    base = PROFILES[portfolio.jurisdiction]
    return replace(
        base,
        earliest_contact=_later(base.earliest_contact, portfolio.earliest_contact),
        latest_contact=_earlier(base.latest_contact, portfolio.latest_contact),
        max_connected_calls_per_day=_fewer(base.max_connected_calls_per_day, portfolio.max_connected_calls_per_day),
        max_call_attempts_per_7_days=_fewer(base.max_call_attempts_per_7_days, portfolio.max_call_attempts_per_7_days),
    )


def portfolio_limits_errors(
    *,
    jurisdiction: str,
    earliest_contact=None,
    latest_contact=None,
    max_connected_calls_per_day=None,
    max_call_attempts_per_7_days=None,
) -> dict[str, str]:
    """
    What is wrong with a portfolio's limits, by field: empty if every value
    is empty (the profile's) or stricter than the jurisdiction's profile.
    The portfolio form, the admin and services/portfolios.py all ask here.
    """
    profile = PROFILES[jurisdiction]
    name = str(profile.name)
    errors = {}
    if earliest_contact is not None and earliest_contact < profile.earliest_contact:
        errors["earliest_contact"] = fill(
            EARLIEST_TOO_EARLY, {"profile": name, "limit": hhmm(profile.earliest_contact)}
        )
    if latest_contact is not None and latest_contact > profile.latest_contact:
        errors["latest_contact"] = fill(LATEST_TOO_LATE, {"profile": name, "limit": hhmm(profile.latest_contact)})
    if not errors:
        earliest = _later(profile.earliest_contact, earliest_contact)
        latest = _earlier(profile.latest_contact, latest_contact)
        if earliest >= latest:
            errors["latest_contact" if latest_contact is not None else "earliest_contact"] = str(WINDOW_EMPTY)
    for field, limit, message in (
        ("max_connected_calls_per_day", profile.max_connected_calls_per_day, CONNECTED_TOO_MANY),
        ("max_call_attempts_per_7_days", profile.max_call_attempts_per_7_days, ATTEMPTS_TOO_MANY),
    ):
        value = {
            "max_connected_calls_per_day": max_connected_calls_per_day,
            "max_call_attempts_per_7_days": max_call_attempts_per_7_days,
        }[field]
        if value is None:
            continue
        if value < 1:
            errors[field] = str(LIMIT_AT_LEAST_ONE)
        elif limit is not None and value > limit:
            errors[field] = fill(message, {"profile": name, "limit": limit})
    return errors


def opt_out_line_required(profile: ContactProfile, channel: str) -> bool:
    """Whether a message on `channel` must carry an opt-out line under `profile` (US: SMS, e-mail, in-app)."""
    return channel in profile.opt_out_channels


def opt_out_line(profile: ContactProfile, channel: str) -> str:
    """The opt-out line a message on `channel` must end with, or "" when none is required."""
    return str(OPT_OUT_LINES[channel]) if opt_out_line_required(profile, channel) else ""
