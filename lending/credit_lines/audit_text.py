"""How the credit-line audit events read (registered from lending's AppConfig.ready)."""

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts.audit_text import audit_sentence_register
from accounts.templatetags.arrears import money
from lending.models import CreditLimitChange

VERBS = {
    "frozen": gettext_lazy("Credit line of account %(account)s frozen at %(limit)s (%(reason)s)"),
    "cut": gettext_lazy("Credit line of account %(account)s cut from %(previous)s to %(limit)s (%(reason)s)"),
    "restored": gettext_lazy("Credit line of account %(account)s restored to %(limit)s"),
}


def _line_changed(event) -> str:
    data = event.data
    currency = data.get("currency", "")
    sentence = str(VERBS[event.action.rsplit(".", 1)[-1]]) % {
        "account": data["account"],
        "previous": money(data["previous_limit"], currency),
        "limit": money(data["new_limit"], currency),
        "reason": CreditLimitChange.Reason(data["reason"]).label,
    }
    return f"{sentence}: {data['note']}" if data.get("note") else sentence


def _retried(event) -> str:
    return _("Delivery to the core system of a change to account %(account)s retried") % {
        "account": event.data.get("account") or event.target_repr
    }


def audit_sentences_register() -> None:
    for verb in VERBS:
        audit_sentence_register(f"lending.credit_line.{verb}", _line_changed)
    audit_sentence_register("lending.core_delivery.retried", _retried)
    audit_sentence_register(
        "lending.core_delivery.retried_failed",
        gettext_lazy("Every failed delivery to the core system retried: %(deliveries)s"),
    )
