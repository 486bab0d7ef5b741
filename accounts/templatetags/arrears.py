"""Template helpers every app's pages use."""

from decimal import Decimal

from django import template
from django.utils import formats

register = template.Library()


@register.filter
def money(amount, currency=""):
    """`1234.5|money:"CNY"` -> "1,234.50 CNY" (grouping and decimal mark follow the user's language)."""
    if amount is None or amount == "":
        return ""
    text = formats.number_format(Decimal(amount), decimal_pos=2, use_l10n=True, force_grouping=True)
    return f"{text} {currency}".strip()


@register.filter(name="audit_text")
def audit_text_filter(event) -> str:
    """`{{ event|audit_text }}`: an audit event as a sentence in the reader's language."""
    from accounts.audit_text import audit_text

    return audit_text(event)
