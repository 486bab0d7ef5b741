"""
What a timeline event records: its kind, a stable code and the facts.

Every writer of the case timeline — the services, the nightly run's SQL, the
demo — builds its event's facts with the functions here, so an event of one
code has one shape wherever it was written. The facts are codes, ids, amounts
as strings beside their currency and ISO dates; never a sentence. The sentence
is made when a page is drawn (collection/timeline.py), in the reader's
language, so an event written by an English collector reads in Chinese for a
Chinese one.

The codes are stable: pages, filters and later reports select by them, and
`collection/timeline.py` keeps one rendering per code. Add a code here and its
rendering there together (a test holds the two lists equal).
"""

from collections.abc import Sequence
from dataclasses import dataclass

from collection.models import EventKind, HoldKind


@dataclass(frozen=True)
class EventFacts:
    kind: str
    code: str
    data: dict


# The codes, by the kind they belong to. The nightly run (collection/lifecycle)
# writes the promise, installment, arrangement, account, case and stage codes in SQL.
CODES = {
    EventKind.CONTACT: ("contact_logged",),
    EventKind.MESSAGE: ("message_sent", "message_suppressed", "message_failed"),
    EventKind.NOTE: ("note_added",),
    EventKind.STATUS: ("reason_set", "status_changed", "opened", "closed"),
    EventKind.HOLD: ("hold_placed", "hold_released"),
    EventKind.HARDSHIP: ("hold_placed", "hold_released"),
    EventKind.PROMISE: ("promise_made", "promise_kept", "promise_partly_kept", "promise_broken"),
    EventKind.ARRANGEMENT: (
        "arrangement_proposed",
        "arrangement_approved",
        "arrangement_rejected",
        "arrangement_cancelled",
        "arrangement_completed",
        "arrangement_broken",
        "arrangement_ended",
        "arrangement_withdrawn",
        "installment_paid",
        "installment_partly_paid",
        "installment_missed",
    ),
    EventKind.STAGE: ("stage_changed", "placed", "recalled"),
    EventKind.ACCOUNT: ("account_joined", "account_left", "account_left_closed"),
    EventKind.ASSIGNMENT: ("assigned",),
    EventKind.VISIT: ("visit_requested", "visit_scheduled", "visit_rejected", "visit_reported"),
}
ALL_CODES = frozenset(code for codes in CODES.values() for code in codes)


def code_register(kind: str, code: str) -> None:
    """A code of an app to the right of collection (legal's letters and files), added at start-up."""
    global ALL_CODES
    if code not in CODES.get(kind, ()):
        CODES[kind] = (*CODES.get(kind, ()), code)
    ALL_CODES = ALL_CODES | {code}


def contact_logged(
    *, channel, direction, answered_by, outcome, duration_seconds=0, contact_point=None, contact_id=None
) -> EventFacts:
    data = {
        "channel": str(channel),
        "direction": str(direction),
        "answered_by": str(answered_by),
        "outcome": str(outcome),
        "duration_seconds": int(duration_seconds or 0),
    }
    if contact_id is not None:
        data["contact_id"] = contact_id
    if contact_point is not None:
        data["contact_point_id"] = contact_point.pk
        data["contact_point_kind"] = contact_point.kind
        data["third_party"] = contact_point.is_third_party
    return EventFacts(EventKind.CONTACT, "contact_logged", data)


def message_sent(*, channel, purpose: str, contact_id=None, message_id=None, status: str = "sent") -> EventFacts:
    """
    A message to the borrower left; `purpose` is its kind (MessageKind, e.g.
    "overdue_reminder"). `status` is its delivery state, which the provider's
    delivery report later moves to "delivered" or "failed" on this very event.
    """
    data = {"channel": str(channel), "purpose": purpose}
    if contact_id is not None:
        data["contact_id"] = contact_id
    if message_id is not None:
        data["message_id"] = message_id
        data["status"] = str(status)
    return EventFacts(EventKind.MESSAGE, "message_sent", data)


def message_suppressed(*, channel, purpose: str, rule: str, message_id) -> EventFacts:
    """A queued message not sent: the guard's rule (a Rule code) or the sender's own reason code."""
    data = {"channel": str(channel), "purpose": purpose, "rule": str(rule), "message_id": message_id}
    return EventFacts(EventKind.MESSAGE, "message_suppressed", data)


def message_failed(*, channel, purpose: str, failure: str, message_id) -> EventFacts:
    """A message the channel could not deliver: the failure's code ("provider_400", "timeout"...)."""
    data = {"channel": str(channel), "purpose": purpose, "failure": str(failure), "message_id": message_id}
    return EventFacts(EventKind.MESSAGE, "message_failed", data)


def note_added() -> EventFacts:
    """The note's text is the event's `notes`, the writer's own words."""
    return EventFacts(EventKind.NOTE, "note_added", {})


def reason_set(*, previous: str, reason: str) -> EventFacts:
    return EventFacts(EventKind.STATUS, "reason_set", {"field": "reason", "from": previous, "to": reason})


def status_changed(*, previous: str, status: str) -> EventFacts:
    return EventFacts(EventKind.STATUS, "status_changed", {"from": previous, "to": status})


def case_opened(*, days_past_due: int, stage: str, status: str) -> EventFacts:
    return EventFacts(
        EventKind.STATUS, "opened", {"to": str(status), "stage": str(stage), "days_past_due": int(days_past_due)}
    )


def _hold_kind(kind: str) -> str:
    return EventKind.HARDSHIP if kind == HoldKind.HARDSHIP_REVIEW else EventKind.HOLD


def hold_placed(*, hold_id, kind: str, review_on=None, evidence: bool = False) -> EventFacts:
    data = {"hold_id": hold_id, "kind": str(kind), "action": "placed"}
    if review_on:
        data["review_on"] = review_on.isoformat()
    if evidence:
        data["evidence"] = True
    return EventFacts(_hold_kind(kind), "hold_placed", data)


def hold_released(*, hold_id, kind: str) -> EventFacts:
    return EventFacts(_hold_kind(kind), "hold_released", {"hold_id": hold_id, "kind": str(kind), "action": "released"})


def promise_made(
    *, currency: str, parts: Sequence[tuple], promise_ids: Sequence[int] = (), replaced=(), contact_id=None
) -> EventFacts:
    """`parts` are (amount, due date) pairs: one for a single promise, more for a series."""
    data = {
        "currency": currency,
        "parts": [[str(amount), due_on.isoformat()] for amount, due_on in parts],
        "promise_ids": list(promise_ids),
        "replaced": list(replaced),
    }
    if contact_id is not None:
        data["contact_id"] = contact_id
    return EventFacts(EventKind.PROMISE, "promise_made", data)


def promise_decided(*, promise_id, status: str, amount, paid, currency: str, due_on) -> EventFacts:
    """The nightly run's verdict (kept, partly kept, broken); the run writes the same shape in SQL."""
    return EventFacts(
        EventKind.PROMISE,
        f"promise_{status}",
        {
            "promise": promise_id,
            "status": str(status),
            "amount": str(amount),
            "paid": str(paid),
            "currency": currency,
            "due_on": due_on.isoformat(),
        },
    )


def arrangement_changed(
    arrangement, action: str, *, installments: int | None = None, status: str | None = None, dates_moved_days: int = 0
) -> EventFacts:
    """An arrangement proposed, approved, rejected or cancelled by staff; `status` if not the arrangement's now."""
    data = {
        "action": action,
        "arrangement": arrangement.pk,
        "arrangement_kind": arrangement.kind,
        "status": status or arrangement.status,
        "currency": arrangement.currency,
        "total_to_pay": str(arrangement.total_to_pay),
        "concession": str(arrangement.concession),
    }
    if installments is not None:
        data["installments"] = installments
    if dates_moved_days:
        data["dates_moved_days"] = dates_moved_days
    return EventFacts(EventKind.ARRANGEMENT, f"arrangement_{action}", data)


VISIT_ACTION_CODES = {"requested": "visit_requested", "scheduled": "visit_scheduled", "rejected": "visit_rejected"}


def visit_changed(visit, action: str, **facts) -> EventFacts:
    """A field visit requested, scheduled (or moved), rejected or reported; `facts` are the action's own."""
    data = {"action": action, "visit": visit.pk, "status": visit.status, **facts}
    return EventFacts(EventKind.VISIT, VISIT_ACTION_CODES.get(action, "visit_reported"), data)


def case_placed(*, agency, batch) -> EventFacts:
    """
    The case placed with an agency (collection/agencies/placement.py writes it
    in SQL, with "from": the stage it left). The agency's name is kept: the line
    reads the same after the agency is renamed or gone.
    """
    data = {
        "agency": agency.pk,
        "agency_code": agency.code,
        "agency_name": agency.name,
        "batch": batch.pk,
        "batch_number": batch.number,
        "recall_due_on": batch.recall_due_on.isoformat(),
    }
    return EventFacts(EventKind.STAGE, "placed", data)


def case_recalled(
    *, agency_id: int, agency_code: str, agency_name: str, batch_id: int, batch_number: str, reason: str
) -> EventFacts:
    """The case recalled from its agency (a RecallReason code); written in SQL with "to": the stage it returns to."""
    data = {
        "agency": agency_id,
        "agency_code": agency_code,
        "agency_name": agency_name,
        "batch": batch_id,
        "batch_number": batch_number,
        "reason": str(reason),
    }
    return EventFacts(EventKind.STAGE, "recalled", data)
