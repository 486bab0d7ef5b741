"""
Arrangement pages: the proposal form on a case (one form per kind, swapped by
htmx), the approval queue of requests over their proposer's limit, and the
approve / reject / cancel actions. Each view: capability → the case (or the
arrangement) through the visibility selector (404 for outsiders) → form → one
service call → message → redirect, or an htmx fragment.
"""

import django_tables2 as tables
from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import render_to_string
from django.urls import path, reverse
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_http_methods, require_POST
from django_htmx.http import trigger_client_event
from django_tables2 import LazyPaginator, RequestConfig

from accounts.permissions import Capability, capability_required
from accounts.templatetags.arrears import money
from collection.arrangement_forms import FORMS_BY_KIND, CancelForm, DecisionForm
from collection.errors import CollectionError
from collection.models import Arrangement, ArrangementKind, ArrangementStatus, Case, FieldVisit, VisitStatus
from collection.selectors import case_visible_get, cases_visible_to
from collection.services import arrangements as services
from collection.views.dialogs import CASE_CHANGED_EVENT, dialog_done

PROPOSED_ACTIVE = _("The arrangement is active.")
PROPOSED_PENDING = _("The arrangement waits for approval: its concession is over your limit.")
APPROVED = _("Approved: the arrangement is active.")
REJECTED = _("Rejected.")
CANCELLED = _("The arrangement was cancelled.")
DECISION_INVALID = _("Choose approve or reject.")
# The browser event the case page listens to, to refresh its timeline and status.
OPEN_STATUSES = (ArrangementStatus.PENDING_APPROVAL, ArrangementStatus.ACTIVE)


def arrangements_visible_to(user):
    return Arrangement.objects.filter(case__in=cases_visible_to(user))


def approvals_waiting_for(user):
    """The requests waiting for approval on the cases the user sees: a team lead's teams', a manager's all."""
    return (
        arrangements_visible_to(user)
        .filter(status=ArrangementStatus.PENDING_APPROVAL)
        .select_related("case", "case__borrower", "requested_by")
    )


# --- Proposing ---------------------------------------------------------------------------------


@capability_required(Capability.WORK_CASES)
@require_http_methods(["GET", "POST"])
def arrangement_propose(request, pk):
    case = case_visible_get(request.user, pk, Case.objects.select_related("borrower"))
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
        "open_arrangement": case.arrangements.filter(status__in=OPEN_STATUSES).first(),
    }
    # A kind chosen (or an error) inside the page: only the form is swapped.
    template = "collection/arrangements/_propose_form.html" if request.htmx else "collection/arrangements/propose.html"
    return render(request, template, context)


@capability_required(Capability.WORK_CASES)
@require_POST
def arrangement_cancel(request, pk):
    arrangement = get_object_or_404(arrangements_visible_to(request.user), pk=pk)
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


class ApprovalTable(tables.Table):
    requested_at = tables.DateTimeColumn(verbose_name=_("Requested"), format="SHORT_DATETIME_FORMAT")
    case = tables.Column(
        verbose_name=_("Case"),
        order_by=("case_id",),
        linkify=lambda record: reverse("collection:case_detail", args=[record.case_id]),
    )
    borrower = tables.Column(verbose_name=_("Borrower"), accessor="case__borrower__name", orderable=False)
    kind = tables.Column(verbose_name=_("Kind"))
    balance_at_start = tables.Column(verbose_name=_("Balance"), attrs={"td": {"class": "num"}, "th": {"class": "num"}})
    total_to_pay = tables.Column(verbose_name=_("To pay"), attrs={"td": {"class": "num"}, "th": {"class": "num"}})
    concession = tables.Column(verbose_name=_("Concession"), attrs={"td": {"class": "num"}, "th": {"class": "num"}})
    share = tables.Column(
        verbose_name=_("Share"),
        empty_values=(),
        orderable=False,
        attrs={"td": {"class": "num"}, "th": {"class": "num"}},
    )
    requested_by = tables.Column(verbose_name=_("Requested by"), default="—", orderable=False)
    notes = tables.Column(verbose_name=_("Notes"), default="", orderable=False)
    actions = tables.Column(verbose_name=_("Decision"), empty_values=(), orderable=False)

    class Meta:
        model = Arrangement
        fields = (
            "requested_at",
            "case",
            "borrower",
            "kind",
            "balance_at_start",
            "total_to_pay",
            "concession",
            "share",
            "requested_by",
            "notes",
            "actions",
        )
        attrs = {"class": "dense", "data-testid": "approvals"}
        row_attrs = {"id": lambda record: f"arrangement-{record.pk}"}
        order_by = ("requested_at",)
        empty_text = _("Nothing waits for your decision.")

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user

    def render_balance_at_start(self, value, record):
        return money(value, record.currency)

    def render_total_to_pay(self, value, record):
        return money(value, record.currency)

    def render_concession(self, value, record):
        return money(value, record.currency)

    def render_share(self, record):
        share = services.concession_share(record)
        return "—" if share is None else f"{share * 100:.1f} %"

    def render_notes(self, value):
        return value if len(value) <= 80 else value[:79] + "…"

    def render_actions(self, record):
        return render_to_string(
            "collection/arrangements/_decide_actions.html",
            {
                "arrangement": record,
                "within_limit": services.arrangement_within_limit(self.user, record),
                "own": record.requested_by_id == self.user.pk,
            },
            request=getattr(self, "request", None),
        )


@capability_required(Capability.APPROVE_ARRANGEMENTS)
@require_http_methods(["GET"])
def approval_queue(request):
    table = ApprovalTable(approvals_waiting_for(request.user), user=request.user)
    RequestConfig(request, paginate={"per_page": 50, "paginator_class": LazyPaginator}).configure(table)
    visit_requests = FieldVisit.objects.filter(
        status=VisitStatus.REQUESTED, case__in=cases_visible_to(request.user)
    ).count()
    return render(
        request,
        "collection/arrangements/approval_queue.html",
        {"table": table, "visit_requests": visit_requests, "limits": services.APPROVAL_LIMITS},
    )


@capability_required(Capability.APPROVE_ARRANGEMENTS)
@require_POST
def arrangement_decide(request, pk):
    arrangement = get_object_or_404(arrangements_visible_to(request.user).select_related("case"), pk=pk)
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
