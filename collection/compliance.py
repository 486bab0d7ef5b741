"""
The compliance guard: the one place that decides whether a contact with a
borrower may happen. Every contact path asks it first — a collector's click
(services/contacts.py), an automatic message, a letter, a field visit, an
agency agent — and a refusal names the rule that refused and says why, in a
sentence the user can act on.

    contact_check(case=..., channel="call", contact_point=point)  -> Verdict
    contact_require(...)                                          -> None or ContactRefused
    contact_points_verdicts(case=..., contact_points=[...])       -> {point id: Verdict}
    profile_for(portfolio)                                        -> ContactProfile

A portfolio is collected under one jurisdiction's profile (China: the NIFA
collection convention and its 2024 post-loan guideline; United States: the
FDCPA and Regulation F). A portfolio's own limits only ever make the profile
stricter: `profile_for` takes the stricter of the two whatever is stored, and
`portfolio_limits_errors` refuses looser values before they are stored.

Every rule, its decisions at the edges and the test that proves it are listed
in docs/compliance.md. In short:

- Time is the borrower's local time (Borrower.time_zone). Contact hours are a
  half-open window: from `earliest_contact` (allowed) up to `latest_contact`
  (refused), so in China 08:00:00 and 21:59:59 are allowed and 22:00:00 is not.
- "Today" and "the last 7 days" are calendar days in the borrower's zone:
  today and the six days before it (Regulation F's "seven consecutive days",
  the day of a conversation being the first of them).
- Counts are per borrower, over all their cases, collectors and agencies.
- Inbound contacts (the borrower called us) are always allowed to be logged
  and never count toward a cap of calls *placed*; a telephone conversation
  the borrower started does start Regulation F's seven quiet days
  (profile knob `inbound_conversation_starts_quiet_period`).

Queries: a check reads the borrower's active holds (one query) and, when a
rule needs them, the borrower's contact attempts in the window (one query on
the (borrower, -occurred_at) index) and the history of the third-party
points concerned (one query). `contact_points_verdicts` shares those reads
between all points, so it runs the same few queries for any number of them.
"""

import datetime
from dataclasses import dataclass, replace
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.db import models
from django.db.models import Min, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext_lazy

from collection.errors import CollectionError
from collection.models import (
    AnsweredBy,
    CaseAccount,
    Channel,
    ContactAttempt,
    Direction,
    Hold,
    HoldKind,
    Jurisdiction,
    Outcome,
)
from lending.models import ContactPoint

# --- Rules ---------------------------------------------------------------------------


class Rule(models.TextChoices):
    """The stable codes a verdict names (a refusal's rule; an allowed verdict's condition, if any)."""

    BORROWER_FLAG = "borrower_flag", _("Borrower flagged deceased, bankrupt or do-not-contact")
    HOLD = "hold", _("Case on hold")
    CEASE_CONTACT = "cease_contact", _("Cease-contact request")
    CONTACT_POINT = "contact_point", _("Contact point not usable for this channel")
    CONSENT = "consent", _("No recorded consent")
    THIRD_PARTY_CHANNEL = "third_party_channel", _("Third parties: calls and visits only")
    THIRD_PARTY_REFUSED = "third_party_refused", _("Third party refused contact")
    THIRD_PARTY_ONCE = "third_party_once", _("Third party already reached")
    THIRD_PARTY_BORROWER_REACHABLE = "third_party_borrower_reachable", _("Borrower not shown unreachable")
    THIRD_PARTY_LOCATE_ONLY = "third_party_locate_only", _("Third party: locate only")
    TIME_BARRED = "time_barred", _("Time-barred debt")
    TIME_ZONE = "time_zone", _("Unknown time zone")
    CONTACT_HOURS = "contact_hours", _("Contact hours")
    DAILY_CONNECTED_CALLS = "daily_connected_calls", _("Connected calls a day")
    CALL_ATTEMPTS_7_DAYS = "call_attempts_7_days", _("Call attempts in 7 days")
    RECENT_CONVERSATION = "recent_conversation", _("Quiet days after a conversation")
    VISIT_RECORDING = "visit_recording", _("Field visits are recorded")


# Reasons (full sentences for the user) and labels (the short live verdict).
ALLOWED_LABELS = {
    Channel.CALL: _("May call now"),
    Channel.SMS: _("May send an SMS now"),
    Channel.EMAIL: _("May e-mail now"),
    Channel.VISIT: _("May visit now"),
    Channel.LETTER: _("May send a letter"),
    Channel.IN_APP: _("May message in the app now"),
}
INBOUND_LABEL = _("Inbound: may be logged")
INBOUND_REASON = _("A contact the borrower started may always be logged.")
LEGAL_NOTICE_LABEL = _("Legally required notice only")
LEGAL_NOTICE_REASON = _("Only this legally required notice may be sent while the case is held.")

DECEASED_REASON = _("The borrower is flagged deceased: they are never contacted.")
BANKRUPT_REASON = _("The borrower is flagged bankrupt: they are never contacted.")
DO_NOT_CONTACT_REASON = _("The borrower is flagged do-not-contact: they are never contacted.")
DECEASED_LABEL = _("Deceased: never contact")
BANKRUPT_LABEL = _("Bankrupt: never contact")
DO_NOT_CONTACT_LABEL = _("Do not contact")

HOLD_REASON = _("The case is on hold (%(kind)s): no contact while the hold lasts.")
HOLD_NOTICE_REASON = _(
    "The case is on hold (%(kind)s): no contact while the hold lasts, except legally required notices by letter."
)
HOLD_LABEL = _("On hold: %(kind)s")
CEASE_FLAG_REASON = _(
    "The borrower asked us to stop contacting them: only legally required notices by letter may be sent."
)
CEASE_LABEL = _("Cease-contact request")

POINT_OTHER_BORROWER_REASON = _("This contact point belongs to another borrower.")
POINT_OTHER_BORROWER_LABEL = _("Another borrower's point")
POINT_DO_NOT_CONTACT_REASON = _("This contact point is marked do-not-contact.")
POINT_DO_NOT_CONTACT_LABEL = _("Do not contact this point")
POINT_WRONG_KIND_REASON = _(
    "This contact point (%(kind)s) cannot be used for this channel (%(channel)s): choose another point or channel."
)
POINT_WRONG_KIND_LABEL = _("Not for %(channel)s")
POINT_MISSING_REASON = _("Choose the contact point: consent to %(channel)s is recorded per number or address.")
POINT_MISSING_LABEL = _("Choose a contact point")

NO_SMS_CONSENT_REASON = _("No consent to SMS is recorded for this number: an SMS may not be sent.")
NO_SMS_CONSENT_LABEL = _("No SMS consent")
NO_EMAIL_CONSENT_REASON = _("No consent to e-mail is recorded for this address: an e-mail may not be sent.")
NO_EMAIL_CONSENT_LABEL = _("No e-mail consent")

THIRD_PARTY_CHANNEL_REASON = _(
    "Third parties are only called or visited to locate the borrower, never written to: "
    "a written message could tell them about the debt."
)
THIRD_PARTY_CHANNEL_LABEL = _("Third party: call or visit only")
THIRD_PARTY_REFUSED_REASON = _("This third party has refused to be contacted: they are never contacted again.")
THIRD_PARTY_REFUSED_LABEL = _("Third party refused contact")
THIRD_PARTY_ONCE_REASON = _(
    "This third party has already been reached once: they may not be contacted again about the borrower's location."
)
THIRD_PARTY_ONCE_LABEL = _("Third party already reached")
THIRD_PARTY_REACHABLE_REASON = ngettext_lazy(
    "Third parties may be contacted only when the borrower is unreachable: no conversation with the borrower "
    "in the last %(days)d days and at least %(needed)d failed attempt on their own numbers or addresses "
    "in that time (%(failed)d so far).",
    "Third parties may be contacted only when the borrower is unreachable: no conversation with the borrower "
    "in the last %(days)d days and at least %(needed)d failed attempts on their own numbers or addresses "
    "in that time (%(failed)d so far).",
    "needed",
)
THIRD_PARTY_SPOKE_RECENTLY_REASON = _(
    "Third parties may be contacted only when the borrower is unreachable, and we spoke to the borrower "
    "on %(date)s (within the last %(days)d days)."
)
THIRD_PARTY_REACHABLE_LABEL = _("Borrower not unreachable")
THIRD_PARTY_ALLOWED_REASON = _(
    "A third party may be asked only where the borrower can be reached: never tell them about the debt."
)
THIRD_PARTY_ALLOWED_LABEL = _("Third party: locate only, never mention the debt")

TIME_BARRED_REASON = _(
    "The debt is time-barred (the oldest unpaid installment fell due on %(date)s, more than %(years)d years ago): "
    "nothing may threaten legal action."
)
TIME_BARRED_LABEL = _("Time-barred: no legal threats")

TIME_ZONE_REASON = _(
    "The borrower's time zone “%(zone)s” is unknown, so their local time cannot be checked: correct it first."
)
TIME_ZONE_LABEL = _("Unknown time zone")

HOURS_REASON = _(
    "It is %(local)s for the borrower (%(zone)s); contact is allowed only from %(earliest)s to %(latest)s "
    "their local time."
)
HOURS_LABEL = _("Not before %(earliest)s local time")

DAILY_CONNECTED_REASON = ngettext_lazy(
    "The borrower has had %(count)d connected call today (their local day), counting every collector and "
    "agency; at most %(limit)d a day.",
    "The borrower has had %(count)d connected calls today (their local day), counting every collector and "
    "agency; at most %(limit)d a day.",
    "count",
)
DAILY_CONNECTED_LABEL = ngettext_lazy("%(count)d connected call today", "%(count)d connected calls today", "count")

ATTEMPTS_REASON = _(
    "%(count)d calls have been placed to the borrower in the last 7 days (%(first)s to %(last)s, their local "
    "dates); at most %(limit)d."
)
ATTEMPTS_LABEL = _("%(count)d call attempts in 7 days")

CONVERSATION_REASON = _(
    "We spoke to the borrower by telephone on %(date)s: no call may be placed within 7 days of a conversation, "
    "so the next call may be placed from %(next)s."
)
CONVERSATION_LABEL = _("Spoke on %(date)s: no calls before %(next)s")

VISIT_NOT_RECORDED_REASON = _(
    "Every field visit is recorded on audio or video: record the visit, or the report cannot be filed."
)
VISIT_NOT_RECORDED_LABEL = _("Visit not recorded")
VISIT_RECORDED_LABEL = _("Visit report may be filed")

# Stricter-only limits: what the portfolio form and service refuse.
EARLIEST_TOO_EARLY = _("%(profile)s allows contact from %(limit)s: a portfolio may start later, never earlier.")
LATEST_TOO_LATE = _("%(profile)s allows contact until %(limit)s: a portfolio may stop earlier, never later.")
WINDOW_EMPTY = _("The earliest contact time must come before the latest.")
CONNECTED_TOO_MANY = _(
    "%(profile)s allows at most %(limit)d connected calls a day: a portfolio may allow fewer, never more."
)
ATTEMPTS_TOO_MANY = _(
    "%(profile)s allows at most %(limit)d call attempts in 7 days: a portfolio may allow fewer, never more."
)
LIMIT_AT_LEAST_ONE = _("Use at least 1; to stop calls altogether, put the cases on hold.")

# Opt-out lines for electronic messages (Regulation F § 1006.6(e)).
OPT_OUT_LINES = {
    Channel.SMS: _("Reply STOP to receive no more text messages from us."),
    Channel.EMAIL: _("To receive no more e-mails from us, reply with the word UNSUBSCRIBE."),
    Channel.IN_APP: _("To receive no more messages in the app, turn them off in the app's settings."),
}


# --- Verdicts ------------------------------------------------------------------------


@dataclass(frozen=True)
class Verdict:
    """
    Allowed or refused. `rule` names the refusing rule (a `Rule` code); an
    allowed verdict may name a condition to obey (`third_party_locate_only`).
    `reason` is a full sentence for the user, `label` the short live verdict.
    """

    allowed: bool
    rule: str = ""
    reason: str = ""
    label: str = ""

    def __bool__(self):
        return self.allowed


class ContactRefused(CollectionError):
    """The compliance guard refused a contact; the message is the verdict's reason."""

    def __init__(self, verdict: Verdict):
        super().__init__(verdict.reason)
        self.verdict = verdict


def _refused(rule, reason, label, **values) -> Verdict:
    return Verdict(allowed=False, rule=str(rule), reason=_fill(reason, values), label=_fill(label, values))


def _fill(text, values) -> str:
    # `%` on the lazy text itself, so that a plural (ngettext_lazy) picks its form from the values.
    return str(text % values) if values else str(text)


def _hhmm(value: datetime.time) -> str:
    return value.strftime("%H:%M")


# --- Jurisdiction profiles -------------------------------------------------------------


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

# The days the 7-day call rules look back over: today and the six before.
WINDOW_DAYS = 7


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
        errors["earliest_contact"] = _fill(
            EARLIEST_TOO_EARLY, {"profile": name, "limit": _hhmm(profile.earliest_contact)}
        )
    if latest_contact is not None and latest_contact > profile.latest_contact:
        errors["latest_contact"] = _fill(LATEST_TOO_LATE, {"profile": name, "limit": _hhmm(profile.latest_contact)})
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
            errors[field] = _fill(message, {"profile": name, "limit": limit})
    return errors


def opt_out_line_required(profile: ContactProfile, channel: str) -> bool:
    """Whether a message on `channel` must carry an opt-out line under `profile` (US: SMS, e-mail, in-app)."""
    return channel in profile.opt_out_channels


def opt_out_line(profile: ContactProfile, channel: str) -> str:
    """The opt-out line a message on `channel` must end with, or "" when none is required."""
    return str(OPT_OUT_LINES[channel]) if opt_out_line_required(profile, channel) else ""


# --- The facts a check needs, read once per case ----------------------------------------

PHONE_KINDS = frozenset({ContactPoint.Kind.MOBILE, ContactPoint.Kind.HOME_PHONE, ContactPoint.Kind.WORK_PHONE})
ADDRESS_KINDS = frozenset({ContactPoint.Kind.HOME_ADDRESS, ContactPoint.Kind.WORK_ADDRESS})
# Which kinds of contact point each channel can use (in-app messages need none).
CHANNEL_POINT_KINDS = {
    Channel.CALL: PHONE_KINDS,
    Channel.SMS: frozenset({ContactPoint.Kind.MOBILE}),
    Channel.EMAIL: frozenset({ContactPoint.Kind.EMAIL}),
    Channel.VISIT: ADDRESS_KINDS,
    Channel.LETTER: ADDRESS_KINDS,
}
# The live verdict on the case page is for each point's natural channel.
NATURAL_CHANNEL = {
    ContactPoint.Kind.MOBILE: Channel.CALL,
    ContactPoint.Kind.HOME_PHONE: Channel.CALL,
    ContactPoint.Kind.WORK_PHONE: Channel.CALL,
    ContactPoint.Kind.EMAIL: Channel.EMAIL,
    ContactPoint.Kind.HOME_ADDRESS: Channel.VISIT,
    ContactPoint.Kind.WORK_ADDRESS: Channel.VISIT,
}
# Third parties are called or visited to locate the borrower, never written to.
THIRD_PARTY_CHANNELS = frozenset({Channel.CALL, Channel.VISIT})
# Holds that follow the borrower into any of their cases; the others hold one case.
BORROWER_HOLDS = frozenset({HoldKind.CEASE_CONTACT, HoldKind.BANKRUPTCY, HoldKind.DECEASED})
NEVER_HOLDS = (HoldKind.DECEASED, HoldKind.BANKRUPTCY)
# Attempts that failed to reach the borrower (for "unreachable").
REACHING_CHANNELS = frozenset({Channel.CALL, Channel.VISIT})


@dataclass(frozen=True)
class _Attempt:
    local_date: datetime.date
    channel: str
    direction: str
    answered_by: str
    outcome: str
    point_owner: str | None


class _CaseFacts:
    """What the guard knows about one case at one moment; each read happens once, when a rule first needs it."""

    def __init__(self, case, at):
        self.case = case
        self.borrower = case.borrower
        self.profile = profile_for(case.portfolio)
        self.at = at
        self.zone = _zone(self.borrower.time_zone)
        self.local = timezone.localtime(at, self.zone) if self.zone else None
        self.today = self.local.date() if self.local else timezone.localdate(at)
        self._holds = None
        self._attempts = None
        self._third_party = {}

    # Holds: this case's, and the borrower-wide ones on any of the borrower's cases.
    def holds(self) -> set[str]:
        if self._holds is None:
            self._holds = set(
                Hold.objects.filter(
                    Q(case_id=self.case.pk) | Q(case__borrower_id=self.borrower.pk, kind__in=BORROWER_HOLDS),
                    released_at__isnull=True,
                ).values_list("kind", flat=True)
            )
        return self._holds

    # The borrower's attempts over the longest window any rule looks back over.
    def window_days(self) -> int:
        return max(WINDOW_DAYS, self.profile.unreachable_days)

    def attempts(self) -> list[_Attempt]:
        if self._attempts is None:
            first_day = self.today - datetime.timedelta(days=self.window_days() - 1)
            start = _local_midnight(first_day, self.zone)
            end = _local_midnight(self.today + datetime.timedelta(days=1), self.zone)
            rows = ContactAttempt.objects.filter(
                borrower_id=self.borrower.pk, occurred_at__gte=start, occurred_at__lt=end
            ).values_list("occurred_at", "channel", "direction", "answered_by", "outcome", "contact_point__owner")
            self._attempts = [
                _Attempt(timezone.localtime(occurred_at, self.zone).date(), *rest) for occurred_at, *rest in rows
            ]
        return self._attempts

    def attempts_since(self, days: int) -> list[_Attempt]:
        """Attempts on today and the `days - 1` local days before it."""
        first_day = self.today - datetime.timedelta(days=days - 1)
        return [attempt for attempt in self.attempts() if attempt.local_date >= first_day]

    # Third-party points: ever refused, ever reached.
    def third_party_history(self, point_ids) -> None:
        wanted = [point_id for point_id in point_ids if point_id not in self._third_party]
        if not wanted:
            return
        for point_id in wanted:
            self._third_party[point_id] = (False, 0)
        rows = ContactAttempt.objects.filter(borrower_id=self.borrower.pk, contact_point_id__in=wanted).filter(
            Q(outcome=Outcome.THIRD_PARTY_REFUSED) | Q(answered_by=AnsweredBy.THIRD_PARTY)
        )
        for point_id, outcome, answered_by in rows.values_list("contact_point_id", "outcome", "answered_by"):
            refused, reached = self._third_party[point_id]
            self._third_party[point_id] = (
                refused or outcome == Outcome.THIRD_PARTY_REFUSED,
                reached + (answered_by == AnsweredBy.THIRD_PARTY),
            )

    def third_party(self, point_id) -> tuple[bool, int]:
        self.third_party_history([point_id])
        return self._third_party[point_id]

    def oldest_unpaid_due_on(self) -> datetime.date:
        oldest = CaseAccount.objects.filter(case_id=self.case.pk, left_on__isnull=True).aggregate(
            oldest=Min("account__oldest_unpaid_due_on")
        )["oldest"]
        return oldest or self.case.opened_on


def _zone(name: str):
    try:
        return ZoneInfo(name) if name else None
    except (ZoneInfoNotFoundError, ValueError):
        return None


def _local_midnight(day: datetime.date, zone) -> datetime.datetime:
    midnight = datetime.datetime.combine(day, datetime.time.min)
    return midnight.replace(tzinfo=zone) if zone else timezone.make_aware(midnight)


def _add_years(day: datetime.date, years: int) -> datetime.date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February
        return day.replace(year=day.year + years, day=28)


# --- The checks --------------------------------------------------------------------------


def _check(
    facts: _CaseFacts,
    *,
    channel: str,
    contact_point=None,
    direction=Direction.OUTBOUND,
    legally_required_notice=False,
    threatens_legal_action=False,
) -> Verdict:
    channel = Channel(channel)
    if direction == Direction.INBOUND:
        return Verdict(allowed=True, reason=str(INBOUND_REASON), label=str(INBOUND_LABEL))
    borrower, profile = facts.borrower, facts.profile
    notice = legally_required_notice and channel == Channel.LETTER

    if contact_point is not None and contact_point.borrower_id != borrower.pk:
        return _refused(Rule.CONTACT_POINT, POINT_OTHER_BORROWER_REASON, POINT_OTHER_BORROWER_LABEL)

    # Never: deceased, bankrupt, do-not-contact — not even a legally required notice.
    for flagged, reason, label in (
        (borrower.is_deceased, DECEASED_REASON, DECEASED_LABEL),
        (borrower.is_bankrupt, BANKRUPT_REASON, BANKRUPT_LABEL),
        (borrower.do_not_contact, DO_NOT_CONTACT_REASON, DO_NOT_CONTACT_LABEL),
    ):
        if flagged:
            return _refused(Rule.BORROWER_FLAG, reason, label)
    holds = facts.holds()
    for kind in NEVER_HOLDS:
        if kind in holds:
            kind_label = str(HoldKind(kind).label)
            return _refused(Rule.HOLD, HOLD_REASON, HOLD_LABEL, kind=kind_label)
    if contact_point is not None and contact_point.do_not_contact:
        return _refused(Rule.CONTACT_POINT, POINT_DO_NOT_CONTACT_REASON, POINT_DO_NOT_CONTACT_LABEL)

    # A cease-contact request, a dispute, a complaint, a hardship review: legally required letters only.
    held = borrower.cease_contact_requested or bool(holds)
    if not notice:
        if borrower.cease_contact_requested:
            return _refused(Rule.CEASE_CONTACT, CEASE_FLAG_REASON, CEASE_LABEL)
        if HoldKind.CEASE_CONTACT in holds:
            return _refused(Rule.CEASE_CONTACT, CEASE_FLAG_REASON, CEASE_LABEL)
        for kind in (HoldKind.DISPUTE, HoldKind.COMPLAINT, HoldKind.HARDSHIP_REVIEW):
            if kind in holds:
                kind_label = str(HoldKind(kind).label)
                return _refused(Rule.HOLD, HOLD_NOTICE_REASON, HOLD_LABEL, kind=kind_label)

    # The channel must suit the point, and messages need recorded consent.
    channel_label = str(channel.label)
    kinds = CHANNEL_POINT_KINDS.get(channel)
    if contact_point is not None and kinds is not None and contact_point.kind not in kinds:
        return _refused(
            Rule.CONTACT_POINT,
            POINT_WRONG_KIND_REASON,
            POINT_WRONG_KIND_LABEL,
            channel=channel_label,
            kind=str(contact_point.get_kind_display()),
        )
    if channel in (Channel.SMS, Channel.EMAIL):
        if contact_point is None:
            return _refused(Rule.CONSENT, POINT_MISSING_REASON, POINT_MISSING_LABEL, channel=channel_label)
        if channel == Channel.SMS and not contact_point.consent_sms:
            return _refused(Rule.CONSENT, NO_SMS_CONSENT_REASON, NO_SMS_CONSENT_LABEL)
        if channel == Channel.EMAIL and not contact_point.consent_email:
            return _refused(Rule.CONSENT, NO_EMAIL_CONSENT_REASON, NO_EMAIL_CONSENT_LABEL)

    third_party = contact_point is not None and contact_point.is_third_party
    if third_party:
        verdict = _third_party_check(facts, channel=channel, contact_point=contact_point)
        if verdict is not None:
            return verdict

    if threatens_legal_action and profile.limitation_years is not None:
        oldest = facts.oldest_unpaid_due_on()
        if facts.today >= _add_years(oldest, profile.limitation_years):
            return _refused(
                Rule.TIME_BARRED,
                TIME_BARRED_REASON,
                TIME_BARRED_LABEL,
                date=oldest.isoformat(),
                years=profile.limitation_years,
            )

    # Calls always need the local time (their windows are the borrower's local days).
    timed = channel in profile.hours_channels
    if (timed or channel == Channel.CALL) and facts.zone is None:
        return _refused(Rule.TIME_ZONE, TIME_ZONE_REASON, TIME_ZONE_LABEL, zone=borrower.time_zone)
    if timed:
        local_time = facts.local.time()
        if not (profile.earliest_contact <= local_time < profile.latest_contact):
            return _refused(
                Rule.CONTACT_HOURS,
                HOURS_REASON,
                HOURS_LABEL,
                local=facts.local.strftime("%H:%M"),
                zone=borrower.time_zone,
                earliest=_hhmm(profile.earliest_contact),
                latest=_hhmm(profile.latest_contact),
            )

    if channel == Channel.CALL:
        verdict = _call_frequency_check(facts)
        if verdict is not None:
            return verdict

    if third_party:
        return Verdict(
            allowed=True,
            rule=str(Rule.THIRD_PARTY_LOCATE_ONLY),
            reason=str(THIRD_PARTY_ALLOWED_REASON),
            label=str(THIRD_PARTY_ALLOWED_LABEL),
        )
    if notice and held:
        return Verdict(allowed=True, reason=str(LEGAL_NOTICE_REASON), label=str(LEGAL_NOTICE_LABEL))
    return Verdict(allowed=True, label=str(ALLOWED_LABELS[channel]))


def _third_party_check(facts: _CaseFacts, *, channel, contact_point) -> Verdict | None:
    profile = facts.profile
    if channel not in THIRD_PARTY_CHANNELS:
        return _refused(Rule.THIRD_PARTY_CHANNEL, THIRD_PARTY_CHANNEL_REASON, THIRD_PARTY_CHANNEL_LABEL)
    refused, reached = facts.third_party(contact_point.pk)
    if refused:
        return _refused(Rule.THIRD_PARTY_REFUSED, THIRD_PARTY_REFUSED_REASON, THIRD_PARTY_REFUSED_LABEL)
    if profile.third_party_most_contacts is not None and reached >= profile.third_party_most_contacts:
        return _refused(Rule.THIRD_PARTY_ONCE, THIRD_PARTY_ONCE_REASON, THIRD_PARTY_ONCE_LABEL)
    if profile.third_party_only_when_unreachable:
        if facts.zone is None:
            return _refused(Rule.TIME_ZONE, TIME_ZONE_REASON, TIME_ZONE_LABEL, zone=facts.borrower.time_zone)
        days = profile.unreachable_days
        window = facts.attempts_since(days)
        spoke_on = [attempt.local_date for attempt in window if attempt.answered_by == AnsweredBy.BORROWER]
        last_rpc = facts.case.last_right_party_contact_at
        if last_rpc is not None:
            last_rpc_day = timezone.localtime(last_rpc, facts.zone).date()
            if facts.today - datetime.timedelta(days=days - 1) <= last_rpc_day <= facts.today:
                spoke_on.append(last_rpc_day)
        if spoke_on:
            return _refused(
                Rule.THIRD_PARTY_BORROWER_REACHABLE,
                THIRD_PARTY_SPOKE_RECENTLY_REASON,
                THIRD_PARTY_REACHABLE_LABEL,
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
            return _refused(
                Rule.THIRD_PARTY_BORROWER_REACHABLE,
                THIRD_PARTY_REACHABLE_REASON,
                THIRD_PARTY_REACHABLE_LABEL,
                days=days,
                needed=profile.unreachable_failed_attempts,
                failed=failed,
            )
    return None


def _call_frequency_check(facts: _CaseFacts) -> Verdict | None:
    profile = facts.profile
    needs_window = (
        profile.max_connected_calls_per_day is not None
        or profile.max_call_attempts_per_7_days is not None
        or profile.quiet_days_after_conversation is not None
    )
    if not needs_window:
        return None
    outbound_calls = [
        attempt
        for attempt in facts.attempts()
        if attempt.channel == Channel.CALL and attempt.direction == Direction.OUTBOUND
    ]
    limit = profile.max_connected_calls_per_day
    if limit is not None:
        # Every connected call about the borrower, whoever answered and whoever called.
        count = sum(
            1
            for attempt in outbound_calls
            if attempt.local_date == facts.today and attempt.answered_by != AnsweredBy.NOBODY
        )
        if count >= limit:
            return _refused(
                Rule.DAILY_CONNECTED_CALLS, DAILY_CONNECTED_REASON, DAILY_CONNECTED_LABEL, count=count, limit=limit
            )
    first_day = facts.today - datetime.timedelta(days=WINDOW_DAYS - 1)
    limit = profile.max_call_attempts_per_7_days
    if limit is not None:
        # Calls placed to the borrower (not to third parties, who are other persons).
        count = sum(
            1
            for attempt in outbound_calls
            if attempt.local_date >= first_day and attempt.point_owner != ContactPoint.Owner.THIRD_PARTY
        )
        if count >= limit:
            return _refused(
                Rule.CALL_ATTEMPTS_7_DAYS,
                ATTEMPTS_REASON,
                ATTEMPTS_LABEL,
                count=count,
                limit=limit,
                first=first_day.isoformat(),
                last=facts.today.isoformat(),
            )
    quiet_days = profile.quiet_days_after_conversation
    if quiet_days is not None:
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
            return _refused(
                Rule.RECENT_CONVERSATION,
                CONVERSATION_REASON,
                CONVERSATION_LABEL,
                date=spoke_on.isoformat(),
                next=next_day.isoformat(),
            )
    return None


# --- The interface -----------------------------------------------------------------------


def contact_check(
    *,
    case,
    channel: str,
    contact_point=None,
    at=None,
    direction: str = Direction.OUTBOUND,
    legally_required_notice: bool = False,
    threatens_legal_action: bool = False,
) -> Verdict:
    """
    May this contact happen at `at` (now by default)? `legally_required_notice`
    lets a letter through a cease-contact request or a dispute;
    `threatens_legal_action` marks a letter or call that mentions suing
    (refused on a time-barred debt where the profile has a limitation period).
    Select the case with its borrower and portfolio to save two queries.
    """
    facts = _CaseFacts(case, at or timezone.now())
    return _check(
        facts,
        channel=channel,
        contact_point=contact_point,
        direction=direction,
        legally_required_notice=legally_required_notice,
        threatens_legal_action=threatens_legal_action,
    )


def contact_require(**kwargs) -> None:
    """`contact_check`, raising ContactRefused (a CollectionError with the reason) when refused."""
    verdict = contact_check(**kwargs)
    if not verdict.allowed:
        raise ContactRefused(verdict)


def contact_points_verdicts(*, case, contact_points, at=None) -> dict[int, Verdict]:
    """
    The live verdict for each point on its natural channel (phones: call,
    e-mail: e-mail, addresses: visit), in the same few queries however many
    points there are.
    """
    points = list(contact_points)
    if not points:
        return {}
    facts = _CaseFacts(case, at or timezone.now())
    facts.third_party_history([point.pk for point in points if point.is_third_party])
    return {point.pk: _check(facts, channel=NATURAL_CHANNEL[point.kind], contact_point=point) for point in points}


def visit_report_check(*, was_recorded: bool, case=None) -> Verdict:
    """
    May this visit report be filed? Where the profile says every field visit
    is recorded (China), an unrecorded one is refused; with no case, the
    industry convention (recorded) applies.
    """
    must_record = profile_for(case.portfolio).visits_must_be_recorded if case is not None else True
    if must_record and not was_recorded:
        return _refused(Rule.VISIT_RECORDING, VISIT_NOT_RECORDED_REASON, VISIT_NOT_RECORDED_LABEL)
    return Verdict(allowed=True, label=str(VISIT_RECORDED_LABEL))


def visit_report_require(*, was_recorded: bool, case=None) -> None:
    verdict = visit_report_check(was_recorded=was_recorded, case=case)
    if not verdict.allowed:
        raise ContactRefused(verdict)
