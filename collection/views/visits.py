"""
Field visit pages: the request form on a case, the team lead's list of
requests to schedule (field agent and day) or reject, the field agent's day
(visits grouped by district) and the visit report with its photos and
recordings. A field agent reaches only the visits assigned to them: another
agent's visit is a 404.
"""

import datetime

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.utils.formats import date_format
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_http_methods, require_POST
from django_tables2 import LazyPaginator, RequestConfig

from accounts.permissions import Capability, capability_required
from collection.agencies.portal import contact_field_shown
from collection.errors import CollectionError
from collection.forms import VisitDayForm, VisitRejectForm, VisitReportForm, VisitRequestForm, VisitScheduleForm
from collection.models import AgencyField, VisitStatus
from collection.selectors.cases import case_with_borrower_get
from collection.selectors.visits import (
    agent_day_visits,
    agent_visit_get,
    field_agents,
    visit_attachments,
    visit_open_for,
    visit_visible_get,
    visits_to_decide,
)
from collection.services import visits as services
from collection.tables import VisitRequestTable
from collection.views.access import case_required, visit_required
from collection.views.dialogs import dialog_done
from lending.masking import borrower_name_for

REQUESTED = _("The visit was requested; a team lead will schedule it.")
# An agency agent's visit goes straight onto their own list (collection/services/visits.py).
ON_YOUR_LIST = _("The visit is on your visit list for %(day)s; file its report there once you have been.")
SCHEDULED = _("The visit was scheduled.")
REJECTED = _("The visit was rejected.")
REPORTED = _("The visit report was filed.")
LIST_STATUSES = {"requested": VisitStatus.REQUESTED, "scheduled": VisitStatus.SCHEDULED}


# --- The request -----------------------------------------------------------------------------


@case_required(Capability.WORK_CASES)
@require_http_methods(["GET", "POST"])
def visit_request(request, pk):
    case = case_with_borrower_get(request.user, pk)
    # An agency whose contract withholds the borrower's addresses requests no visit (they would be listed).
    if not contact_field_shown(request.user, case, AgencyField.ADDRESS):
        raise PermissionDenied
    borrower = case.borrower
    if request.method == "POST":
        form = VisitRequestForm(request.POST, borrower=borrower)
        if form.is_valid():
            try:
                visit = services.visit_request(case=case, actor=request.user, **form.service_kwargs())
            except CollectionError as error:
                field = {"contact_point": "address_choice"}.get(error.field, error.field)
                form.add_error(field if field in form.fields else None, str(error))
            else:
                message = REQUESTED
                if visit.status == VisitStatus.SCHEDULED:
                    message = ON_YOUR_LIST % {"day": date_format(visit.scheduled_on, "SHORT_DATE_FORMAT")}
                return dialog_done(
                    request, case, message, template="collection/visits/_requested.html", context={"visit": visit}
                )
    else:
        form = VisitRequestForm(borrower=borrower)
    context = {
        "case": case,
        "form": form,
        "open_visit": visit_open_for(case),
    }
    template = "collection/visits/_request_form.html" if request.htmx else "collection/visits/request.html"
    return render(request, template, context)


# --- The team lead's list ----------------------------------------------------------------------


@capability_required(Capability.APPROVE_ARRANGEMENTS)
@require_http_methods(["GET"])
def visit_requests(request):
    status_key = request.GET.get("status", "requested")
    status = LIST_STATUSES.get(status_key, VisitStatus.REQUESTED)
    today = services.lender_today()
    table = VisitRequestTable(visits_to_decide(request.user, status), agents=list(field_agents()), today=today)
    RequestConfig(request, paginate={"per_page": 50, "paginator_class": LazyPaginator}).configure(table)
    return render(
        request,
        "collection/visits/requests.html",
        {"table": table, "status": status, "statuses": LIST_STATUSES},
    )


def _decision_response(request, visit, *, message=None, error=None):
    if request.htmx:
        return render(
            request,
            "collection/visits/_decided_row.html",
            {"visit": visit, "message": message, "error": error, "columns": len(VisitRequestTable.base_columns)},
        )
    if error:
        messages.error(request, error)
    else:
        messages.success(request, message)
    return redirect("collection:visit_requests")


def _form_error(form) -> str:
    return " ".join(str(error) for errors in form.errors.values() for error in errors)


@visit_required(Capability.APPROVE_ARRANGEMENTS)
@require_POST
def visit_schedule(request, pk):
    visit = visit_visible_get(request.user, pk)
    form = VisitScheduleForm(request.POST)
    if not form.is_valid():
        return _decision_response(request, visit, error=_form_error(form))
    try:
        services.visit_schedule(
            visit=visit,
            agent=form.cleaned_data["agent"],
            scheduled_on=form.cleaned_data["scheduled_on"],
            actor=request.user,
        )
    except CollectionError as error:
        return _decision_response(request, visit, error=str(error))
    return _decision_response(request, visit, message=SCHEDULED)


@visit_required(Capability.APPROVE_ARRANGEMENTS)
@require_POST
def visit_reject(request, pk):
    visit = visit_visible_get(request.user, pk)
    form = VisitRejectForm(request.POST)
    if not form.is_valid():
        return _decision_response(request, visit, error=_form_error(form))
    try:
        services.visit_reject(visit=visit, actor=request.user, note=form.cleaned_data["note"])
    except CollectionError as error:
        return _decision_response(request, visit, error=str(error))
    return _decision_response(request, visit, message=REJECTED)


# --- The field agent's day and the report ---------------------------------------------------------


@capability_required(Capability.VISIT_BORROWERS)
@require_http_methods(["GET"])
def visit_day(request):
    form = VisitDayForm(request.GET or None)
    day = (form.cleaned_data.get("day") if form.is_valid() else None) or services.lender_today()
    visits = agent_day_visits(request.user, day)
    return render(
        request,
        "collection/visits/day.html",
        {
            "form": form,
            "day": day,
            "visits": visits,
            "previous_day": day - datetime.timedelta(days=1),
            "next_day": day + datetime.timedelta(days=1),
            "today": services.lender_today(),
            "to_report": sum(1 for visit in visits if visit.status == VisitStatus.SCHEDULED),
        },
    )


@visit_required(Capability.VISIT_BORROWERS)
@require_http_methods(["GET", "POST"])
def visit_report(request, pk):
    visit = agent_visit_get(request.user, pk)
    form = None
    if visit.status == VisitStatus.SCHEDULED:
        if request.method == "POST":
            form = VisitReportForm(request.POST, request.FILES)
            if form.is_valid():
                data = form.cleaned_data
                try:
                    services.visit_report(
                        visit=visit,
                        visited_at=data["visited_at"],
                        met=data["met"],
                        outcome=data["outcome"],
                        was_recorded=data["was_recorded"],
                        notes=data["notes"],
                        actor=request.user,
                        attachments=data["attachments"],
                        promise_amount=data["promise_amount"],
                        promise_due_on=data["promise_due_on"],
                    )
                except CollectionError as error:
                    form.add_error(error.field if error.field in form.fields else None, str(error))
                else:
                    messages.success(request, REPORTED)
                    return redirect(f"{reverse('collection:visit_day')}?day={visit.scheduled_on.isoformat()}")
        else:
            form = VisitReportForm()
    elif request.method == "POST":
        messages.error(request, services.VISIT_NOT_SCHEDULED)
        return redirect("collection:visit_report", pk=visit.pk)
    return render(
        request,
        "collection/visits/report.html",
        {
            "visit": visit,
            "case": visit.case,
            "borrower_name": borrower_name_for(request.user, visit.case.borrower.name),
            "form": form,
            "attachments": visit_attachments(visit),
            "recording_required": services.recording_required(visit.case),
        },
    )


urlpatterns = [
    path("cases/<int:pk>/visits/new/", visit_request, name="visit_request"),
    path("visits/", visit_day, name="visit_day"),
    path("visits/requests/", visit_requests, name="visit_requests"),
    path("visits/<int:pk>/schedule/", visit_schedule, name="visit_schedule"),
    path("visits/<int:pk>/reject/", visit_reject, name="visit_reject"),
    path("visits/<int:pk>/report/", visit_report, name="visit_report"),
]
