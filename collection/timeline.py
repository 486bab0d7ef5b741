"""
The case timeline as a reader sees it.

A CaseEvent stores what happened — its kind and its facts in `data` (codes,
amounts as strings with their currency, ISO dates, ids) — never a sentence for
the page. The sentence is made here, when the page is drawn, in the reader's
language and with the reader's number and date formats, so a Chinese reader
sees Chinese history and old events gain every later improvement of wording.
`summary` is kept only as the fallback for an event whose facts are missing.
"""

from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from django.db.models import Q
from django.utils import formats
from django.utils.dateparse import parse_date
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from accounts.templatetags.arrears import money
from collection import events
from collection.messaging.codes import failure_text, suppression_text
from collection.models import (
    AnsweredBy,
    ArrangementKind,
    ArrangementStatus,
    Case,
    CaseEvent,
    CaseStatus,
    Channel,
    CloseOutcome,
    Direction,
    EventKind,
    HoldKind,
    LatenessReason,
    MessageKind,
    Outcome,
    RecallReason,
    Stage,
)
from lending.models import ContactPoint

TIMELINE_PAGE = 50
ZERO = Decimal("0.00")


def short_date(value) -> str:
    """An ISO date (or a date) in the reader's short date format."""
    day = parse_date(value) if isinstance(value, str) else value
    return formats.date_format(day, "SHORT_DATE_FORMAT") if day else str(value)


def _duration(seconds: int) -> str:
    return f"{seconds // 60}:{seconds % 60:02d}"


def _amount(data: dict, key: str) -> str:
    return money(data[key], data["currency"])


# --- Contacts, messages and notes ---------------------------------------------------------------


def _contact_text(data: dict) -> str:
    values = {"channel": Channel(data["channel"]).label, "outcome": Outcome(data["outcome"]).label}
    if data.get("direction") == Direction.INBOUND:
        text = _("%(channel)s from the borrower: %(outcome)s") % values
    elif data.get("contact_point_kind"):
        point = ContactPoint.Kind(data["contact_point_kind"]).label
        if data.get("third_party"):
            point = _("%(kind)s of a third party") % {"kind": point}
        text = _("%(channel)s to %(point)s: %(outcome)s") % {**values, "point": point}
    else:
        text = _("%(channel)s: %(outcome)s") % values
    seconds = int(data.get("duration_seconds") or 0)
    return f"{text} ({_duration(seconds)})" if seconds else text


MESSAGE_PURPOSES = {
    **{kind.value: kind.label for kind in MessageKind},
    # Written by earlier versions of the demo.
    "due_reminder": gettext_lazy("Reminder on the due date"),
}
MESSAGE_STATES = {
    "queued": gettext_lazy("queued"),
    "sent": gettext_lazy("sent"),
    "delivered": gettext_lazy("delivered"),
    "failed": gettext_lazy("not delivered"),
}


def _message_values(data: dict) -> dict:
    return {
        "purpose": MESSAGE_PURPOSES.get(data.get("purpose", ""), _("Message")),
        "channel": Channel(data["channel"]).label,
    }


def _message_text(data: dict) -> str:
    text = _("%(purpose)s sent by %(channel)s") % _message_values(data)
    state = data.get("status")
    if state and state != "sent" and state in MESSAGE_STATES:
        text = f"{text} · {MESSAGE_STATES[state]}"
    return text


def _message_suppressed_text(data: dict) -> str:
    values = {**_message_values(data), "reason": suppression_text(data.get("rule", ""))}
    return _("%(purpose)s by %(channel)s not sent: %(reason)s") % values


def _message_failed_text(data: dict) -> str:
    values = {**_message_values(data), "reason": failure_text(data.get("failure", ""))}
    return _("%(purpose)s by %(channel)s failed: %(reason)s") % values


# --- Promises ------------------------------------------------------------------------------------


def _promise_made_text(data: dict) -> str:
    currency, parts = data["currency"], data["parts"]
    if len(parts) == 1:
        amount, due_on = parts[0]
        values = {"amount": money(amount, currency), "date": short_date(due_on)}
        text = _("Promise to pay %(amount)s by %(date)s") % values
    else:
        total = sum((Decimal(amount) for amount, _due in parts), ZERO)
        listed = ", ".join(f"{money(amount)} {short_date(due_on)}" for amount, due_on in parts)
        text = _("Promise to pay %(amount)s in %(count)d parts: %(parts)s") % {
            "amount": money(total, currency),
            "count": len(parts),
            "parts": listed,
        }
    replaced = len(data.get("replaced") or ())
    if replaced:
        text += " · " + ngettext(
            "replaces %(count)d pending promise", "replaces %(count)d pending promises", replaced
        ) % {"count": replaced}
    return text


def _promise_decided(template):
    def render(data: dict) -> str:
        return template % {
            "amount": _amount(data, "amount"),
            "paid": _amount(data, "paid"),
            "date": short_date(data["due_on"]),
        }

    return render


# --- Holds, status, stage, accounts, assignment --------------------------------------------------


def _hold_text(data: dict) -> str:
    kind = HoldKind(data["kind"]).label
    if data["action"] == "released":
        return _("Hold released: %(kind)s") % {"kind": kind}
    text = _("On hold: %(kind)s") % {"kind": kind}
    if data.get("review_on"):
        text += " · " + _("review on %(date)s") % {"date": short_date(data["review_on"])}
    return text


def _reason_text(data: dict) -> str:
    return _("Reason for lateness: %(reason)s") % {"reason": LatenessReason(data["to"]).label}


def _status_text(data: dict) -> str:
    return _("Status: %(from)s → %(to)s") % {
        "from": CaseStatus(data["from"]).label,
        "to": CaseStatus(data["to"]).label,
    }


def _opened_text(data: dict) -> str:
    return _("Case opened: %(days)s days past due, stage %(stage)s") % {
        "days": data["days_past_due"],
        "stage": Stage(data["stage"]).label,
    }


def _closed_text(data: dict) -> str:
    return _("Case closed: %(outcome)s") % {"outcome": CloseOutcome(data["outcome"]).label}


def _stage_text(data: dict) -> str:
    to = Stage(data["to"]).label
    if not data.get("from"):
        return _("Stage: %(to)s") % {"to": to}
    return _("Stage: %(from)s → %(to)s") % {"from": Stage(data["from"]).label, "to": to}


def _placed_text(data: dict) -> str:
    return _("Placed with %(agency)s (batch %(batch)s), recall due %(date)s") % {
        "agency": data["agency_name"],
        "batch": data["batch_number"],
        "date": short_date(data["recall_due_on"]),
    }


def _recalled_text(data: dict) -> str:
    reason = data.get("reason", "")
    return _("Recalled from %(agency)s (batch %(batch)s): %(reason)s") % {
        "agency": data["agency_name"],
        "batch": data["batch_number"],
        "reason": RecallReason(reason).label if reason in RecallReason.values else reason,
    }


def _account_text(template):
    def render(data: dict) -> str:
        return template % {"account": data["account"], "days": data.get("days_past_due", "")}

    return render


def _assignment_text(data: dict) -> str:
    user, team = data.get("to_user_name"), data.get("to_team_name")
    if user and team:
        return _("Assigned to %(user)s (%(team)s)") % {"user": user, "team": team}
    if user:
        return _("Assigned to %(user)s") % {"user": user}
    if team:
        return _("Moved to the pool of %(team)s") % {"team": team}
    return _("Returned to the unassigned pool")


# --- Arrangements --------------------------------------------------------------------------------


def _arrangement_kind(data: dict) -> str:
    return ArrangementKind(data["arrangement_kind"]).label


def _arrangement_proposed_text(data: dict) -> str:
    count = int(data.get("installments", 0))
    text = ngettext(
        "%(kind)s: %(amount)s in %(count)d installment",
        "%(kind)s: %(amount)s in %(count)d installments",
        count,
    ) % {"kind": _arrangement_kind(data), "amount": _amount(data, "total_to_pay"), "count": count}
    if Decimal(data["concession"]) > ZERO:
        text += " · " + _("concession %(amount)s") % {"amount": _amount(data, "concession")}
    return f"{text} ({ArrangementStatus(data['status']).label})"


def _arrangement_text(template):
    def render(data: dict) -> str:
        return template % {"kind": _arrangement_kind(data)}

    return render


def _arrangement_approved_text(data: dict) -> str:
    text = _("%(kind)s approved") % {"kind": _arrangement_kind(data)}
    moved = int(data.get("dates_moved_days") or 0)
    if moved:
        text += " · " + ngettext("dates moved on by %(count)d day", "dates moved on by %(count)d days", moved) % {
            "count": moved
        }
    return text


def _installment_text(template):
    def render(data: dict) -> str:
        return template % {
            "number": data["number"],
            "amount": _amount(data, "amount"),
            "paid": _amount(data, "paid"),
            "date": short_date(data["due_on"]),
        }

    return render


# --- Field visits --------------------------------------------------------------------------------


def _visit_requested_text(data: dict) -> str:
    # No address in the line: the timeline is read by roles that see addresses masked.
    text = _("Field visit requested")
    if data.get("preferred_on"):
        text += " · " + _("preferred %(day)s") % {"day": short_date(data["preferred_on"])}
    return text


def _visit_scheduled_text(data: dict) -> str:
    template = (
        _("Field visit moved to %(day)s with %(agent)s")
        if data.get("rescheduled")
        else _("Field visit scheduled on %(day)s with %(agent)s")
    )
    return template % {"day": short_date(data["scheduled_on"]), "agent": data["agent_name"]}


def _visit_reported_text(data: dict) -> str:
    parts = [
        _("Field visit: %(outcome)s") % {"outcome": Outcome(data["outcome"]).label},
        _("met: %(met)s") % {"met": AnsweredBy(data["met"]).label.lower()},
        _("recorded") if data.get("was_recorded") else _("not recorded"),
    ]
    files = int(data.get("attachments") or 0)
    if files:
        parts.append(ngettext("%(count)d file", "%(count)d files", files) % {"count": files})
    return " · ".join(parts)


# One rendering per code of collection/events.py (a test holds the two lists equal).
EVENT_TEXT = {
    "contact_logged": _contact_text,
    "message_sent": _message_text,
    "message_suppressed": _message_suppressed_text,
    "message_failed": _message_failed_text,
    "note_added": lambda data: _("Note"),
    "reason_set": _reason_text,
    "status_changed": _status_text,
    "opened": _opened_text,
    "closed": _closed_text,
    "hold_placed": _hold_text,
    "hold_released": _hold_text,
    "promise_made": _promise_made_text,
    "promise_kept": _promise_decided(gettext_lazy("Promise kept: %(paid)s paid by %(date)s")),
    "promise_partly_kept": _promise_decided(
        gettext_lazy("Promise partly kept: %(paid)s of %(amount)s paid by %(date)s")
    ),
    "promise_broken": _promise_decided(gettext_lazy("Promise broken: %(amount)s were due %(date)s")),
    "arrangement_proposed": _arrangement_proposed_text,
    "arrangement_approved": _arrangement_approved_text,
    "arrangement_rejected": _arrangement_text(gettext_lazy("%(kind)s rejected")),
    "arrangement_cancelled": _arrangement_text(gettext_lazy("%(kind)s cancelled")),
    "arrangement_completed": _arrangement_text(gettext_lazy("%(kind)s completed")),
    "arrangement_broken": _arrangement_text(gettext_lazy("%(kind)s broken: an installment was missed")),
    "arrangement_ended": _arrangement_text(gettext_lazy("%(kind)s ended: the case closed")),
    "arrangement_withdrawn": _arrangement_text(gettext_lazy("%(kind)s request withdrawn: the case closed")),
    "installment_paid": _installment_text(gettext_lazy("Installment %(number)s of the arrangement paid: %(amount)s")),
    "installment_partly_paid": _installment_text(
        gettext_lazy("Installment %(number)s of the arrangement partly paid: %(paid)s of %(amount)s")
    ),
    "installment_missed": _installment_text(
        gettext_lazy("Installment %(number)s of the arrangement missed: %(amount)s were due %(date)s")
    ),
    "stage_changed": _stage_text,
    "placed": _placed_text,
    "recalled": _recalled_text,
    "account_joined": _account_text(gettext_lazy("Account %(account)s joined the case (%(days)s days past due)")),
    "account_left": _account_text(gettext_lazy("Account %(account)s left the case: nothing past due")),
    "account_left_closed": _account_text(gettext_lazy("Account %(account)s left the case: the case closed")),
    "assigned": _assignment_text,
    "visit_requested": _visit_requested_text,
    "visit_scheduled": _visit_scheduled_text,
    "visit_rejected": lambda data: _("Field visit rejected"),
    "visit_reported": _visit_reported_text,
}

UNREADABLE = (KeyError, ValueError, TypeError, IndexError, InvalidOperation)


def event_text_register(kind: str, code: str, render) -> None:
    """An app to the right of collection (legal) adds a code of its own and how it reads, at start-up."""
    events.code_register(kind, code)
    EVENT_TEXT[code] = render


def event_text(event: CaseEvent) -> str:
    """
    The event's line in the reader's language and formats, from its code and
    facts; the sentence an old version stored, for an event without a code.
    """
    render_text = EVENT_TEXT.get(event.code)
    if render_text is not None:
        try:
            return str(render_text(event.data))
        except UNREADABLE:
            pass
    return event.summary or str(EventKind(event.kind).label if event.kind in EventKind.values else event.kind)


@dataclass
class TimelineLine:
    event: CaseEvent
    text: str
    kind_label: str


def timeline_page(case: Case, before: CaseEvent | None = None) -> tuple[list[TimelineLine], bool]:
    """Up to TIMELINE_PAGE events, newest first (older than `before`), and whether there are older ones."""
    events = CaseEvent.objects.filter(case=case).select_related("actor").order_by("-occurred_at", "-id")
    if before is not None:
        events = events.filter(
            Q(occurred_at__lt=before.occurred_at) | Q(occurred_at=before.occurred_at, id__lt=before.pk)
        )
    page = list(events[: TIMELINE_PAGE + 1])
    labels = {kind: str(label) for kind, label in EventKind.choices}  # once, not get_kind_display() per line
    lines = [
        TimelineLine(event, event_text(event), labels.get(event.kind, event.kind)) for event in page[:TIMELINE_PAGE]
    ]
    return lines, len(page) > TIMELINE_PAGE
