"""`{{ rate|percent }}`: a fraction (0.1234) as the reader reads a percentage ("12.3%"); None is a dash."""

from decimal import Decimal

from django import template
from django.utils import formats

register = template.Library()


@register.filter
def percent(rate, places=1):
    if rate is None or rate == "":
        return "—"
    value = (Decimal(rate) * 100).quantize(Decimal(1).scaleb(-int(places)))
    return f"{formats.number_format(value, decimal_pos=int(places), use_l10n=True)}%"
