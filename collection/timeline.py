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
from django.utils.translation import ngettext

from accounts.templatetags.arrears import money
from collection.models import (
    Case,
    CaseEvent,
    CaseStatus,
    Channel,
    CloseOutcome,
    Direction,
    EventKind,
    HoldKind,
    LatenessReason,
    Outcome,
    Stage,
)
from collection.services import arrangements as arrangement_services
from collection.services import visits as visit_services
from lending.models import ContactPoint

TIMELINE_PAGE = 50
ZERO = Decimal("0.00")


def _date(value) -> str:
    day = parse_date(value) if isinstance(value, str) else value
    return formats.date_format(day, "SHORT_DATE_FORMAT") if day else str(value)


def _duration(seconds: int) -> str:
    return f"{seconds // 60}:{seconds % 60:02d}"


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


def _promise_text(data: dict) -> str:
    code = data.get("code", "")
    if code:  # the nightly run's verdict on a promise
        values = {
            "amount": money(data["amount"], data["currency"]),
            "paid": money(data["paid"], data["currency"]),
            "date": _date(data["due_on"]),
        }
        return {
            "promise_kept": _("Promise kept: %(paid)s paid by %(date)s"),
            "promise_partly_kept": _("Promise partly kept: %(paid)s of %(amount)s paid by %(date)s"),
            "promise_broken": _("Promise broken: %(amount)s were due %(date)s"),
        }[code] % values
    currency, parts = data["currency"], data["parts"]
    if len(parts) == 1:
        amount, due_on = parts[0]
        text = _("Promise to pay %(amount)s by %(date)s") % {"amount": money(amount, currency), "date": _date(due_on)}
    else:
        total = sum((Decimal(amount) for amount, _due in parts), ZERO)
        listed = ", ".join(f"{money(amount)} {_date(due_on)}" for amount, due_on in parts)
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


def _hold_text(data: dict) -> str:
    kind = HoldKind(data["kind"]).label
    if data["action"] == "released":
        return _("Hold released: %(kind)s") % {"kind": kind}
    text = _("On hold: %(kind)s") % {"kind": kind}
    if data.get("review_on"):
        text += " · " + _("review on %(date)s") % {"date": _date(data["review_on"])}
    return text


def _status_text(data: dict) -> str:
    if data.get("field") == "reason":
        return _("Reason for lateness: %(reason)s") % {"reason": LatenessReason(data["to"]).label}
    code = data.get("code", "")
    if code == "opened":
        return _("Case opened: %(days)s days past due, stage %(stage)s") % {
            "days": data["days_past_due"],
            "stage": Stage(data["stage"]).label,
        }
    if code == "closed":
        return _("Case closed: %(outcome)s") % {"outcome": CloseOutcome(data["outcome"]).label}
    if code:
        raise KeyError(code)
    return _("Status: %(from)s → %(to)s") % {
        "from": CaseStatus(data["from"]).label,
        "to": CaseStatus(data["to"]).label,
    }


def _stage_text(data: dict) -> str:
    to = Stage(data["to"]).label
    if not data.get("from"):
        return _("Stage: %(to)s") % {"to": to}
    return _("Stage: %(from)s → %(to)s") % {"from": Stage(data["from"]).label, "to": to}


def _account_text(data: dict) -> str:
    return {
        "account_joined": _("Account %(account)s joined the case (%(days)s days past due)"),
        "account_left": _("Account %(account)s left the case"),
    }[data["code"]] % {"account": data["account"], "days": data.get("days_past_due", "")}


def _assignment_text(data: dict) -> str:
    user, team = data.get("to_user_name"), data.get("to_team_name")
    if user and team:
        return _("Assigned to %(user)s (%(team)s)") % {"user": user, "team": team}
    if user:
        return _("Assigned to %(user)s") % {"user": user}
    if team:
        return _("Moved to %(team)s, not assigned to anyone") % {"team": team}
    raise KeyError("to_user_name")


# Each kind's line from its data; what another service writes is rendered by that service's own function.
EVENT_TEXT = {
    EventKind.CONTACT: _contact_text,
    EventKind.PROMISE: _promise_text,
    EventKind.HOLD: _hold_text,
    EventKind.HARDSHIP: _hold_text,
    EventKind.STATUS: _status_text,
    EventKind.STAGE: _stage_text,
    EventKind.ACCOUNT: _account_text,
    EventKind.ASSIGNMENT: _assignment_text,
    EventKind.ARRANGEMENT: arrangement_services.event_text,
    EventKind.VISIT: visit_services.event_text,
}


def event_text(event: CaseEvent) -> str:
    """The event's line in the reader's language, from its kind and data; its stored summary otherwise."""
    if event.kind == EventKind.NOTE:
        # The note's text is shown under the line; a note written with a summary only shows that.
        return _("Note") if event.notes else event.summary
    render_text = EVENT_TEXT.get(event.kind)
    if render_text is not None:
        try:
            return render_text(event.data)
        except (KeyError, ValueError, TypeError, IndexError, InvalidOperation):
            pass
    return event.summary


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
