"""
A manager's page of portfolios: each one with the contact limits in force
(the jurisdiction's profile, made stricter by the portfolio's own) and the
profile's fixed rules in words. Configuration, not cases: whoever may
configure collection (CONFIGURE_COLLECTION) sees every portfolio.
"""

from django.db.models import Count
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext_lazy as _

from collection import compliance
from collection.models import Portfolio


def portfolio_get(pk: int) -> Portfolio:
    return get_object_or_404(Portfolio, pk=pk)


def portfolio_rows() -> list[dict]:
    """Every portfolio (with its number of products), its limits in force and its profile's rules."""
    portfolios = Portfolio.objects.annotate(product_count=Count("products"))
    return [
        {
            "portfolio": portfolio,
            "limits": portfolio_limit_rows(portfolio),
            "rules": profile_rules(compliance.profile_for(portfolio)),
        }
        for portfolio in portfolios
    ]


def portfolio_limit_rows(portfolio: Portfolio) -> list[dict]:
    """The limits in force, each with the profile's value and whether the portfolio tightened it."""
    profile = compliance.PROFILES[portfolio.jurisdiction]
    effective = compliance.profile_for(portfolio)
    hours = "{}–{}"
    rows = [
        (
            _("Contact hours (local time)"),
            hours.format(effective.earliest_contact.strftime("%H:%M"), effective.latest_contact.strftime("%H:%M")),
            hours.format(profile.earliest_contact.strftime("%H:%M"), profile.latest_contact.strftime("%H:%M")),
        ),
        (
            _("Connected calls a day"),
            effective.max_connected_calls_per_day,
            profile.max_connected_calls_per_day,
        ),
        (
            _("Call attempts in 7 days"),
            effective.max_call_attempts_per_7_days,
            profile.max_call_attempts_per_7_days,
        ),
    ]
    none = "—"
    return [
        {
            "label": label,
            "value": none if value is None else value,
            "profile_value": none if profile_value is None else profile_value,
            "tightened": value != profile_value,
        }
        for label, value, profile_value in rows
    ]


def profile_rules(profile: compliance.ContactProfile) -> list[str]:
    """The profile's fixed rules, in words, for the list page."""
    rules = []
    if profile.quiet_days_after_conversation:
        rules.append(
            _("No call within %(days)d days after a telephone conversation.")
            % {"days": profile.quiet_days_after_conversation}
        )
    if profile.third_party_only_when_unreachable:
        rules.append(
            _(
                "Third parties only when the borrower is unreachable (no conversation in %(days)d days and "
                "%(attempts)d failed attempts)."
            )
            % {"days": profile.unreachable_days, "attempts": profile.unreachable_failed_attempts}
        )
    if profile.third_party_most_contacts:
        rules.append(_("Each third party reached at most once."))
    if profile.opt_out_channels:
        rules.append(_("An opt-out line in every SMS, e-mail and in-app message."))
    if profile.visits_must_be_recorded:
        rules.append(_("Every field visit recorded on audio or video."))
    if profile.limitation_years:
        rules.append(
            _("No threat of legal action once the debt is %(years)d years overdue (time-barred).")
            % {"years": profile.limitation_years}
        )
    return rules
