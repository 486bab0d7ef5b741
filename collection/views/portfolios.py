"""
A manager's page of portfolios: each one's jurisdiction and the contact
limits in force (the profile's, made stricter by the portfolio's own), and a
form to tighten them. Looser values are refused with the reason.
"""

from django.contrib import messages
from django.shortcuts import redirect, render
from django.urls import path
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_GET, require_http_methods

from accounts.permissions import Capability, capability_required
from collection.errors import CollectionError
from collection.forms import PortfolioLimitsForm
from collection.selectors.portfolios import portfolio_get, portfolio_limit_rows, portfolio_rows
from collection.services.portfolios import LIMIT_FIELDS, portfolio_limits_set

LIMITS_SAVED = _("The contact limits of %(portfolio)s were saved.")
LIMITS_UNCHANGED = _("Nothing changed.")


@require_GET
@capability_required(Capability.CONFIGURE_COLLECTION)
def portfolio_list(request):
    return render(request, "collection/portfolios/portfolio_list.html", {"rows": portfolio_rows()})


@require_http_methods(["GET", "POST"])
@capability_required(Capability.CONFIGURE_COLLECTION)
def portfolio_limits_edit(request, pk):
    portfolio = portfolio_get(pk)
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
        {"portfolio": portfolio, "form": form, "limits": portfolio_limit_rows(portfolio)},
    )


urlpatterns = [
    path("portfolios/", portfolio_list, name="portfolio_list"),
    path("portfolios/<int:pk>/limits/", portfolio_limits_edit, name="portfolio_limits_edit"),
]
