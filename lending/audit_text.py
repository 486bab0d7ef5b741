"""How lending's audit events read (registered with accounts at start-up)."""

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts.audit_text import audit_sentence_register
from accounts.templatetags.arrears import money
from lending.models import ImportBatch

REVEALED_FIELDS = {"national_id": gettext_lazy("national id"), "contact": gettext_lazy("contact detail")}


def _payment_recorded(event) -> str:
    data = event.data
    return _("Payment %(payment)s recorded on account %(account)s: %(amount)s") % {
        "payment": event.target_repr,
        "account": data["account"],
        "amount": money(data["amount"], data.get("currency", "")),
    }


def _payment_reversed(event) -> str:
    data = event.data
    return _("Payment %(payment)s reversed on account %(account)s: %(amount)s (%(reason)s)") % {
        "payment": event.target_repr,
        "account": data["account"],
        "amount": money(data["amount"], data.get("currency", "")),
        "reason": data["reason"],
    }


def _import_finished(event) -> str:
    data = event.data
    status = event.action.rsplit(".", 1)[-1]
    return _("Import of %(file)s (%(kind)s): %(status)s — %(rows)s rows, %(created)s new, %(updated)s updated") % {
        "file": data.get("file") or event.target_repr,
        "kind": ImportBatch.Kind(data["kind"]).label,
        "status": ImportBatch.Status(status).label,
        "rows": data["rows"],
        "created": data["created"],
        "updated": data["updated"],
    }


def _import_failed(event) -> str:
    data = event.data
    return _("Import of %(file)s (%(kind)s) failed") % {
        "file": data.get("file") or event.target_repr,
        "kind": ImportBatch.Kind(data["kind"]).label,
    }


def _revealed(event) -> str:
    return _("Borrower %(borrower)s: revealed the %(field)s") % {
        "borrower": event.target_repr,
        "field": REVEALED_FIELDS[event.data["field"]],
    }


def _list_full_viewed(event) -> str:
    count = len(event.data.get("borrower_ids") or ())
    if event.data.get("searched"):
        return _("Searched borrowers; %(count)s shown with personal data in full") % {"count": count}
    return _("Listed borrowers; %(count)s shown with personal data in full") % {"count": count}


def audit_sentences_register() -> None:
    audit_sentence_register("lending.payment.recorded", _payment_recorded)
    audit_sentence_register("lending.payment.reversed", _payment_reversed)
    audit_sentence_register(
        "lending.payment.batch_recorded",
        gettext_lazy("Payment batch: %(created)s recorded, %(unchanged)s already known, %(bad_rows)s refused"),
    )
    for status in ImportBatch.Status.values:
        audit_sentence_register(f"lending.import.{status}", _import_finished)
    audit_sentence_register("lending.import.failed", _import_failed)
    audit_sentence_register("lending.intake_token.created", gettext_lazy("Intake API token created: %(name)s"))
    audit_sentence_register(
        "lending.demo_portfolio.seeded", gettext_lazy("Demo portfolio loaded: %(accounts)s accounts")
    )
    audit_sentence_register("lending.borrower.revealed", _revealed)
    audit_sentence_register(
        "lending.borrower.full_viewed", gettext_lazy("Borrower %(target)s viewed with personal data in full")
    )
    audit_sentence_register("lending.borrower_list.full_viewed", _list_full_viewed)
    audit_sentence_register(
        "lending.phone_number.marked",
        gettext_lazy("Telephone number marked (%(target)s): not called again, for any borrower"),
    )
