"""
The rules themselves: one function a rule, each answering a refused
`Verdict` or None (this rule has nothing against the contact), and
`CHECKS`, the order they are asked in. The first refusal wins, so the order
is the precedence: a deceased borrower is refused as deceased even at
midnight; only then come holds, the contact point and consent, third
parties, time-barred debt, local time and the call caps.

`run_checks` is what the guard's entry points (guard.py) call. A new rule,
such as a refusal on one phone number, is one more function in `CHECKS`,
reading what it needs from `CaseFacts` (facts.py).

Inbound contacts (the borrower called us) are always allowed to be logged
and never count toward a cap of calls *placed* (the US attempts), but a
connected inbound call is one of China's connected calls of the day, so a
later outbound call is refused once the day has its 3; a telephone conversation
the borrower started does start Regulation F's seven quiet days (profile
knob `inbound_conversation_starts_quiet_period`).
"""

import datetime
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from django.utils import timezone

from collection.compliance import rules
from collection.compliance.facts import FLAGGED, CaseFacts
from collection.compliance.rules import (
    CHANNEL_POINT_KINDS,
    NEVER_HOLDS,
    NOTICE_ONLY_HOLDS,
    REACHING_CHANNELS,
    THIRD_PARTY_CHANNELS,
    WINDOW_DAYS,
    Rule,
)
from collection.compliance.verdicts import Verdict, hhmm, refusal
from collection.models import AnsweredBy, Channel, Direction, HoldKind
from lending.models import ContactPoint


@dataclass(frozen=True)
class ContactRequest:
    """The contact asked about: on which channel, to which point, and what it says."""

    channel: Channel
    contact_point: ContactPoint | None = None
    legally_required_notice: bool = False
    threatens_legal_action: bool = False

    @property
    def is_notice(self) -> bool:
        # Only a letter can be a legally required notice.
        return bool(self.legally_required_notice) and self.channel == Channel.LETTER

    @property
    def to_third_party(self) -> bool:
        return self.contact_point is not None and self.contact_point.is_third_party


# --- The borrower, holds and the contact point --------------------------------------


def point_belongs_to_borrower(facts: CaseFacts, request: ContactRequest) -> Verdict | None:
    point = request.contact_point
    if point is not None and point.borrower_id != facts.borrower.pk:
        return refusal(Rule.CONTACT_POINT, rules.POINT_OTHER_BORROWER_REASON, rules.POINT_OTHER_BORROWER_LABEL)
    return None


def borrower_flags(facts: CaseFacts, request: ContactRequest) -> Verdict | None:
    """Never: deceased, bankrupt, do-not-contact — not even a legally required notice."""
    borrower = facts.borrower
    for flagged, reason, label in (
        (borrower.is_deceased, rules.DECEASED_REASON, rules.DECEASED_LABEL),
        (borrower.is_bankrupt, rules.BANKRUPT_REASON, rules.BANKRUPT_LABEL),
        (borrower.do_not_contact, rules.DO_NOT_CONTACT_REASON, rules.DO_NOT_CONTACT_LABEL),
    ):
        if flagged:
            return refusal(Rule.BORROWER_FLAG, reason, label)
    return None


def never_holds(facts: CaseFacts, request: ContactRequest) -> Verdict | None:
    """A deceased or bankruptcy hold stops every contact, as the borrower's flags do."""
    holds = facts.holds()
    for kind in NEVER_HOLDS:
        if kind in holds:
            return refusal(Rule.HOLD, rules.HOLD_REASON, rules.HOLD_LABEL, kind=str(HoldKind(kind).label))
    return None


def point_do_not_contact(facts: CaseFacts, request: ContactRequest) -> Verdict | None:
    point = request.contact_point
    if point is not None and point.do_not_contact:
        return refusal(Rule.CONTACT_POINT, rules.POINT_DO_NOT_CONTACT_REASON, rules.POINT_DO_NOT_CONTACT_LABEL)
    return None


def number_marked(facts: CaseFacts, request: ContactRequest) -> Verdict | None:
    """A number someone asked us to stop calling, or a wrong number: refused on every record it is on."""
    point = request.contact_point
    if point is None or point.kind not in rules.PHONE_KINDS:
        return None
    marks = facts.number_marks(point.number_e164)
    if not marks:
        return None
    mark = marks[0]
    if mark.kind == FLAGGED:
        return refusal(Rule.NUMBER_MARKED, rules.NUMBER_FLAGGED_REASON, rules.NUMBER_FLAGGED_LABEL)
    return refusal(
        Rule.NUMBER_MARKED,
        rules.NUMBER_MARKED_REASONS[mark.kind],
        rules.NUMBER_MARKED_LABELS[mark.kind],
        date=timezone.localtime(mark.recorded_at, facts.zone or None).date().isoformat(),
    )


def cease_contact_and_holds(facts: CaseFacts, request: ContactRequest) -> Verdict | None:
    """A cease-contact request, a dispute, a complaint, a hardship review: legally required letters only."""
    if request.is_notice:
        return None
    holds = facts.holds()
    if facts.borrower.cease_contact_requested or HoldKind.CEASE_CONTACT in holds:
        return refusal(Rule.CEASE_CONTACT, rules.CEASE_FLAG_REASON, rules.CEASE_LABEL)
    for kind in NOTICE_ONLY_HOLDS:
        if kind in holds:
            return refusal(Rule.HOLD, rules.HOLD_NOTICE_REASON, rules.HOLD_LABEL, kind=str(HoldKind(kind).label))
    return None


def point_suits_channel(facts: CaseFacts, request: ContactRequest) -> Verdict | None:
    point, channel = request.contact_point, request.channel
    kinds = CHANNEL_POINT_KINDS.get(channel)
    if point is not None and kinds is not None and point.kind not in kinds:
        return refusal(
            Rule.CONTACT_POINT,
            rules.POINT_WRONG_KIND_REASON,
            rules.POINT_WRONG_KIND_LABEL,
            channel=str(channel.label),
            kind=str(point.get_kind_display()),
        )
    return None


def consent(facts: CaseFacts, request: ContactRequest) -> Verdict | None:
    """SMS and e-mail need consent recorded on the very number or address."""
    point, channel = request.contact_point, request.channel
    if channel not in (Channel.SMS, Channel.EMAIL):
        return None
    if point is None:
        return refusal(Rule.CONSENT, rules.POINT_MISSING_REASON, rules.POINT_MISSING_LABEL, channel=str(channel.label))
    if channel == Channel.SMS and not point.consent_sms:
        return refusal(Rule.CONSENT, rules.NO_SMS_CONSENT_REASON, rules.NO_SMS_CONSENT_LABEL)
    if channel == Channel.EMAIL and not point.consent_email:
        return refusal(Rule.CONSENT, rules.NO_EMAIL_CONSENT_REASON, rules.NO_EMAIL_CONSENT_LABEL)
    return None


# --- Third parties (only asked about a third-party point) ----------------------------


def third_party_channel(facts: CaseFacts, request: ContactRequest) -> Verdict | None:
    if request.to_third_party and request.channel not in THIRD_PARTY_CHANNELS:
        return refusal(Rule.THIRD_PARTY_CHANNEL, rules.THIRD_PARTY_CHANNEL_REASON, rules.THIRD_PARTY_CHANNEL_LABEL)
    return None


def third_party_refused(facts: CaseFacts, request: ContactRequest) -> Verdict | None:
    if not request.to_third_party:
        return None
    ever_refused, _reached = facts.third_party(request.contact_point.pk)
    if ever_refused:
        return refusal(Rule.THIRD_PARTY_REFUSED, rules.THIRD_PARTY_REFUSED_REASON, rules.THIRD_PARTY_REFUSED_LABEL)
    return None


def third_party_once(facts: CaseFacts, request: ContactRequest) -> Verdict | None:
    most = facts.profile.third_party_most_contacts
    if not request.to_third_party or most is None:
        return None
    _ever_refused, reached = facts.third_party(request.contact_point.pk)
    if reached >= most:
        return refusal(Rule.THIRD_PARTY_ONCE, rules.THIRD_PARTY_ONCE_REASON, rules.THIRD_PARTY_ONCE_LABEL)
    return None


def third_party_borrower_reachable(facts: CaseFacts, request: ContactRequest) -> Verdict | None:
    """Where the profile says so (China), a third party only once the borrower is shown unreachable."""
    profile = facts.profile
    if not request.to_third_party or not profile.third_party_only_when_unreachable:
        return None
    if facts.zone is None:
        return _zone_unknown(facts)
    days = profile.unreachable_days
    window = facts.attempts_since(days)
    spoke_on = [attempt.local_date for attempt in window if attempt.answered_by == AnsweredBy.BORROWER]
    # The case's last right-party contact counts too: it may have been logged outside the attempts.
    last_rpc = facts.last_right_party_contact_at
    if last_rpc is not None:
        last_rpc_day = timezone.localtime(last_rpc, facts.zone).date()
        if facts.today - datetime.timedelta(days=days - 1) <= last_rpc_day <= facts.today:
            spoke_on.append(last_rpc_day)
    if spoke_on:
        return refusal(
            Rule.THIRD_PARTY_BORROWER_REACHABLE,
            rules.THIRD_PARTY_SPOKE_RECENTLY_REASON,
            rules.THIRD_PARTY_REACHABLE_LABEL,
            date=max(spoke_on).isoformat(),
            days=days,
        )
    failed = sum(
        1
        for attempt in window
        if attempt.direction == Direction.OUTBOUND
        and attempt.channel in REACHING_CHANNELS
        and attempt.point_owner == ContactPoint.Owner.BORROWER
    )
    if failed < profile.unreachable_failed_attempts:
        return refusal(
            Rule.THIRD_PARTY_BORROWER_REACHABLE,
            rules.THIRD_PARTY_REACHABLE_REASON,
            rules.THIRD_PARTY_REACHABLE_LABEL,
            days=days,
            needed=profile.unreachable_failed_attempts,
            failed=failed,
        )
    return None


# --- What the contact says, and when it happens ---------------------------------------


def time_barred(facts: CaseFacts, request: ContactRequest) -> Verdict | None:
    """No threat of legal action once the debt is older than the profile's limitation period (US)."""
    years = facts.profile.limitation_years
    if not request.threatens_legal_action or years is None:
        return None
    oldest = facts.oldest_unpaid_due_on()
    if facts.today >= _add_years(oldest, years):
        return refusal(
            Rule.TIME_BARRED, rules.TIME_BARRED_REASON, rules.TIME_BARRED_LABEL, date=oldest.isoformat(), years=years
        )
    return None


def time_zone(facts: CaseFacts, request: ContactRequest) -> Verdict | None:
    # Calls always need the local time (their windows are the borrower's local days).
    needs_local_time = request.channel in facts.profile.hours_channels or request.channel == Channel.CALL
    if needs_local_time and (facts.zone is None or not facts.zones()):
        return _zone_unknown(facts)
    return None


def _zone_unknown(facts: CaseFacts) -> Verdict:
    if facts.borrower.time_zone:  # a zone the lender sent that is no zone
        return refusal(Rule.TIME_ZONE, rules.TIME_ZONE_REASON, rules.TIME_ZONE_LABEL, zone=facts.borrower.time_zone)
    return refusal(Rule.TIME_ZONE, rules.TIME_ZONE_MISSING_REASON, rules.TIME_ZONE_LABEL)


def contact_hours(facts: CaseFacts, request: ContactRequest) -> Verdict | None:
    """
    A half-open window of the borrower's local time, earliest allowed, latest
    refused, in every zone the borrower may be in (Regulation F, conflicting
    information: only a time convenient in all of them is convenient).
    """
    profile = facts.profile
    if request.channel not in profile.hours_channels:
        return None
    # time_zone() ran first, so the zones are known here.
    zones = facts.zones()
    for name in zones:
        local = timezone.localtime(facts.at, ZoneInfo(name))
        if profile.earliest_contact <= local.time() < profile.latest_contact:
            continue
        sentence = rules.HOURS_REASON if len(zones) == 1 else rules.HOURS_ZONES_REASON
        return refusal(
            Rule.CONTACT_HOURS,
            sentence,
            rules.HOURS_LABEL,
            local=local.strftime("%H:%M"),
            zone=name,
            zones=", ".join(zones),
            earliest=hhmm(profile.earliest_contact),
            latest=hhmm(profile.latest_contact),
        )
    return None


# --- Calls (only asked about a call) --------------------------------------------------


def _outbound_calls(facts: CaseFacts):
    return [
        attempt
        for attempt in facts.attempts()
        if attempt.channel == Channel.CALL and attempt.direction == Direction.OUTBOUND
    ]


def daily_connected_calls(facts: CaseFacts, request: ContactRequest) -> Verdict | None:
    limit = facts.profile.max_connected_calls_per_day
    if request.channel != Channel.CALL or limit is None:
        return None
    # Every connected call about the borrower, whoever answered and whoever called, inbound
    # too: a conversation the borrower started is one of the day's conversations (issue 10).
    count = sum(
        1
        for attempt in facts.attempts()
        if attempt.channel == Channel.CALL
        and attempt.local_date == facts.today
        and attempt.answered_by != AnsweredBy.NOBODY
    )
    if count < limit:
        return None
    return refusal(
        Rule.DAILY_CONNECTED_CALLS, rules.DAILY_CONNECTED_REASON, rules.DAILY_CONNECTED_LABEL, count=count, limit=limit
    )


def call_attempts_7_days(facts: CaseFacts, request: ContactRequest) -> Verdict | None:
    limit = facts.profile.max_call_attempts_per_7_days
    if request.channel != Channel.CALL or limit is None:
        return None
    first_day = facts.today - datetime.timedelta(days=WINDOW_DAYS - 1)
    # Calls placed to the borrower (not to third parties, who are other persons).
    count = sum(
        1
        for attempt in _outbound_calls(facts)
        if attempt.local_date >= first_day and attempt.point_owner != ContactPoint.Owner.THIRD_PARTY
    )
    if count >= limit:
        return refusal(
            Rule.CALL_ATTEMPTS_7_DAYS,
            rules.ATTEMPTS_REASON,
            rules.ATTEMPTS_LABEL,
            count=count,
            limit=limit,
            first=first_day.isoformat(),
            last=facts.today.isoformat(),
        )
    return None


def recent_conversation(facts: CaseFacts, request: ContactRequest) -> Verdict | None:
    """Regulation F: no call within 7 days of a telephone conversation with the borrower."""
    profile = facts.profile
    quiet_days = profile.quiet_days_after_conversation
    if request.channel != Channel.CALL or quiet_days is None:
        return None
    since = facts.today - datetime.timedelta(days=quiet_days - 1)
    conversations = [
        attempt.local_date
        for attempt in facts.attempts()
        if attempt.channel == Channel.CALL
        and attempt.answered_by == AnsweredBy.BORROWER
        and attempt.local_date >= since
        and (attempt.direction == Direction.OUTBOUND or profile.inbound_conversation_starts_quiet_period)
    ]
    if conversations:
        spoke_on = max(conversations)
        next_day = spoke_on + datetime.timedelta(days=quiet_days)
        return refusal(
            Rule.RECENT_CONVERSATION,
            rules.CONVERSATION_REASON,
            rules.CONVERSATION_LABEL,
            date=spoke_on.isoformat(),
            next=next_day.isoformat(),
        )
    return None


# The order is the precedence: the first refusal is the verdict.
CHECKS = (
    point_belongs_to_borrower,
    borrower_flags,
    never_holds,
    point_do_not_contact,
    cease_contact_and_holds,
    point_suits_channel,
    consent,
    third_party_channel,
    third_party_refused,
    # After the third party's own refusal: a refusal on this very point says so in its own words.
    number_marked,
    third_party_once,
    third_party_borrower_reachable,
    time_barred,
    time_zone,
    contact_hours,
    daily_connected_calls,
    call_attempts_7_days,
    recent_conversation,
)


def run_checks(facts: CaseFacts, request: ContactRequest, *, direction=Direction.OUTBOUND) -> Verdict:
    """The verdict on one contact: inbound is always allowed; otherwise the first refusal, or allowed."""
    if direction == Direction.INBOUND:
        return Verdict(allowed=True, reason=str(rules.INBOUND_REASON), label=str(rules.INBOUND_LABEL))
    for check in CHECKS:
        verdict = check(facts, request)
        if verdict is not None:
            return verdict
    return _allowed(facts, request)


def _allowed(facts: CaseFacts, request: ContactRequest) -> Verdict:
    # An allowed verdict may still carry a condition: locate only, or this notice only.
    if request.to_third_party:
        return Verdict(
            allowed=True,
            rule=str(Rule.THIRD_PARTY_LOCATE_ONLY),
            reason=str(rules.THIRD_PARTY_ALLOWED_REASON),
            label=str(rules.THIRD_PARTY_ALLOWED_LABEL),
        )
    held = facts.borrower.cease_contact_requested or bool(facts.holds())
    if request.is_notice and held:
        return Verdict(allowed=True, reason=str(rules.LEGAL_NOTICE_REASON), label=str(rules.LEGAL_NOTICE_LABEL))
    return Verdict(allowed=True, label=str(rules.ALLOWED_LABELS[request.channel]))


def _add_years(day: datetime.date, years: int) -> datetime.date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February
        return day.replace(year=day.year + years, day=28)
