"""
How collection's audit events read (registered with accounts at start-up).

Where an audit event carries the same facts as the timeline event the
service wrote beside it, it reads with the timeline's sentence, prefixed by
the case: one wording for both.
"""

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts.audit_text import audit_sentence_register
from accounts.templatetags.arrears import money
from collection.events import VISIT_ACTION_CODES
from collection.timeline import EVENT_TEXT, short_date

ON_CASE = gettext_lazy("Case %(case)s: %(what)s")

# Audit action → the timeline code whose sentence it shares.
AS_TIMELINE = {
    "collection.contact.logged": "contact_logged",
    "collection.reason.set": "reason_set",
    "collection.hold.placed": "hold_placed",
    "collection.hold.released": "hold_released",
    "collection.case.assigned": "assigned",
    **{
        f"collection.arrangement.{action}": f"arrangement_{action}"
        for action in ("proposed", "approved", "rejected", "cancelled")
    },
    **{f"collection.visit.{action}": code for action, code in VISIT_ACTION_CODES.items()},
    "collection.visit.reported": "visit_reported",
}


def _as_timeline(code: str):
    def sentence(event) -> str:
        return str(ON_CASE) % {"case": event.target_repr, "what": EVENT_TEXT[code](event.data)}

    return sentence


def _promise_recorded(event) -> str:
    data = event.data
    return _("Promise recorded: %(amount)s by %(date)s") % {
        "amount": money(data["amount"], data["currency"]),
        "date": short_date(data["due_on"]),
    }


REVEALED_FIELDS = {"national_id": gettext_lazy("national id"), "phone": gettext_lazy("phone number")}


def _revealed(event) -> str:
    return _("Case %(case)s: revealed the borrower's %(field)s") % {
        "case": event.target_repr,
        "field": REVEALED_FIELDS[event.data["field"]],
    }


def _distributed(event) -> str:
    data = event.data
    return _("%(cases)s cases shared out among %(teams)s teams") % {
        "cases": data["cases"],
        "teams": len(data.get("by_team") or {}),
    }


def audit_sentences_register() -> None:
    for action, code in AS_TIMELINE.items():
        audit_sentence_register(action, _as_timeline(code))
    audit_sentence_register("collection.note.added", gettext_lazy("Note added on case %(target)s"))
    audit_sentence_register("collection.promise.recorded", _promise_recorded)
    audit_sentence_register("collection.promise.cancelled", gettext_lazy("Promise %(target)s replaced by a new one"))
    audit_sentence_register("collection.contact.revealed", _revealed)
    audit_sentence_register("collection.case.taken", gettext_lazy("Took case %(target)s as the next case"))
    audit_sentence_register("collection.cases.distributed", _distributed)
    audit_sentence_register(
        "collection.portfolio.limits_changed", gettext_lazy("Collection limits of portfolio %(target)s changed")
    )
