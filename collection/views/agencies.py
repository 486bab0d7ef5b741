"""
The manager's agency pages (MANAGE_AGENCIES): the Agencies hub, the list of
agencies, an agency's page (contacts, contracts, evaluations, members, active
placements), its status, and its contracts with their commission tiers.
Views are thin: a form, one service call from collection/agencies/services.py,
a message, a redirect.
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import NoReverseMatch, path, reverse
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts.navigation import nav_group_items_for
from accounts.permissions import Capability, capability_required, user_can
from collection.agencies import selectors
from collection.agencies.performance import WEEKS, agencies_compare, batch_figures, batches_compare
from collection.agencies.services import (
    agencies_evaluation_due,
    agency_save,
    agency_status_set,
    contract_save,
    evaluation_record,
    member_link,
)
from collection.errors import CollectionError
from collection.forms.agencies import (
    AgencyForm,
    AgencyStatusForm,
    ContractForm,
    EvaluationForm,
    MemberLinkForm,
    TierFormSet,
    tier_initial,
)
from collection.models import Agency, AgencyContract, AgencyStatus, TierBasis
from documents.exports import csv_response
from lending.services import lender_today

MANAGE = Capability.MANAGE_AGENCIES

AGENCY_SAVED = _("Agency %(name)s saved.")
STATUS_SAVED = _("%(name)s is now %(status)s.")
STATUS_RECALL_NOTE = _("Its placed cases are recalled by tonight's run.")
CONTRACT_SAVED = _("Contract %(reference)s saved.")
EVALUATION_SAVED = _("Evaluation of %(date)s recorded.")
MEMBER_SAVED = _("%(user)s now works for %(name)s.")


def _url_or_none(name: str, *args, query: str = "") -> str | None:
    """A link to another part's page, or None while that part is not installed."""
    try:
        return reverse(name, args=args) + query
    except NoReverseMatch:
        return None


@login_required
def agencies_hub(request):
    items = nav_group_items_for(request.user, "agencies")
    if not items:
        raise PermissionDenied
    due = list(agencies_evaluation_due(lender_today())) if user_can(request.user, MANAGE) else []
    return render(request, "collection/agencies/agencies/hub.html", {"items": items, "evaluations_due": due})


@require_GET
@capability_required(MANAGE)
def agency_list(request):
    return render(request, "collection/agencies/agencies/list.html", {"rows": selectors.agency_rows(lender_today())})


def _agency_form_page(request, agency: Agency | None):
    form = AgencyForm(request.POST or None, instance=agency or Agency())
    if request.method == "POST" and form.is_valid():
        try:
            saved = agency_save(agency=form.save(commit=False), actor=request.user)
        except CollectionError as error:
            form.add_error(error.field if error.field in form.fields else None, str(error))
        else:
            messages.success(request, AGENCY_SAVED % {"name": saved.name})
            return redirect("collection:agency_detail", pk=saved.pk)
    return render(request, "collection/agencies/agencies/form.html", {"form": form, "agency": agency})


@require_http_methods(["GET", "POST"])
@capability_required(MANAGE)
def agency_new(request):
    return _agency_form_page(request, None)


@require_http_methods(["GET", "POST"])
@capability_required(MANAGE)
def agency_edit(request, pk):
    return _agency_form_page(request, get_object_or_404(Agency, pk=pk))


def _detail(request, agency: Agency, **forms):
    today = lender_today()
    context = {
        "agency": agency,
        **selectors.agency_page(agency, today),
        "status_form": forms.get("status_form") or AgencyStatusForm(initial={"status": _next_status(agency)}),
        "evaluation_form": forms.get("evaluation_form") or EvaluationForm(initial={"evaluated_on": today}),
        "member_form": forms.get("member_form") or MemberLinkForm(),
        "batches_url": _url_or_none("collection:placement_batch_list", query=f"?agency={agency.pk}"),
        "performance_url": _url_or_none("collection:agency_performance", query=f"?agency={agency.pk}"),
        "statements_url": _url_or_none("collection:statement_list", query=f"?agency={agency.pk}"),
        "today": today,
    }
    return render(request, "collection/agencies/agencies/detail.html", context)


def _next_status(agency: Agency) -> str:
    return AgencyStatus.SUSPENDED if agency.status == AgencyStatus.ACTIVE else AgencyStatus.ACTIVE


@require_GET
@capability_required(MANAGE)
def agency_detail(request, pk):
    return _detail(request, selectors.agency_get(pk))


@require_POST
@capability_required(MANAGE)
def agency_status(request, pk):
    agency = selectors.agency_get(pk)
    form = AgencyStatusForm(request.POST)
    if form.is_valid():
        try:
            saved = agency_status_set(
                agency=agency, status=form.cleaned_data["status"], note=form.cleaned_data["note"], actor=request.user
            )
        except CollectionError as error:
            form.add_error("status", str(error))
        else:
            text = STATUS_SAVED % {"name": saved.name, "status": saved.get_status_display()}
            if saved.status != AgencyStatus.ACTIVE and agency.active_placements:
                text = f"{text} {STATUS_RECALL_NOTE}"
            messages.success(request, text)
            return redirect("collection:agency_detail", pk=agency.pk)
    return _detail(request, agency, status_form=form)


@require_POST
@capability_required(MANAGE)
def agency_evaluation_new(request, pk):
    agency = selectors.agency_get(pk)
    form = EvaluationForm(request.POST)
    if form.is_valid():
        try:
            evaluation = evaluation_record(agency=agency, actor=request.user, **form.cleaned_data)
        except CollectionError as error:
            form.add_error(error.field if error.field in form.fields else None, str(error))
        else:
            messages.success(request, EVALUATION_SAVED % {"date": evaluation.evaluated_on})
            return redirect(reverse("collection:agency_detail", args=[agency.pk]) + "#evaluations")
    return _detail(request, agency, evaluation_form=form)


@require_POST
@capability_required(MANAGE)
def agency_member_link(request, pk):
    agency = selectors.agency_get(pk)
    form = MemberLinkForm(request.POST)
    if form.is_valid():
        user = form.cleaned_data["user"]
        try:
            member_link(user=user, agency=agency, is_supervisor=form.cleaned_data["is_supervisor"], actor=request.user)
        except CollectionError as error:
            form.add_error(error.field if error.field in form.fields else None, str(error))
        else:
            messages.success(request, MEMBER_SAVED % {"user": user, "name": agency.name})
            return redirect(reverse("collection:agency_detail", args=[agency.pk]) + "#members")
    return _detail(request, agency, member_form=form)


# --- Contracts ----------------------------------------------------------------------------------


def _contract_page(request, agency: Agency, contract: AgencyContract | None):
    instance = contract or AgencyContract(agency=agency, tier_basis=TierBasis.BUCKET)
    form = ContractForm(request.POST or None, instance=instance)
    tiers = TierFormSet(request.POST or None, initial=tier_initial(contract), prefix="tiers")
    tier_error = None
    if request.method == "POST" and form.is_valid() and tiers.is_valid():
        candidate = form.contract()
        try:
            saved = contract_save(
                contract=candidate,
                tiers=tiers.drafts(candidate.tier_basis),
                products=form.cleaned_data["products"],
                actor=request.user,
            )
        except CollectionError as error:
            if error.field in form.fields:
                form.add_error(error.field, str(error))
            else:
                tier_error = str(error)
        else:
            messages.success(request, CONTRACT_SAVED % {"reference": saved.reference})
            return redirect(reverse("collection:agency_detail", args=[agency.pk]) + "#contracts")
    return render(
        request,
        "collection/agencies/contracts/form.html",
        {"agency": agency, "contract": contract, "form": form, "tiers": tiers, "tier_error": tier_error},
    )


@require_http_methods(["GET", "POST"])
@capability_required(MANAGE)
def contract_new(request, pk):
    return _contract_page(request, get_object_or_404(Agency, pk=pk), None)


@require_http_methods(["GET", "POST"])
@capability_required(MANAGE)
def contract_edit(request, pk, contract_pk):
    agency = get_object_or_404(Agency, pk=pk)
    return _contract_page(request, agency, get_object_or_404(AgencyContract, pk=contract_pk, agency=agency))


# --- Performance --------------------------------------------------------------------------------


def _agency_chosen(request) -> Agency | None:
    value = request.GET.get("agency", "")
    return Agency.objects.filter(pk=int(value)).first() if value.isdigit() else None


@require_GET
@capability_required(MANAGE)
def agency_performance(request):
    today = lender_today()
    chosen = _agency_chosen(request)
    figures = batch_figures(today=today)
    return render(
        request,
        "collection/agencies/performance/performance.html",
        {
            "today": today,
            "weeks": WEEKS,
            "agency_rows": agencies_compare(today=today, figures=figures),
            "batch_rows": batches_compare(today=today, agency=chosen, figures=figures),
            "chosen": chosen,
            "agencies": Agency.objects.order_by("name", "id"),
            "batch_links": _url_or_none("collection:placement_batch_detail", 0) is not None,
        },
    )


def _figure_cells(figures) -> list:
    return [
        figures.cases,
        figures.active,
        figures.balance,
        figures.collected,
        figures.liquidation,
        *(rate for _weeks, rate in figures.liquidation_by_week),
        figures.contacts,
        figures.rpc_rate,
        figures.promises_due,
        figures.promise_kept_rate,
        figures.complaints,
        figures.refusals,
    ]


def _figure_header() -> list[str]:
    return [
        str(_("Cases placed")),
        str(_("Still placed")),
        str(_("Balance placed")),
        str(_("Collected")),
        str(_("Liquidation rate")),
        *(str(_("Liquidation at week %(weeks)s") % {"weeks": weeks}) for weeks in WEEKS),
        str(_("Contacts")),
        str(_("Right-party-contact rate")),
        str(_("Promises due")),
        str(_("Promise-kept rate")),
        str(_("Complaints")),
        str(_("Compliance refusals")),
    ]


@require_GET
@capability_required(MANAGE)
def agency_performance_csv(request, table):
    if table not in ("agencies", "batches"):
        raise Http404
    today = lender_today()
    if table == "agencies":
        header = [str(_("Agency")), str(_("Code")), str(_("Status")), str(_("Currency")), *_figure_header()]
        rows = [
            [row["agency"].name, row["agency"].code, row["agency"].get_status_display(), row["currency"]]
            + _figure_cells(row["figures"])
            for row in agencies_compare(today=today)
        ]
    else:
        chosen = _agency_chosen(request)
        header = [str(_("Batch")), str(_("Agency")), str(_("Placed on")), str(_("Currency")), *_figure_header()]
        rows = [
            [row["batch"].number, row["batch"].agency.name, row["batch"].placed_on.isoformat(), row["batch"].currency]
            + _figure_cells(row["figures"])
            for row in batches_compare(today=today, agency=chosen)
        ]
    return csv_response(rows, header=header, filename=f"agency-performance-{table}-{today.isoformat()}.csv")


urlpatterns = [
    path("agencies/", agencies_hub, name="agencies_hub"),
    path("agencies/all/", agency_list, name="agency_list"),
    path("agencies/all/new/", agency_new, name="agency_new"),
    path("agencies/all/<int:pk>/", agency_detail, name="agency_detail"),
    path("agencies/all/<int:pk>/edit/", agency_edit, name="agency_edit"),
    path("agencies/all/<int:pk>/status/", agency_status, name="agency_status"),
    path("agencies/all/<int:pk>/evaluations/", agency_evaluation_new, name="agency_evaluation_new"),
    path("agencies/all/<int:pk>/members/", agency_member_link, name="agency_member_link"),
    path("agencies/all/<int:pk>/contracts/new/", contract_new, name="contract_new"),
    path("agencies/all/<int:pk>/contracts/<int:contract_pk>/", contract_edit, name="contract_edit"),
    path("agencies/performance/", agency_performance, name="agency_performance"),
    path(
        "agencies/performance/<str:table>.csv",
        agency_performance_csv,
        name="agency_performance_csv",
    ),
]
