"""
The rules the guard knows: their stable codes (`Rule`), the few facts of the
trade they work with (which channel uses which kind of contact point, which
holds stop everything) and every sentence a verdict says.

Sentences come in pairs: a `..._REASON` is the full sentence shown when an
action is refused, a `..._LABEL` the short live verdict on the case page.
They are grouped below by rule, in the order the guard checks them
(checks.py), so the words for "contact hours" sit under "Contact hours".
The numbers of each jurisdiction (08:00 to 22:00, 3 calls a day...) are not
here but in profiles.py.
"""

from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext_lazy

from collection.models import Channel, HoldKind, Outcome
from lending.models import ContactPoint, PhoneNumberMark


class Rule(models.TextChoices):
    """The stable codes a verdict names (a refusal's rule; an allowed verdict's condition, if any)."""

    BORROWER_FLAG = "borrower_flag", _("Borrower flagged deceased, bankrupt or do-not-contact")
    HOLD = "hold", _("Case on hold")
    CEASE_CONTACT = "cease_contact", _("Cease-contact request")
    CONTACT_POINT = "contact_point", _("Contact point not usable for this channel")
    NUMBER_MARKED = "number_marked", _("Number marked do-not-call or wrong number")
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


# --- What the rules work with --------------------------------------------------------

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
# Holds that stop every contact, even a legally required letter.
NEVER_HOLDS = (HoldKind.DECEASED, HoldKind.BANKRUPTCY)
# Holds that let only a legally required letter through (as a cease-contact request does).
NOTICE_ONLY_HOLDS = (HoldKind.DISPUTE, HoldKind.COMPLAINT, HoldKind.HARDSHIP_REVIEW)
# Attempts that failed to reach the borrower (for "unreachable").
REACHING_CHANNELS = frozenset({Channel.CALL, Channel.VISIT})
# The days the 7-day call rules look back over: today and the six before.
WINDOW_DAYS = 7
# Outcomes that mark the number itself, for every record it is on (lending.services.phone_number_mark).
OUTCOME_NUMBER_MARKS = {
    Outcome.THIRD_PARTY_REFUSED: PhoneNumberMark.Kind.DO_NOT_CALL,
    Outcome.WRONG_NUMBER: PhoneNumberMark.Kind.WRONG_NUMBER,
}


# --- Allowed -------------------------------------------------------------------------

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

# --- Borrower flags (Rule.BORROWER_FLAG) ---------------------------------------------

DECEASED_REASON = _("The borrower is flagged deceased: they are never contacted.")
BANKRUPT_REASON = _("The borrower is flagged bankrupt: they are never contacted.")
DO_NOT_CONTACT_REASON = _("The borrower is flagged do-not-contact: they are never contacted.")
DECEASED_LABEL = _("Deceased: never contact")
BANKRUPT_LABEL = _("Bankrupt: never contact")
DO_NOT_CONTACT_LABEL = _("Do not contact")

# --- Holds and cease-contact requests (Rule.HOLD, Rule.CEASE_CONTACT) ------------------

HOLD_REASON = _("The case is on hold (%(kind)s): no contact while the hold lasts.")
HOLD_NOTICE_REASON = _(
    "The case is on hold (%(kind)s): no contact while the hold lasts, except legally required notices by letter."
)
HOLD_LABEL = _("On hold: %(kind)s")
CEASE_FLAG_REASON = _(
    "The borrower asked us to stop contacting them: only legally required notices by letter may be sent."
)
CEASE_LABEL = _("Cease-contact request")

# --- Contact points (Rule.CONTACT_POINT) and consent (Rule.CONSENT) --------------------

POINT_OTHER_BORROWER_REASON = _("This contact point belongs to another borrower.")
POINT_OTHER_BORROWER_LABEL = _("Another borrower's point")
POINT_DO_NOT_CONTACT_REASON = _("This contact point is marked do-not-contact.")
POINT_DO_NOT_CONTACT_LABEL = _("Do not contact this point")
NUMBER_MARKED_REASONS = {
    PhoneNumberMark.Kind.DO_NOT_CALL: _(
        "Whoever answered this number on %(date)s asked us to stop calling it: it is never called or texted again, "
        "on any contact point of any borrower."
    ),
    PhoneNumberMark.Kind.WRONG_NUMBER: _(
        "This number was found to be a wrong number on %(date)s: it is never called or texted again, "
        "on any contact point of any borrower."
    ),
}
NUMBER_FLAGGED_REASON = _(
    "This number is marked do-not-contact on another of its records: it is never called or texted, "
    "on any contact point of any borrower."
)
NUMBER_FLAGGED_LABEL = _("Number marked do-not-contact")
NUMBER_MARKED_LABELS = {
    PhoneNumberMark.Kind.DO_NOT_CALL: _("Number: asked us to stop calling"),
    PhoneNumberMark.Kind.WRONG_NUMBER: _("Wrong number"),
}
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

# --- Third parties (Rule.THIRD_PARTY_*) ----------------------------------------------

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

# --- Time-barred debt (Rule.TIME_BARRED) ---------------------------------------------

TIME_BARRED_REASON = _(
    "The debt is time-barred (the oldest unpaid installment fell due on %(date)s, more than %(years)d years ago): "
    "nothing may threaten legal action."
)
TIME_BARRED_LABEL = _("Time-barred: no legal threats")

# --- Time zone and contact hours (Rule.TIME_ZONE, Rule.CONTACT_HOURS) -----------------

TIME_ZONE_REASON = _(
    "The borrower's time zone “%(zone)s” is unknown, so their local time cannot be checked: correct it first."
)
TIME_ZONE_MISSING_REASON = _(
    "The borrower's time zone is not known (none is set and neither their address nor their numbers tell it), "
    "so their local time cannot be checked: set the borrower's time zone or address first."
)
TIME_ZONE_LABEL = _("Unknown time zone")

HOURS_REASON = _(
    "It is %(local)s for the borrower (%(zone)s); contact is allowed only from %(earliest)s to %(latest)s "
    "their local time."
)
HOURS_LABEL = _("Not before %(earliest)s local time")
HOURS_ZONES_REASON = _(
    "The borrower may be in any of these time zones (their zone, address and numbers disagree): %(zones)s. "
    "Contact is allowed only from %(earliest)s to %(latest)s in every one of them, and it is %(local)s in %(zone)s."
)

# --- Calls (Rule.DAILY_CONNECTED_CALLS, Rule.CALL_ATTEMPTS_7_DAYS, Rule.RECENT_CONVERSATION)

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

# --- Field visits (Rule.VISIT_RECORDING) ---------------------------------------------

VISIT_NOT_RECORDED_REASON = _(
    "Every field visit is recorded on audio or video: record the visit, or the report cannot be filed."
)
VISIT_NOT_RECORDED_LABEL = _("Visit not recorded")
VISIT_RECORDED_LABEL = _("Visit report may be filed")

# --- Portfolio limits: stricter only (what the portfolio form and service refuse) -------

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

# --- Opt-out lines for electronic messages (Regulation F § 1006.6(e)) ----------------

OPT_OUT_LINES = {
    Channel.SMS: _("Reply STOP to receive no more text messages from us."),
    Channel.EMAIL: _("To receive no more e-mails from us, reply with the word UNSUBSCRIBE."),
    Channel.IN_APP: _("To receive no more messages in the app, turn them off in the app's settings."),
}
