"""
The codes a message's status carries besides the guard's rules: why the
sender itself suppressed or failed it, and how each reads. A part that
registers a relevance check (reminders, strategies) registers the words of
its codes here too (`suppression_reason_register`), so the timeline and the
case page can say why a message did not go.
"""

from django.utils.translation import gettext_lazy as _

from collection.compliance import Rule

OPT_OUT_OVERFLOW = "opt_out_overflow"
NO_TEMPLATE = "no_template"
TEMPLATE_ERROR = "template_error"
NO_RECIPIENT = "no_recipient"
NOT_CONFIGURED = "not_configured"
TOO_MANY_ATTEMPTS = "too_many_attempts"

SUPPRESSION_REASONS = {
    OPT_OUT_OVERFLOW: _("the opt-out line would not fit the first SMS segment"),
    **{rule.value: rule.label for rule in Rule},
}
FAILURE_REASONS = {
    NO_TEMPLATE: _("no template for this kind, channel and language"),
    TEMPLATE_ERROR: _("the template cannot be rendered"),
    NO_RECIPIENT: _("no address or number to send to"),
    NOT_CONFIGURED: _("the channel is not configured"),
    "timeout": _("the provider did not answer in time"),
    "unreachable": _("the provider could not be reached"),
}


def suppression_reason_register(code: str, label) -> None:
    """The words for a reason code a relevance check returns ("installment_paid": "the installment was paid")."""
    SUPPRESSION_REASONS[str(code)] = label


def suppression_text(code: str) -> str:
    return str(SUPPRESSION_REASONS.get(code, code))


def failure_text(code: str) -> str:
    if code in FAILURE_REASONS:
        return str(FAILURE_REASONS[code])
    if code.startswith("provider_"):
        return str(_("the provider refused it (%(status)s)") % {"status": code.removeprefix("provider_")})
    if code.startswith("smtp_"):
        return str(_("the mail server refused it (%(status)s)") % {"status": code.removeprefix("smtp_")})
    return code
