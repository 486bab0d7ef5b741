"""
A manager's page of portfolios: each one's jurisdiction and the contact
limits in force (the profile's, made stricter by the portfolio's own), and a
form to tighten them. Looser values are refused with the reason.
"""

from django.contrib import messages
from django.db.models import Count
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_GET, require_http_methods

from accounts.permissions import Capability, capability_required
from collection import compliance
from collection.errors import CollectionError
from collection.forms import PortfolioLimitsForm
from collection.models import Portfolio
from collection.services.portfolios import LIMIT_FIELDS, portfolio_limits_set

LIMITS_SAVED = _("The contact limits of %(portfolio)s were saved.")
LIMITS_UNCHANGED = _("Nothing changed.")


def _limit_rows(portfolio: Portfolio) -> list[dict]:
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


def _rules(profile: compliance.ContactProfile) -> list[str]:
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


@require_GET
@capability_required(Capability.CONFIGURE_COLLECTION)
def portfolio_list(request):
    portfolios = Portfolio.objects.annotate(product_count=Count("products"))
    rows = [
        {
            "portfolio": portfolio,
            "limits": _limit_rows(portfolio),
            "rules": _rules(compliance.profile_for(portfolio)),
        }
        for portfolio in portfolios
    ]
    return render(request, "collection/portfolios/portfolio_list.html", {"rows": rows})


@require_http_methods(["GET", "POST"])
@capability_required(Capability.CONFIGURE_COLLECTION)
def portfolio_limits_edit(request, pk):
    portfolio = get_object_or_404(Portfolio, pk=pk)
    initial = {field: getattr(portfolio, field) for field in LIMIT_FIELDS}
    form = PortfolioLimitsForm(request.POST or None, initial=initial, portfolio=portfolio)
    if request.method == "POST" and form.is_valid():
        try:
            portfolio_limits_set(
                portfolio=portfolio, **{field: form.cleaned_data[field] for field in LIMIT_FIELDS}, actor=request.user
            )
        except CollectionError as error:
            form.add_error(error.field or None, str(error))
        else:
            if form.has_changed():
                messages.success(request, LIMITS_SAVED % {"portfolio": portfolio.name})
            else:
                messages.info(request, LIMITS_UNCHANGED)
            return redirect("collection:portfolio_list")
    return render(
        request,
        "collection/portfolios/portfolio_form.html",
        {"portfolio": portfolio, "form": form, "limits": _limit_rows(portfolio)},
    )


urlpatterns = [
    path("portfolios/", portfolio_list, name="portfolio_list"),
    path("portfolios/<int:pk>/limits/", portfolio_limits_edit, name="portfolio_limits_edit"),
]
