"""
Field visits (上门): a collector requests one, a team lead schedules it with a
field agent (or rejects it), and the agent files the report.

- The address defaults to the borrower's own home address (then work
  address) on file; a third party's address is never visited.
- A visit is an outbound contact: the request asks the compliance guard
  about the preferred day (or today), scheduling about the scheduled day
  (holds, flags, contact hours at midday in the borrower's time zone), and
  the report about the moment of the visit, so that no visit is requested,
  scheduled or reported for a borrower who may not be contacted. A typed
  address is first the contact point it is: the borrower's address on file
  with that text, a third party's (refused), or a new home address of the
  borrower's, checked as any other. Each refusal is logged (refusal log).
- Where the jurisdiction requires it (China), every visit is recorded on audio
  or video; a report that says it was not is refused (the guard's
  `visit_report_require`).
- The report writes the contact (a ContactAttempt, channel visit) and links it
  to the visit; a promise taken at the door is recorded through the promises
  service with that contact. Photos and recordings are kept as
  VisitAttachment rows (types and sizes limited by ATTACHMENT_TYPES and
  MAX_ATTACHMENT_BYTES).
"""

import datetime
import os
from collections.abc import Sequence
from decimal import Decimal

from django.db import transaction
from django.template.defaultfilters import filesizeformat
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.permissions import Capability, user_can
from accounts.roles import Role
from accounts.services import audit_record
from collection import compliance, events
from collection.agencies.members import agency_id_of
from collection.compliance.facts import primary_zone
from collection.errors import CollectionError
from collection.models import (
    AnsweredBy,
    Case,
    Channel,
    ContactAttempt,
    Direction,
    FieldVisit,
    Outcome,
    VisitAttachment,
    VisitStatus,
)
from collection.services.contacts import spoken_hold_place
from collection.services.timeline import event_record
from lending.models import ContactPoint
from lending.services import LENDER_TZ, lender_today

ADDRESS_KINDS = (ContactPoint.Kind.HOME_ADDRESS, ContactPoint.Kind.WORK_ADDRESS)
OPEN_STATUSES = (VisitStatus.REQUESTED, VisitStatus.SCHEDULED)
# The guard is asked about this hour of the scheduled day, in the borrower's time zone.
SCHEDULE_CHECK_HOUR = 12

Kind = VisitAttachment.Kind
ATTACHMENT_TYPES: dict[str, str] = {
    **dict.fromkeys((".jpg", ".jpeg", ".png", ".heic", ".webp"), Kind.PHOTO),
    **dict.fromkeys((".mp3", ".m4a", ".aac", ".amr", ".wav", ".ogg"), Kind.AUDIO),
    **dict.fromkeys((".mp4", ".mov", ".3gp", ".webm"), Kind.VIDEO),
}
MAX_ATTACHMENT_BYTES: dict[str, int] = {
    Kind.PHOTO: 10 * 1024 * 1024,
    Kind.AUDIO: 50 * 1024 * 1024,
    Kind.VIDEO: 200 * 1024 * 1024,
}
MAX_ATTACHMENTS = 10
# The content types a browser may send for each kind, besides the generic one.
CONTENT_FAMILY = {Kind.PHOTO: "image/", Kind.AUDIO: "audio/", Kind.VIDEO: "video/"}

CASE_CLOSED = _("The case is closed: no visit can be requested or scheduled.")
VISIT_ALREADY_OPEN = _("A visit is already requested or scheduled for this case.")
ADDRESS_REQUIRED = _("No home or work address is on file: enter the address to visit.")
ADDRESS_TOO_LONG = _("An address has at most 300 characters.")
CONTACT_POINT_NOT_AN_ADDRESS = _("Choose one of the borrower's own home or work addresses.")
THIRD_PARTY_ADDRESS = _("This address is on file as a third party's: a third party's home or work is never visited.")
REASON_REQUIRED = _("Say why the borrower should be visited (at most 300 characters).")
DATE_IN_PAST = _("The date cannot be before today.")
VISIT_NOT_OPEN = _("This visit was already rejected, cancelled or reported.")
NOT_AN_APPROVER = _("Only a team lead or a manager schedules or rejects visits.")
NOT_A_FIELD_AGENT = _("Choose an active field agent.")
REJECTION_NEEDS_NOTE = _("Say why the visit is rejected.")
VISIT_NOT_SCHEDULED = _("Only a scheduled visit can be reported.")
NOT_YOUR_VISIT = _("Only the field agent the visit is assigned to files its report.")
MET_UNKNOWN = _("Choose whom you met.")
OUTCOME_UNKNOWN = _("Choose an outcome.")
OUTCOME_MISMATCH = _("“{outcome}” does not fit a visit where you met: {met}.")
VISIT_TIME_INVALID = _("The visit cannot be after now or before it was requested.")
PROMISE_INCOMPLETE = _("A promise needs both an amount and a date.")
PROMISE_NEEDS_BORROWER = _("Only the borrower can promise to pay.")
TOO_MANY_ATTACHMENTS = _("At most {count} files can be attached to a visit.")
ATTACHMENT_TYPE_REFUSED = _(
    "{name}: attach photos (JPEG, PNG, HEIC, WebP), audio (MP3, M4A, AAC, AMR, WAV, OGG) "
    "or video (MP4, MOV, 3GP, WebM)."
)
ATTACHMENT_TOO_LARGE = _("{name} is {size}; a {kind} may be at most {limit}.")

# Outcomes a visit can have, by whom the agent met.
VISIT_OUTCOMES = {
    AnsweredBy.BORROWER: (
        Outcome.RIGHT_PARTY_CONTACT,
        Outcome.PROMISED,
        Outcome.REFUSED_TO_PAY,
        Outcome.DISPUTES,
        Outcome.REFUSES_CONTACT,
        Outcome.CLAIMS_HARDSHIP,
        Outcome.CALL_BACK,
    ),
    AnsweredBy.THIRD_PARTY: (
        Outcome.THIRD_PARTY_REACHED,
        Outcome.THIRD_PARTY_REFUSED,
        Outcome.CALL_BACK,
        Outcome.REPORTS_DECEASED,
    ),
    AnsweredBy.NOBODY: (Outcome.NO_ANSWER,),
}


def borrower_addresses(borrower) -> list[ContactPoint]:
    """The borrower's own home and work addresses that may be visited: home first, primary first."""
    points = [
        point
        for point in borrower.contact_points.all()
        if point.kind in ADDRESS_KINDS and not point.is_third_party and not point.do_not_contact
    ]
    return sorted(points, key=lambda point: (ADDRESS_KINDS.index(point.kind), not point.is_primary, point.pk))


def recording_required(case: Case) -> bool:
    """Whether the case's jurisdiction requires every visit to be recorded (China's convention)."""
    return compliance.profile_for(case.portfolio).visits_must_be_recorded


def attachment_kind(upload) -> str:
    """The kind of an uploaded file (photo, audio, video), or CollectionError for a refused type or size."""
    name = os.path.basename(upload.name or "")
    kind = ATTACHMENT_TYPES.get(os.path.splitext(name)[1].lower())
    content_type = (getattr(upload, "content_type", "") or "").lower()
    if kind is None or (
        content_type
        and content_type != "application/octet-stream"
        and not content_type.startswith(CONTENT_FAMILY[kind])
    ):
        raise CollectionError(str(ATTACHMENT_TYPE_REFUSED).format(name=name), field="attachments")
    if upload.size > MAX_ATTACHMENT_BYTES[kind]:
        raise CollectionError(
            str(ATTACHMENT_TOO_LARGE).format(
                name=name,
                size=filesizeformat(upload.size),
                kind=Kind(kind).label.lower(),
                limit=filesizeformat(MAX_ATTACHMENT_BYTES[kind]),
            ),
            field="attachments",
        )
    return kind


def attachments_check(uploads: Sequence) -> list[tuple[str, object]]:
    if len(uploads) > MAX_ATTACHMENTS:
        raise CollectionError(str(TOO_MANY_ATTACHMENTS).format(count=MAX_ATTACHMENTS), field="attachments")
    return [(attachment_kind(upload), upload) for upload in uploads]


def _event(visit: FieldVisit, action: str, *, actor, notes: str = "", at=None, **extra) -> None:
    facts = events.visit_changed(visit, action, **extra)
    event_record(case=visit.case, facts=facts, actor=actor, notes=notes, at=at)
    audit_record(action=f"collection.visit.{action}", target=visit, actor=actor, data=facts.data)


def _lock_visit(visit: FieldVisit) -> FieldVisit:
    return (
        FieldVisit.objects.select_for_update()
        .select_related("case", "case__portfolio", "case__borrower")
        .get(pk=visit.pk)
    )


# --- Request ----------------------------------------------------------------------------


def _address_key(value: str) -> str:
    """An address as compared: case, spacing and punctuation aside ("1 Road, Apt 2" is "1 road apt 2")."""
    kept = "".join(" " if char in ",，.。;；、-#" else char for char in value)
    return " ".join(kept.split()).casefold()


def typed_address_point(borrower, address: str) -> ContactPoint:
    """
    A typed address as the contact point it is: the borrower's address on
    file with the same text (do-not-contact or not), a third party's
    (refused: never visited), or else a new, unsaved home address of the
    borrower, so that the guard checks it as any other (lending is read-only here).
    """
    key = _address_key(address)
    for point in borrower.contact_points.all():
        if point.kind in ADDRESS_KINDS and _address_key(point.value) == key:
            if point.is_third_party:
                raise CollectionError(THIRD_PARTY_ADDRESS, field="address")
            return point
    return ContactPoint(
        borrower=borrower, kind=ContactPoint.Kind.HOME_ADDRESS, value=address, owner=ContactPoint.Owner.BORROWER
    )


def _borrower_midday(case: Case, day: datetime.date) -> datetime.datetime:
    """Midday of `day` in the borrower's time zone: the moment the guard is asked about for a visit's day."""
    # The borrower's primary zone (their own, their address's or their number's); with none known
    # the guard refuses the visit with its own rule, whatever moment is asked about.
    borrower_tz = primary_zone(case) or LENDER_TZ
    return datetime.datetime.combine(day, datetime.time(SCHEDULE_CHECK_HOUR), tzinfo=borrower_tz)


@compliance.refusals_recorded
@transaction.atomic
def visit_request(
    *,
    case: Case,
    reason: str,
    actor,
    address: str = "",
    preferred_on: datetime.date | None = None,
    contact_point: ContactPoint | None = None,
    district: str | None = None,
) -> FieldVisit:
    """
    Ask for a visit to the borrower. With neither an address nor a contact
    point, the borrower's home (else work) address on file is used; the
    region comes from the borrower, the district may be given.

    A request is the start of a contact, so the guard is asked already
    (channel visit, midday of the preferred day or today): no visit is
    requested for a deceased borrower or one who asked us to stop. A typed
    address is first made the contact point it is (`typed_address_point`),
    so that every check of a contact point applies to it.
    """
    case = Case.objects.select_for_update().select_related("borrower").get(pk=case.pk)
    if case.is_closed:
        raise CollectionError(CASE_CLOSED)
    if case.visits.filter(status__in=OPEN_STATUSES).exists():
        raise CollectionError(VISIT_ALREADY_OPEN)
    reason = (reason or "").strip()
    if not reason or len(reason) > 300:
        raise CollectionError(REASON_REQUIRED, field="reason")
    if preferred_on is not None and preferred_on < lender_today():
        raise CollectionError(DATE_IN_PAST, field="preferred_on")
    address = (address or "").strip()
    if contact_point is not None and (
        contact_point.borrower_id != case.borrower_id
        or contact_point.kind not in ADDRESS_KINDS
        or contact_point.is_third_party
    ):
        raise CollectionError(CONTACT_POINT_NOT_AN_ADDRESS, field="contact_point")
    if contact_point is None and not address:
        addresses = borrower_addresses(case.borrower)
        contact_point = addresses[0] if addresses else None
    if not address:
        if contact_point is None:
            raise CollectionError(ADDRESS_REQUIRED, field="address")
        address = contact_point.value
    if len(address) > 300:
        raise CollectionError(ADDRESS_TOO_LONG, field="address")
    borrower = case.borrower
    point = contact_point if contact_point is not None else typed_address_point(borrower, address)
    if contact_point is None and point.pk is not None:
        contact_point = point  # the typed text is an address on file: the visit is to that point
    compliance.contact_require(
        case=case,
        channel=Channel.VISIT,
        contact_point=point,
        at=_borrower_midday(case, preferred_on or lender_today()),
        actor=actor,
        action="visit.request",
    )
    visit = FieldVisit.objects.create(
        case=case,
        status=VisitStatus.REQUESTED,
        address=address,
        contact_point=contact_point,
        province=borrower.province,
        city=borrower.city,
        district=(district if district is not None else borrower.district).strip()[:50],
        reason=reason,
        preferred_on=preferred_on,
        requested_at=timezone.now(),
        requested_by=actor,
    )
    _event(
        visit,
        "requested",
        actor=actor,
        notes=reason,
        address=address,
        preferred_on=preferred_on.isoformat() if preferred_on else None,
    )
    if agency_id_of(actor) is not None and agency_id_of(actor) == case.agency_id:
        _agency_visit_schedule(visit, actor=actor, on=preferred_on or lender_today())
    return visit


def _agency_visit_schedule(visit: FieldVisit, *, actor, on: datetime.date) -> None:
    """
    A visit an agency agent asks for on a case placed with their agency is the agency's own field
    work, under its contract: no lender approval, it goes straight onto the agent's own visit list
    for the day asked (the guard has judged that day already), and they report it as a field agent does.
    """
    _scheduled(visit, agent=actor, on=on, actor=actor)


def _scheduled(visit: FieldVisit, *, agent, on: datetime.date, actor) -> None:
    """The visit on `agent`'s list for `on`, decided by `actor`, and its timeline line."""
    rescheduled = visit.status == VisitStatus.SCHEDULED
    visit.status = VisitStatus.SCHEDULED
    visit.agent = agent
    visit.scheduled_on = on
    visit.decided_by = actor
    visit.save(update_fields=["status", "agent", "scheduled_on", "decided_by"])
    _event(
        visit,
        "scheduled",
        actor=actor,
        agent=agent.pk,
        agent_name=str(agent),
        scheduled_on=on.isoformat(),
        rescheduled=rescheduled,
    )


# --- The team lead's decision -----------------------------------------------------------


def _approver_check(actor) -> None:
    if not user_can(actor, Capability.APPROVE_ARRANGEMENTS):
        raise CollectionError(NOT_AN_APPROVER)


@compliance.refusals_recorded
@transaction.atomic
def visit_schedule(*, visit: FieldVisit, agent, scheduled_on: datetime.date, actor) -> FieldVisit:
    """Approve a requested visit (or move a scheduled one) to a field agent and a day."""
    visit = _lock_visit(visit)
    if visit.status not in OPEN_STATUSES:
        raise CollectionError(VISIT_NOT_OPEN)
    _approver_check(actor)
    if agent is None or agent.role != Role.FIELD_AGENT or not agent.is_active:
        raise CollectionError(NOT_A_FIELD_AGENT, field="agent")
    if scheduled_on is None or scheduled_on < lender_today():
        raise CollectionError(DATE_IN_PAST, field="scheduled_on")
    case = visit.case
    if case.is_closed:
        raise CollectionError(CASE_CLOSED)
    compliance.contact_require(
        case=case,
        channel=Channel.VISIT,
        contact_point=visit.contact_point or typed_address_point(case.borrower, visit.address),
        at=_borrower_midday(case, scheduled_on),
        actor=actor,
        action="visit.schedule",
    )
    _scheduled(visit, agent=agent, on=scheduled_on, actor=actor)
    return visit


@transaction.atomic
def visit_reject(*, visit: FieldVisit, actor, note: str) -> FieldVisit:
    """Turn down a requested (or call off a scheduled) visit, saying why."""
    visit = _lock_visit(visit)
    if visit.status not in OPEN_STATUSES:
        raise CollectionError(VISIT_NOT_OPEN)
    _approver_check(actor)
    note = (note or "").strip()
    if not note:
        raise CollectionError(REJECTION_NEEDS_NOTE, field="note")
    visit.status = VisitStatus.REJECTED
    visit.decided_by = actor
    visit.save(update_fields=["status", "decided_by"])
    _event(visit, "rejected", actor=actor, notes=note)
    return visit


# --- The report ---------------------------------------------------------------------------


@compliance.refusals_recorded
@transaction.atomic
def visit_report(
    *,
    visit: FieldVisit,
    visited_at: datetime.datetime,
    met: str,
    outcome: str,
    was_recorded: bool,
    notes: str,
    actor,
    attachments: Sequence = (),
    promise_amount: Decimal | None = None,
    promise_due_on: datetime.date | None = None,
) -> FieldVisit:
    """
    File the report of a scheduled visit: the compliance guard must allow a
    visit at `visited_at`; the contact is written and linked, a promise taken
    recorded, the files attached. Nothing is written if any of it is refused.
    """
    visit = _lock_visit(visit)
    if visit.status != VisitStatus.SCHEDULED:
        raise CollectionError(VISIT_NOT_SCHEDULED)
    if visit.agent_id != getattr(actor, "pk", None):
        raise CollectionError(NOT_YOUR_VISIT)
    if met not in VISIT_OUTCOMES:
        raise CollectionError(MET_UNKNOWN, field="met")
    if outcome not in Outcome.values:
        raise CollectionError(OUTCOME_UNKNOWN, field="outcome")
    if outcome not in VISIT_OUTCOMES[met]:
        raise CollectionError(
            str(OUTCOME_MISMATCH).format(outcome=Outcome(outcome).label, met=AnsweredBy(met).label.lower()),
            field="outcome",
        )
    if (
        visited_at is None
        or visited_at > timezone.now() + datetime.timedelta(minutes=1)
        or visited_at < visit.requested_at
    ):
        raise CollectionError(VISIT_TIME_INVALID, field="visited_at")
    case = visit.case
    try:
        compliance.visit_report_require(was_recorded=was_recorded, case=case, actor=actor, at=visited_at)
    except compliance.ContactRefused as refused:
        refused.field = "was_recorded"
        raise
    if (promise_amount is None) != (promise_due_on is None):
        raise CollectionError(
            PROMISE_INCOMPLETE, field="promise_amount" if promise_amount is None else "promise_due_on"
        )
    if promise_amount is not None and met != AnsweredBy.BORROWER:
        raise CollectionError(PROMISE_NEEDS_BORROWER, field="promise_amount")
    files = attachments_check(list(attachments))
    compliance.contact_require(
        case=case,
        channel=Channel.VISIT,
        contact_point=visit.contact_point or typed_address_point(case.borrower, visit.address),
        at=visited_at,
        actor=actor,
        action="visit.report",
    )

    notes = (notes or "").strip()
    contact = ContactAttempt.objects.create(
        case=case,
        borrower_id=case.borrower_id,
        contact_point=visit.contact_point,
        channel=Channel.VISIT,
        direction=Direction.OUTBOUND,
        answered_by=met,
        outcome=outcome,
        notes=notes,
        occurred_at=visited_at,
        actor=actor,
    )
    changed = []
    if case.last_contact_at is None or case.last_contact_at < visited_at:
        case.last_contact_at = visited_at
        changed.append("last_contact_at")
    if met == AnsweredBy.BORROWER and (
        case.last_right_party_contact_at is None or case.last_right_party_contact_at < visited_at
    ):
        case.last_right_party_contact_at = visited_at
        changed.append("last_right_party_contact_at")
    if changed:
        case.save(update_fields=[*changed, "updated_at"])

    promise = None
    if promise_amount is not None:
        from collection.services.promises import promise_record

        try:
            promise = promise_record(
                case=case, amount=promise_amount, due_on=promise_due_on, actor=actor, contact=contact
            )
        except CollectionError as error:
            field = {"amount": "promise_amount", "due_on": "promise_due_on"}.get(error.field, "promise_amount")
            raise CollectionError(str(error), field=field) from None

    visit.status = VisitStatus.DONE
    visit.visited_at = visited_at
    visit.met = met
    visit.outcome = outcome
    visit.was_recorded = was_recorded
    visit.report_notes = notes
    visit.contact = contact
    visit.save(update_fields=["status", "visited_at", "met", "outcome", "was_recorded", "report_notes", "contact"])
    # What was said at the door holds the case, as on a call (a dispute, a request to stop, a death).
    spoken_hold_place(case=case, outcome=outcome, notes=notes, at=visited_at, actor=actor)
    # Files last: a refusal above leaves nothing on disk.
    for kind, upload in files:
        VisitAttachment.objects.create(visit=visit, kind=kind, file=upload)
    _event(
        visit,
        "reported",
        actor=actor,
        notes=notes,
        at=visited_at,
        contact=contact.pk,
        met=met,
        outcome=outcome,
        was_recorded=was_recorded,
        attachments=len(files),
        promise=promise.pk if promise else None,
    )
    return visit
