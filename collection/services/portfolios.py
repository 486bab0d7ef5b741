"""
A portfolio's own contact limits. They may only make its jurisdiction's
profile stricter (collection/compliance.py); a looser value is refused here
with the reason, and the compliance guard ignores one that slipped in anyway.
"""

from django.db import transaction

from accounts.services import audit_record
from collection import compliance
from collection.errors import CollectionError
from collection.models import Portfolio

LIMIT_FIELDS = ("earliest_contact", "latest_contact", "max_connected_calls_per_day", "max_call_attempts_per_7_days")


def _limits(portfolio: Portfolio) -> dict:
    """The stored limits as plain data for the audit trail ("08:30", 2, or None)."""
    values = {}
    for field in LIMIT_FIELDS:
        value = getattr(portfolio, field)
        values[field] = value.strftime("%H:%M") if hasattr(value, "strftime") else value
    return values


@transaction.atomic
def portfolio_limits_set(
    *,
    portfolio: Portfolio,
    earliest_contact=None,
    latest_contact=None,
    max_connected_calls_per_day=None,
    max_call_attempts_per_7_days=None,
    actor,
) -> Portfolio:
    """
    Store a portfolio's stricter-only limits (None: the profile's). Raises
    CollectionError (with `field`) for a value looser than the profile;
    setting the same values again changes and audits nothing.
    """
    values = {
        "earliest_contact": earliest_contact,
        "latest_contact": latest_contact,
        "max_connected_calls_per_day": max_connected_calls_per_day,
        "max_call_attempts_per_7_days": max_call_attempts_per_7_days,
    }
    portfolio = Portfolio.objects.select_for_update().get(pk=portfolio.pk)
    errors = compliance.portfolio_limits_errors(jurisdiction=portfolio.jurisdiction, **values)
    if errors:
        field = next(field for field in LIMIT_FIELDS if field in errors)
        raise CollectionError(errors[field], field=field)
    before = _limits(portfolio)
    changed = [field for field in LIMIT_FIELDS if getattr(portfolio, field) != values[field]]
    if not changed:
        return portfolio
    for field in changed:
        setattr(portfolio, field, values[field])
    portfolio.save(update_fields=changed)
    audit_record(
        action="collection.portfolio.limits_changed",
        target=portfolio,
        actor=actor,
        data={"before": before, "after": _limits(portfolio), "fields": changed},
    )
    return portfolio
