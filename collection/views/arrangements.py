"""
Arrangement pages: the proposal form on a case (one form per kind, swapped by
htmx), the approval queue of requests over their proposer's limit, and the
approve / reject / cancel actions. Each view: capability → the case (or the
arrangement) through the visibility selector (404 for outsiders) → form → one
service call → message → redirect, or an htmx fragment.
"""

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import path
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_http_methods, require_POST
from django_htmx.http import trigger_client_event
from django_tables2 import LazyPaginator, RequestConfig

from accounts.permissions import Capability, capability_required
from collection.errors import CollectionError
from collection.forms import FORMS_BY_KIND, CancelForm, DecisionForm
from collection.models import ArrangementKind, ArrangementStatus
from collection.selectors.approvals import approvals_waiting_for, arrangement_open_for, arrangement_visible_get
from collection.selectors.cases import case_with_borrower_get
from collection.selectors.visits import visit_requests_count
from collection.services import arrangement_rules as rules
from collection.services import arrangements as services
from collection.tables import ApprovalTable
from collection.views.access import arrangement_required, case_required
from collection.views.dialogs import CASE_CHANGED_EVENT, dialog_done

PROPOSED_ACTIVE = _("The arrangement is active.")
PROPOSED_PENDING = _("The arrangement waits for approval: its concession is over your limit.")
APPROVED = _("Approved: the arrangement is active.")
REJECTED = _("Rejected.")
CANCELLED = _("The arrangement was cancelled.")
DECISION_INVALID = _("Choose approve or reject.")


# --- Proposing ---------------------------------------------------------------------------------


@case_required(Capability.WORK_CASES)
@require_http_methods(["GET", "POST"])
def arrangement_propose(request, pk):
    case = case_with_borrower_get(request.user, pk)
    kind = request.POST.get("kind") or request.GET.get("kind") or ArrangementKind.REPAYMENT_PLAN
    if kind not in FORMS_BY_KIND:
        kind = ArrangementKind.REPAYMENT_PLAN
    balance = services.case_balance(case)
    form_class = FORMS_BY_KIND[kind]
    if request.method == "POST":
        form = form_class(request.POST, balance=balance)
        if form.is_valid():
            try:
                arrangement = services.arrangement_propose(
                    case=case,
                    kind=kind,
                    actor=request.user,
                    notes=form.cleaned_data["notes"],
                    **form.service_kwargs(),
                )
            except CollectionError as error:
                form.add_error(form.field_for_error(error.field), str(error))
            else:
                active = arrangement.status == ArrangementStatus.ACTIVE
                message = PROPOSED_ACTIVE if active else PROPOSED_PENDING
                return dialog_done(
                    request, case, message,
                    template="collection/arrangements/_proposed.html", context={"arrangement": arrangement},
                )  # fmt: skip
    else:
        form = form_class(balance=balance)
    context = {
        "case": case,
        "balance": balance,
        "form": form,
        "kind": kind,
        "kinds": ArrangementKind.choices,
        "open_arrangement": arrangement_open_for(case),
    }
    # A kind chosen (or an error) inside the page: only the form is swapped.
    template = "collection/arrangements/_propose_form.html" if request.htmx else "collection/arrangements/propose.html"
    return render(request, template, context)


@arrangement_required(Capability.WORK_CASES)
@require_POST
def arrangement_cancel(request, pk):
    arrangement = arrangement_visible_get(request.user, pk)
    form = CancelForm(request.POST)
    note = form.cleaned_data["note"] if form.is_valid() else ""
    try:
        services.arrangement_cancel(arrangement=arrangement, actor=request.user, note=note)
    except CollectionError as error:
        messages.error(request, str(error))
    else:
        messages.success(request, CANCELLED)
    if request.htmx:
        response = HttpResponse(status=204)
        return trigger_client_event(response, CASE_CHANGED_EVENT)
    return redirect("collection:case_detail", pk=arrangement.case_id)


# --- The approval queue ------------------------------------------------------------------------


@capability_required(Capability.APPROVE_ARRANGEMENTS)
@require_http_methods(["GET"])
def approval_queue(request):
    table = ApprovalTable(approvals_waiting_for(request.user), user=request.user)
    RequestConfig(request, paginate={"per_page": 50, "paginator_class": LazyPaginator}).configure(table)
    context = {"table": table, "visit_requests": visit_requests_count(request.user), "limits": rules.APPROVAL_LIMITS}
    return render(request, "collection/arrangements/approval_queue.html", context)


@arrangement_required(Capability.APPROVE_ARRANGEMENTS)
@require_POST
def arrangement_decide(request, pk):
    arrangement = arrangement_visible_get(request.user, pk)
    form = DecisionForm(request.POST)
    error = message = None
    if not form.is_valid():
        error = DECISION_INVALID
    else:
        approve = form.cleaned_data["decision"] == "approve"
        try:
            services.arrangement_decide(
                arrangement=arrangement, approve=approve, actor=request.user, note=form.cleaned_data["note"]
            )
        except CollectionError as refused:
            error = str(refused)
        else:
            message = APPROVED if approve else REJECTED
    if request.htmx:
        return render(
            request,
            "collection/arrangements/_decided_row.html",
            {
                "arrangement": arrangement,
                "message": message,
                "error": error,
                "columns": len(ApprovalTable.base_columns),
                # For the buttons a refused row keeps.
                "within_limit": services.arrangement_within_limit(request.user, arrangement),
                "own": arrangement.requested_by_id == request.user.pk,
            },
        )
    if error:
        messages.error(request, error)
    else:
        messages.success(request, message)
    return redirect("collection:approval_queue")


urlpatterns = [
    path("cases/<int:pk>/arrangements/new/", arrangement_propose, name="arrangement_propose"),
    path("arrangements/approvals/", approval_queue, name="approval_queue"),
    path("arrangements/<int:pk>/decide/", arrangement_decide, name="arrangement_decide"),
    path("arrangements/<int:pk>/cancel/", arrangement_cancel, name="arrangement_cancel"),
]
