"""
The case timeline's lines for a litigation file after its acceptance: status
moves, the officer and lawyer, hearings, costs, the judgment, enforcement and
its recoveries, exhibits added and removed.

As everywhere on the timeline (collection/events.py), an event stores codes,
ids, amounts as strings beside their currency and ISO dates; the sentence is
made here for each reader. `events_register()` adds the codes and their
sentences to collection's timeline, and the audit sentences to accounts', at
start-up (legal/litigation/__init__.py).
"""

from django.utils import formats
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts.templatetags.arrears import money
from collection.events import EventFacts
from collection.models import EventKind
from collection.timeline import short_date
from legal.models import Evidence, FileStatus, Hearing, LegalCost

STATUS_CHANGED = "file_status_changed"
ASSIGNED = "file_assigned"
HEARING_ADDED = "file_hearing_added"
HEARING_OUTCOME = "file_hearing_outcome"
COST_ADDED = "file_cost_added"
JUDGMENT = "file_judgment"
ENFORCEMENT_APPLIED = "file_enforcement_applied"
RECOVERED = "file_enforcement_recovered"
EVIDENCE_ADDED = "file_evidence_added"
EVIDENCE_REMOVED = "file_evidence_removed"


def _file(file) -> dict:
    return {"file": file.pk, "number": file.number}


def status_changed(file, *, previous: str, status: str) -> EventFacts:
    return EventFacts(EventKind.STATUS, STATUS_CHANGED, {**_file(file), "from": str(previous), "to": str(status)})


def assigned(file, *, officer_name: str, lawyer: str) -> EventFacts:
    # Names, not sentences: the officer's name and the lawyer's as written in the file.
    return EventFacts(EventKind.ASSIGNMENT, ASSIGNED, {**_file(file), "officer": officer_name, "lawyer": lawyer})


def hearing_added(hearing) -> EventFacts:
    return EventFacts(
        EventKind.STATUS,
        HEARING_ADDED,
        {
            **_file(hearing.file),
            "hearing": hearing.pk,
            "starts_at": hearing.starts_at.isoformat(),
            "place": hearing.place,
        },
    )


def hearing_outcome(hearing) -> EventFacts:
    return EventFacts(
        EventKind.STATUS,
        HEARING_OUTCOME,
        {
            **_file(hearing.file),
            "hearing": hearing.pk,
            "starts_at": hearing.starts_at.isoformat(),
            "outcome": hearing.outcome,
        },
    )


def cost_added(cost) -> EventFacts:
    return EventFacts(
        EventKind.STATUS,
        COST_ADDED,
        {
            **_file(cost.file),
            "cost": cost.pk,
            "cost_kind": cost.kind,
            "amount": str(cost.amount),
            "currency": cost.file.currency,
        },
    )


def judgment_recorded(judgment) -> EventFacts:
    return EventFacts(
        EventKind.STATUS,
        JUDGMENT,
        {
            **_file(judgment.file),
            "judged_on": judgment.judged_on.isoformat(),
            "in_favour": judgment.in_favour,
            "total": str(judgment.total),
            "currency": judgment.file.currency,
            "appeal_deadline_on": judgment.appeal_deadline_on.isoformat() if judgment.appeal_deadline_on else "",
        },
    )


def enforcement_applied(enforcement) -> EventFacts:
    return EventFacts(
        EventKind.STATUS,
        ENFORCEMENT_APPLIED,
        {
            **_file(enforcement.file),
            "enforcement": enforcement.pk,
            "applied_on": enforcement.applied_on.isoformat(),
            "reference": enforcement.court_reference,
        },
    )


def recovered(recovery) -> EventFacts:
    payment = recovery.payment
    return EventFacts(
        EventKind.PAYMENT,
        RECOVERED,
        {
            **_file(recovery.enforcement.file),
            "enforcement": recovery.enforcement_id,
            "payment": payment.pk,
            "external_id": payment.external_id,
            "amount": str(payment.amount),
            "currency": recovery.enforcement.file.currency,
        },
    )


def evidence_changed(evidence, code: str) -> EventFacts:
    return EventFacts(
        EventKind.STATUS,
        code,
        {
            **_file(evidence.file),
            "evidence": evidence.pk,
            "evidence_kind": evidence.kind,
            "name": evidence.name,
            "sha256": evidence.sha256,
        },
    )


# --- Sentences --------------------------------------------------------------------------------------


def _on_file(data: dict, text: str) -> str:
    return _("File %(number)s: %(what)s") % {"number": data["number"], "what": text}


def _when(value: str) -> str:
    moment = parse_datetime(value)
    return formats.date_format(moment, "SHORT_DATETIME_FORMAT") if moment else value


def _status_text(data: dict) -> str:
    to = FileStatus(data["to"]).label
    if not data.get("from"):
        return _on_file(data, str(to))
    return _on_file(data, _("%(from)s → %(to)s") % {"from": FileStatus(data["from"]).label, "to": to})


def _assigned_text(data: dict) -> str:
    parts = []
    if data.get("officer"):
        parts.append(_("legal officer %(name)s") % {"name": data["officer"]})
    if data.get("lawyer"):
        parts.append(_("outside lawyer %(name)s") % {"name": data["lawyer"]})
    if not parts:
        return _on_file(data, _("no legal officer or lawyer"))
    return _on_file(data, ", ".join(parts))


def _hearing_added_text(data: dict) -> str:
    return _on_file(
        data, _("hearing on %(when)s at %(place)s") % {"when": _when(data["starts_at"]), "place": data["place"]}
    )


def _hearing_outcome_text(data: dict) -> str:
    return _on_file(
        data,
        _("hearing of %(when)s: %(outcome)s")
        % {"when": _when(data["starts_at"]), "outcome": Hearing.Outcome(data["outcome"]).label},
    )


def _cost_text(data: dict) -> str:
    return _on_file(
        data,
        _("%(kind)s %(amount)s")
        % {"kind": LegalCost.Kind(data["cost_kind"]).label, "amount": money(data["amount"], data["currency"])},
    )


def _judgment_text(data: dict) -> str:
    values = {"date": short_date(data["judged_on"]), "amount": money(data["total"], data["currency"])}
    if data.get("in_favour"):
        text = _("judgment of %(date)s in our favour, %(amount)s awarded") % values
    else:
        text = _("judgment of %(date)s against us") % values
    if data.get("appeal_deadline_on"):
        text += " · " + _("appeal until %(date)s") % {"date": short_date(data["appeal_deadline_on"])}
    return _on_file(data, text)


def _enforcement_text(data: dict) -> str:
    text = _("enforcement applied for on %(date)s") % {"date": short_date(data["applied_on"])}
    if data.get("reference"):
        text += f" ({data['reference']})"
    return _on_file(data, text)


def _recovered_text(data: dict) -> str:
    return _on_file(
        data,
        _("%(amount)s recovered by enforcement (payment %(payment)s)")
        % {"amount": money(data["amount"], data["currency"]), "payment": data["external_id"]},
    )


def _evidence_text(template):
    def render(data: dict) -> str:
        return _on_file(data, template % {"kind": Evidence.Kind(data["evidence_kind"]).label, "name": data["name"]})

    return render


EVENT_TEXT = {
    STATUS_CHANGED: (EventKind.STATUS, _status_text),
    ASSIGNED: (EventKind.ASSIGNMENT, _assigned_text),
    HEARING_ADDED: (EventKind.STATUS, _hearing_added_text),
    HEARING_OUTCOME: (EventKind.STATUS, _hearing_outcome_text),
    COST_ADDED: (EventKind.STATUS, _cost_text),
    JUDGMENT: (EventKind.STATUS, _judgment_text),
    ENFORCEMENT_APPLIED: (EventKind.STATUS, _enforcement_text),
    RECOVERED: (EventKind.PAYMENT, _recovered_text),
    EVIDENCE_ADDED: (EventKind.STATUS, _evidence_text(gettext_lazy("exhibit added: %(kind)s, %(name)s"))),
    EVIDENCE_REMOVED: (EventKind.STATUS, _evidence_text(gettext_lazy("exhibit removed: %(kind)s, %(name)s"))),
}

# Audit action → the timeline code whose sentence it shares (the audit row carries the same facts).
AUDIT_AS_TIMELINE = {
    "legal.file.status_changed": STATUS_CHANGED,
    "legal.file.assigned": ASSIGNED,
    "legal.hearing.added": HEARING_ADDED,
    "legal.hearing.outcome_set": HEARING_OUTCOME,
    "legal.cost.added": COST_ADDED,
    "legal.judgment.recorded": JUDGMENT,
    "legal.enforcement.applied": ENFORCEMENT_APPLIED,
    "legal.enforcement.recovered": RECOVERED,
    "legal.evidence.added": EVIDENCE_ADDED,
    "legal.evidence.removed": EVIDENCE_REMOVED,
}


def _audit_sentence(code: str):
    render = EVENT_TEXT[code][1]

    def sentence(event) -> str:
        return render(event.data)

    return sentence


def events_register() -> None:
    from accounts.audit_text import audit_sentence_register
    from collection.timeline import event_text_register

    for code, (kind, render) in EVENT_TEXT.items():
        event_text_register(kind, code, render)
    for action, code in AUDIT_AS_TIMELINE.items():
        audit_sentence_register(action, _audit_sentence(code))
    audit_sentence_register("legal.evidence.moved", gettext_lazy("Exhibits of file %(target)s put in a new order"))
