"""
What a collector records on a case besides promises and deals: a contact
(after the compliance guard has allowed it), a note, the borrower's reason
for lateness, holds placed and released, hardship, and the audited reveal of
a masked national id or phone number.

Each service is keyword-only, runs in one transaction, writes its audit
event and its line on the case's timeline (kind + codes and numbers in
`data`, rendered and translated when the page is shown; `summary` is the
fallback text), and calls `case_status_refresh`; the reveal changes nothing
and writes only its audit event (who looked, never the value). Lending is read-only here:
a cease-contact request is a hold on the case, never a flag on the borrower.
"""

import datetime
from datetime import timedelta

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.permissions import Capability, user_can
from accounts.services import audit_record
from collection import compliance, events
from collection.compliance.rules import OUTCOME_NUMBER_MARKS
from collection.errors import CollectionError
from collection.models import (
    AnsweredBy,
    Case,
    CaseEvent,
    Channel,
    ContactAttempt,
    Direction,
    Hold,
    HoldKind,
    LatenessReason,
    Outcome,
)
from collection.priority import priority_refresh
from collection.services.cases import case_status_refresh
from collection.services.timeline import event_record
from lending.masking import revealed_value
from lending.models import Borrower, ContactPoint
from lending.services import LENDER_TZ, LendingError, lender_today, phone_number_mark

CASE_CLOSED = _("The case is closed: nothing more can be recorded on it.")
CONTACT_CHANNEL_UNKNOWN = _("Choose a channel.")
CONTACT_DIRECTION_UNKNOWN = _("Choose whether we contacted the borrower or they contacted us.")
CONTACT_POINT_REQUIRED = _("Choose the number or address used for this {channel}.")
CONTACT_POINT_NOT_NEEDED = _("An in-app message goes to the borrower's app, not to a contact point.")
CONTACT_POINT_NOT_THE_BORROWERS = _("That contact point is not one of this borrower's.")
CONTACT_POINT_WRONG_CHANNEL = _("A {channel} cannot go to a {kind}.")
CONTACT_ANSWERED_BY_UNKNOWN = _("Choose who answered.")
CONTACT_OUTCOME_UNKNOWN = _("Choose an outcome.")
CONTACT_OUTCOME_MISMATCH = _("“{outcome}” does not fit a contact answered by: {answered_by}.")
CONTACT_MESSAGE_SENT_ONLY_FOR_MESSAGES = _("“Message sent” is an outcome of an SMS, e-mail, letter or in-app message.")
CONTACT_DURATION_INVALID = _("The duration must be between 0 seconds and 4 hours.")
CONTACT_IN_FUTURE = _("A contact cannot be logged before it happens.")
CONTACT_INBOUND_CHANNEL = _("A borrower can call, send an SMS, an e-mail or an in-app message; a {channel} is ours.")
CONTACT_INBOUND_TIME_GIVEN = _("An inbound contact is stamped with the time it is logged: its time cannot be set.")
CONTACT_INBOUND_NOBODY = _("A contact the borrower started was answered: choose who started it.")
SPOKEN_HOLD_REASON = _("“{outcome}”, said on a contact logged on {when}.")
NOTE_EMPTY = _("Write the note.")
NOTE_TOO_LONG = _("A note has at most {most} characters.")
REASON_UNKNOWN = _("Choose a reason for lateness.")
HOLD_KIND_UNKNOWN = _("Choose the kind of hold.")
HOLD_REASON_REQUIRED = _("Say why the case goes on hold.")
HOLD_ALREADY_ACTIVE = _("The case is already on a “{kind}” hold.")
HOLD_REVIEW_IN_PAST = _("The review date cannot be in the past.")
HOLD_ALREADY_RELEASED = _("This hold was already released.")
HOLD_RELEASE_NOT_ALLOWED = _("Only the case's collector, its team lead or a manager may release a hold.")
REVEAL_FIELD_UNKNOWN = _("Only a national id or a contact point can be revealed.")
REVEAL_NATIONAL_ID_AGENCY = _("An agency never sees a borrower's whole national id.")
CONTACT_POINT_WITHHELD = _("Your agency's contract does not show this contact point.")

NOTE_MOST_CHARACTERS = 5000
CONTACT_MOST_SECONDS = 4 * 60 * 60
HARDSHIP_REVIEW_AFTER_DAYS = 14

PHONE_KINDS = frozenset({ContactPoint.Kind.MOBILE, ContactPoint.Kind.HOME_PHONE, ContactPoint.Kind.WORK_PHONE})
ADDRESS_KINDS = frozenset({ContactPoint.Kind.HOME_ADDRESS, ContactPoint.Kind.WORK_ADDRESS})
# The kinds of contact point each channel can use (an in-app message uses none).
CONTACT_POINT_KINDS_BY_CHANNEL = {
    Channel.CALL: PHONE_KINDS,
    Channel.SMS: frozenset({ContactPoint.Kind.MOBILE}),
    Channel.EMAIL: frozenset({ContactPoint.Kind.EMAIL}),
    Channel.VISIT: ADDRESS_KINDS,
    Channel.LETTER: ADDRESS_KINDS,
    Channel.IN_APP: frozenset(),
}
MESSAGE_CHANNELS = frozenset({Channel.SMS, Channel.EMAIL, Channel.LETTER, Channel.IN_APP})
# The channels on which a borrower can start a contact (not a visit, not a letter: those are ours).
INBOUND_CHANNELS = frozenset({Channel.CALL, Channel.SMS, Channel.EMAIL, Channel.IN_APP})
# What a borrower (or a relative) says that holds the case at once, in the same transaction as the contact.
SPOKEN_HOLDS = {
    Outcome.DISPUTES: HoldKind.DISPUTE,
    Outcome.REFUSES_CONTACT: HoldKind.CEASE_CONTACT,
    Outcome.REPORTS_DECEASED: HoldKind.DECEASED,
}
# Which outcomes fit whom answered.
OUTCOMES_BY_ANSWER = {
    AnsweredBy.NOBODY: frozenset(
        {Outcome.NO_ANSWER, Outcome.BUSY, Outcome.SWITCHED_OFF, Outcome.WRONG_NUMBER, Outcome.MESSAGE_SENT}
    ),
    AnsweredBy.BORROWER: frozenset(
        {
            Outcome.RIGHT_PARTY_CONTACT,
            Outcome.REFUSED_TO_PAY,
            Outcome.PROMISED,
            Outcome.DISPUTES,
            Outcome.REFUSES_CONTACT,
            Outcome.CLAIMS_HARDSHIP,
            Outcome.CALL_BACK,
        }
    ),
    AnsweredBy.THIRD_PARTY: frozenset(
        {
            Outcome.THIRD_PARTY_REACHED,
            Outcome.THIRD_PARTY_REFUSED,
            Outcome.WRONG_NUMBER,
            Outcome.CALL_BACK,
            Outcome.REPORTS_DECEASED,
        }
    ),
}
# After an outbound contact the case comes back to the queue (next_action_at) no sooner than this.
NEXT_ACTION_AFTER = {
    AnsweredBy.NOBODY: timedelta(hours=2),
    AnsweredBy.THIRD_PARTY: timedelta(hours=4),
    AnsweredBy.BORROWER: timedelta(days=1),
}
# The holds a collector places from the case page (hardship has its own service).
PLACEABLE_HOLD_KINDS = (
    HoldKind.DISPUTE,
    HoldKind.COMPLAINT,
    HoldKind.CEASE_CONTACT,
    HoldKind.BANKRUPTCY,
    HoldKind.DECEASED,
)
REVEALABLE_FIELDS = ("national_id", "phone")


def _case_open_check(case: Case) -> None:
    if case.is_closed:
        raise CollectionError(CASE_CLOSED)


def _choice_check(value, choices, message, field: str) -> None:
    if value not in choices.values:
        raise CollectionError(message, field=field)


# --- Contacts ------------------------------------------------------------------------


def _agency_point_check(*, case: Case, actor, contact_point: ContactPoint) -> None:
    """An agency agent uses only the contact points their contract shows (collection/agencies/portal.py)."""
    from collection.agencies import portal

    if actor is not None and portal.contact_point_withheld(actor, case, contact_point):
        raise CollectionError(CONTACT_POINT_WITHHELD, field="contact_point")


def _contact_validate(
    *, case, channel, contact_point, answered_by, outcome, duration_seconds, direction, at, actor=None
) -> None:
    _choice_check(channel, Channel, CONTACT_CHANNEL_UNKNOWN, "channel")
    _choice_check(direction, Direction, CONTACT_DIRECTION_UNKNOWN, "direction")
    _choice_check(answered_by, AnsweredBy, CONTACT_ANSWERED_BY_UNKNOWN, "answered_by")
    _choice_check(outcome, Outcome, CONTACT_OUTCOME_UNKNOWN, "outcome")
    kinds = CONTACT_POINT_KINDS_BY_CHANNEL[channel]
    if contact_point is None:
        if kinds:
            raise CollectionError(
                CONTACT_POINT_REQUIRED.format(channel=Channel(channel).label.lower()), field="contact_point"
            )
    else:
        if contact_point.borrower_id != case.borrower_id:
            raise CollectionError(CONTACT_POINT_NOT_THE_BORROWERS, field="contact_point")
        if not kinds:
            raise CollectionError(CONTACT_POINT_NOT_NEEDED, field="contact_point")
        if contact_point.kind not in kinds:
            raise CollectionError(
                CONTACT_POINT_WRONG_CHANNEL.format(
                    channel=Channel(channel).label.lower(), kind=contact_point.get_kind_display().lower()
                ),
                field="contact_point",
            )
        _agency_point_check(case=case, actor=actor, contact_point=contact_point)
    if outcome == Outcome.MESSAGE_SENT and channel not in MESSAGE_CHANNELS:
        raise CollectionError(CONTACT_MESSAGE_SENT_ONLY_FOR_MESSAGES, field="outcome")
    if outcome not in OUTCOMES_BY_ANSWER[answered_by]:
        raise CollectionError(
            CONTACT_OUTCOME_MISMATCH.format(
                outcome=Outcome(outcome).label, answered_by=AnsweredBy(answered_by).label.lower()
            ),
            field="outcome",
        )
    if direction == Direction.INBOUND:
        if channel not in INBOUND_CHANNELS:
            raise CollectionError(
                CONTACT_INBOUND_CHANNEL.format(channel=Channel(channel).label.lower()), field="channel"
            )
        # Someone started it: "nobody answered" fits only a message received.
        if answered_by == AnsweredBy.NOBODY and outcome != Outcome.MESSAGE_SENT:
            raise CollectionError(CONTACT_INBOUND_NOBODY, field="answered_by")
    if not isinstance(duration_seconds, int) or not 0 <= duration_seconds <= CONTACT_MOST_SECONDS:
        raise CollectionError(CONTACT_DURATION_INVALID, field="duration_seconds")
    if at > timezone.now() + timedelta(minutes=1):
        raise CollectionError(CONTACT_IN_FUTURE)


@compliance.refusals_recorded
@transaction.atomic
def contact_log(
    *,
    case: Case,
    channel: str,
    contact_point: ContactPoint | None,
    answered_by: str,
    outcome: str,
    duration_seconds: int = 0,
    notes: str = "",
    direction: str = Direction.OUTBOUND,
    actor,
    at: datetime.datetime | None = None,
) -> ContactAttempt:
    """
    Record a contact or an attempt. An outbound one must pass the compliance
    guard first (ContactRefused, with the rule and its reason, otherwise; the
    refusal is logged). A contact the borrower started (inbound) is always
    loggable, but only on a channel a borrower can start, at the server's
    time (a given `at` is refused: no back-dating), and it starts no outbound
    action: it does not put off the next action, and what follows it (a
    promise, a hold) records the borrower's word and sends nothing. Moves the
    case's last contact (and last right-party contact when the borrower
    answered) and, when outbound, puts off its next action a little, so that
    the queue does not hand it straight back.

    What the borrower says can hold the case (SPOKEN_HOLDS): a dispute, a
    request to stop, a report of death place the hold in this transaction.

    The borrower's row is locked (select_for_update) before the guard counts
    their contacts and until this contact is written, so two collectors
    cannot both make the borrower's third connected call of the day.
    """
    if direction == Direction.INBOUND and at is not None:
        raise CollectionError(CONTACT_INBOUND_TIME_GIVEN)
    at = at or timezone.now()
    _case_open_check(case)
    _contact_validate(
        case=case,
        channel=channel,
        contact_point=contact_point,
        answered_by=answered_by,
        outcome=outcome,
        duration_seconds=duration_seconds,
        direction=direction,
        at=at,
        actor=actor,
    )
    # One writer at a time per borrower: the guard's counts and this contact are one step.
    Borrower.objects.select_for_update().filter(pk=case.borrower_id).values_list("pk").first()
    if direction == Direction.OUTBOUND:
        compliance.contact_require(
            case=case, channel=channel, contact_point=contact_point, at=at, direction=direction, actor=actor
        )
    contact = ContactAttempt.objects.create(
        case=case,
        borrower_id=case.borrower_id,
        contact_point=contact_point,
        channel=channel,
        direction=direction,
        answered_by=answered_by,
        outcome=outcome,
        duration_seconds=duration_seconds,
        notes=notes.strip(),
        occurred_at=at,
        actor=actor,
    )
    # "Wrong number" or a third party's "stop calling me" belongs to the number, on every record it is on.
    phone_number_mark(
        contact_point=contact_point,
        kind=OUTCOME_NUMBER_MARKS.get(outcome),
        actor=actor,
        source_case_id=case.pk,
        note=contact.notes,
        at=at,
    )
    changed = []
    if case.last_contact_at is None or case.last_contact_at < at:
        case.last_contact_at = at
        changed.append("last_contact_at")
    if answered_by == AnsweredBy.BORROWER and (
        case.last_right_party_contact_at is None or case.last_right_party_contact_at < at
    ):
        case.last_right_party_contact_at = at
        changed.append("last_right_party_contact_at")
    if direction == Direction.OUTBOUND:
        not_before = at + NEXT_ACTION_AFTER[answered_by]
        if case.next_action_at is None or case.next_action_at < not_before:
            case.next_action_at = not_before
            changed.append("next_action_at")
    if changed:
        case.save(update_fields=[*changed, "updated_at"])
    facts = events.contact_logged(
        channel=channel,
        direction=direction,
        answered_by=answered_by,
        outcome=outcome,
        duration_seconds=duration_seconds,
        contact_point=contact_point,
        contact_id=contact.pk,
    )
    event_record(case=case, facts=facts, actor=actor, notes=contact.notes, at=at)
    audit_record(action="collection.contact.logged", target=case, actor=actor, data=facts.data)
    spoken_hold_place(case=case, outcome=outcome, notes=contact.notes, at=at, actor=actor)
    case_status_refresh(case=case, actor=actor)
    # The days since the last contact are part of the priority.
    priority_refresh(case=case)
    return contact


def spoken_hold_place(*, case: Case, outcome: str, notes: str, at, actor) -> Hold | None:
    """
    The hold that what was said calls for (a dispute, a request to stop, a
    report of death), placed now with its timeline line and audit event;
    None when the outcome calls for none or the case already has that hold.
    """
    kind = SPOKEN_HOLDS.get(outcome)
    if kind is None or case.holds.filter(kind=kind, released_at__isnull=True).exists():
        return None
    when = timezone.localtime(at, LENDER_TZ).strftime("%Y-%m-%d %H:%M")
    reason = SPOKEN_HOLD_REASON.format(outcome=Outcome(outcome).label, when=when)
    if notes:
        reason = f"{reason} {notes}"
    return hold_place(case=case, kind=kind, reason=reason, actor=actor)


# --- Notes and the reason for lateness ------------------------------------------------------


@transaction.atomic
def note_add(*, case: Case, text: str, actor) -> CaseEvent:
    text = (text or "").strip()
    if not text:
        raise CollectionError(NOTE_EMPTY, field="text")
    if len(text) > NOTE_MOST_CHARACTERS:
        raise CollectionError(NOTE_TOO_LONG.format(most=NOTE_MOST_CHARACTERS), field="text")
    event = event_record(case=case, facts=events.note_added(), actor=actor, notes=text)
    audit_record(action="collection.note.added", target=case, actor=actor, data={"event_id": event.pk})
    case_status_refresh(case=case, actor=actor)
    return event


@transaction.atomic
def reason_set(*, case: Case, reason: str, actor) -> Case:
    """Record the borrower's stated reason for being late; the same reason again changes nothing."""
    _choice_check(reason, LatenessReason, REASON_UNKNOWN, "reason")
    _case_open_check(case)
    if case.reason == reason:
        return case
    previous = case.reason
    case.reason = reason
    case.save(update_fields=["reason", "updated_at"])
    facts = events.reason_set(previous=previous, reason=reason)
    event_record(case=case, facts=facts, actor=actor)
    audit_record(action="collection.reason.set", target=case, actor=actor, data=facts.data)
    case_status_refresh(case=case, actor=actor)
    return case


# --- Holds -------------------------------------------------------------------------------


@transaction.atomic
def hold_place(
    *,
    case: Case,
    kind: str,
    reason: str,
    actor,
    evidence=None,
    review_on: datetime.date | None = None,
) -> Hold:
    """Put the case on hold: no outbound contact until the hold is released."""
    _choice_check(kind, HoldKind, HOLD_KIND_UNKNOWN, "kind")
    _case_open_check(case)
    reason = (reason or "").strip()
    if not reason:
        raise CollectionError(HOLD_REASON_REQUIRED, field="reason")
    if review_on is not None and review_on < lender_today():
        raise CollectionError(HOLD_REVIEW_IN_PAST, field="review_on")
    already = CollectionError(HOLD_ALREADY_ACTIVE.format(kind=HoldKind(kind).label))
    if case.holds.filter(kind=kind, released_at__isnull=True).exists():
        raise already
    hold = Hold(
        case=case,
        kind=kind,
        reason=reason,
        review_on=review_on,
        started_at=timezone.now(),
        started_by=actor,
    )
    if evidence:
        hold.evidence = evidence
    try:
        with transaction.atomic():  # a concurrent hold of the same kind: the constraint says no
            hold.save()
    except IntegrityError:
        raise already from None
    facts = events.hold_placed(hold_id=hold.pk, kind=kind, review_on=review_on, evidence=bool(hold.evidence))
    event_record(case=case, facts=facts, actor=actor, notes=reason)
    audit_record(action="collection.hold.placed", target=case, actor=actor, data=facts.data)
    case_status_refresh(case=case, actor=actor)
    # A dispute, a hardship review, a death or a bankruptcy takes the case back from its agency at once.
    from collection.agencies.recall import FORCED_RECALL_HOLDS, case_recall

    if kind in FORCED_RECALL_HOLDS:
        case_recall(case=case, reason=kind, actor=actor)
    return hold


def hold_release_allowed(*, case: Case, user) -> bool:
    """The case's collector, the lead of its team, or a manager (who may work every case) may release its holds."""
    if not user_can(user, Capability.WORK_CASES):
        return False
    if case.assigned_to_id is not None and case.assigned_to_id == user.pk:
        return True
    if case.team_id is not None and case.team.lead_id == user.pk:
        return True
    return user_can(user, Capability.VIEW_ALL_CASES)


@transaction.atomic
def hold_release(*, hold: Hold, actor, note: str = "") -> Hold:
    case = hold.case
    if not hold_release_allowed(case=case, user=actor):
        raise CollectionError(HOLD_RELEASE_NOT_ALLOWED)
    # Released only once, even if two people press the button at the same moment.
    released = Hold.objects.filter(pk=hold.pk, released_at__isnull=True).update(
        released_at=timezone.now(), released_by=actor, release_note=(note or "").strip()[:300]
    )
    if not released:
        raise CollectionError(HOLD_ALREADY_RELEASED)
    hold.refresh_from_db(fields=["released_at", "released_by", "release_note"])
    facts = events.hold_released(hold_id=hold.pk, kind=hold.kind)
    event_record(case=case, facts=facts, actor=actor, notes=hold.release_note)
    audit_record(
        action="collection.hold.released", target=case, actor=actor, data={**facts.data, "note": hold.release_note}
    )
    case_status_refresh(case=case, actor=actor)
    return hold


@transaction.atomic
def hardship_record(
    *,
    case: Case,
    reason: str,
    description: str,
    actor,
    evidence=None,
    review_on: datetime.date | None = None,
) -> Hold:
    """
    The borrower claims hardship: their reason for lateness is recorded and
    the case goes on a hardship-review hold (reviewed in two weeks unless a
    date is given) with the evidence they sent.
    """
    _choice_check(reason, LatenessReason, REASON_UNKNOWN, "reason")
    if not (description or "").strip():
        raise CollectionError(HOLD_REASON_REQUIRED, field="description")
    reason_set(case=case, reason=reason, actor=actor)
    return hold_place(
        case=case,
        kind=HoldKind.HARDSHIP_REVIEW,
        reason=description,
        actor=actor,
        evidence=evidence,
        review_on=review_on or lender_today() + timedelta(days=HARDSHIP_REVIEW_AFTER_DAYS),
    )


# --- Revealing a masked detail -------------------------------------------------------------


def _agency_reveal_check(*, case: Case, field: str, actor, contact_point: ContactPoint | None) -> None:
    """An agency user: never the national id; a contact point only of a kind their contract shows."""
    from collection.agencies import portal

    if not portal.is_agency_user(actor):
        return
    if field == "national_id":
        raise CollectionError(REVEAL_NATIONAL_ID_AGENCY)
    if portal.contact_point_withheld(actor, case, contact_point):
        raise CollectionError(CONTACT_POINT_WITHHELD)


@transaction.atomic
def contact_detail_reveal(*, case: Case, field: str, actor, contact_point: ContactPoint | None = None) -> str:
    """
    The whole national id (field "national_id") or contact point value (field
    "phone", with its contact point: a phone, e-mail or address, the
    borrower's or a third party's) of the case's borrower, for one deliberate
    look; the audit trail keeps who looked at what, never the value.
    """
    if field not in REVEALABLE_FIELDS:
        raise CollectionError(REVEAL_FIELD_UNKNOWN)
    if field != "national_id" and (contact_point is None or contact_point.borrower_id != case.borrower_id):
        raise CollectionError(CONTACT_POINT_NOT_THE_BORROWERS)
    _agency_reveal_check(case=case, field=field, actor=actor, contact_point=contact_point)
    try:
        value, data = revealed_value(
            borrower=case.borrower, national_id=field == "national_id", actor=actor, contact_point=contact_point
        )
    except LendingError as refused:
        raise CollectionError(str(refused)) from None
    audit_record(action="collection.contact.revealed", target=case, actor=actor, data={"field": field, **data})
    return value
