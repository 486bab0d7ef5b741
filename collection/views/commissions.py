"""
Commission statements' pages. A manager of agencies (MANAGE_AGENCIES) lists
every agency's statements, generates a month's statement for an agency, checks
its lines and approves it; an agency's supervisor reads their own agency's
approved statements (the same detail page, scoped: another agency's, or a
draft, is 404). The PDF and CSV downloads follow the same scope.
"""

from functools import wraps

from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from accounts.permissions import Capability, capability_required, user_can
from collection.agencies import statements as service
from collection.agencies.members import agency_member_of
from collection.errors import CollectionError
from collection.forms.commissions import StatementFilter, StatementGenerateForm, previous_month
from collection.models import StatementStatus
from documents.exports import csv_response
from lending.services.calendar import lender_today

STATEMENTS_PER_PAGE = 50
LINES_PER_PAGE = 100


def statement_reader_required(view):
    """Log in first; then a manager of agencies or an agency's supervisor, else 403."""

    @wraps(view)
    def wrapped(request, *args, **kwargs):
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        if not service.can_see_statements(request.user):
            raise PermissionDenied
        return view(request, *args, **kwargs)

    return wrapped


def _statement_for(request, pk: int):
    """The statement in the user's scope, or 404."""
    return get_object_or_404(service.statements_visible_to(request.user), pk=pk)


@capability_required(Capability.MANAGE_AGENCIES)
@require_GET
def statement_list(request):
    rows = service.statements_visible_to(request.user).order_by("-period_start", "agency__name", "id")
    statement_filter = StatementFilter(request.GET, queryset=rows)
    page = Paginator(statement_filter.qs, STATEMENTS_PER_PAGE).get_page(request.GET.get("page"))
    form = StatementGenerateForm(initial={"month": previous_month(lender_today())})
    return render(
        request,
        "collection/agencies/statements/statement_list.html",
        {"filter": statement_filter, "page": page, "form": form},
    )


@capability_required(Capability.MANAGE_AGENCIES)
@require_POST
def statement_generate(request):
    form = StatementGenerateForm(request.POST)
    if not form.is_valid():
        for errors in form.errors.values():
            for error in errors:
                messages.error(request, error)
        return redirect("collection:statement_list")
    try:
        statement = service.statement_generate(
            agency=form.cleaned_data["agency"], month=form.cleaned_data["month"], actor=request.user
        )
    except CollectionError as refused:
        messages.error(request, str(refused))
        return redirect("collection:statement_list")
    messages.success(
        request,
        _("Statement %(number)s is ready: %(lines)s lines. Check it, then approve it.")
        % {"number": statement.number, "lines": statement.line_count},
    )
    return redirect("collection:statement_detail", pk=statement.pk)


@statement_reader_required
@require_GET
def statement_detail(request, pk: int):
    statement = _statement_for(request, pk)
    page = Paginator(service.statement_lines(statement), LINES_PER_PAGE).get_page(request.GET.get("page"))
    manager = user_can(request.user, Capability.MANAGE_AGENCIES)
    draft = statement.status == StatementStatus.DRAFT
    return render(
        request,
        "collection/agencies/statements/statement_detail.html",
        {
            "statement": statement,
            "page": page,
            "lines": [service.line_display(line) for line in page.object_list],
            "cases_placed": service.statement_cases_placed(statement),
            "can_regenerate": manager and draft,
            "can_approve": manager and draft and statement.period_end < lender_today(),
            "month_not_over": manager and draft and statement.period_end >= lender_today(),
            "manager": manager,
        },
    )


@capability_required(Capability.MANAGE_AGENCIES)
@require_POST
def statement_approve(request, pk: int):
    statement = _statement_for(request, pk)
    try:
        statement = service.statement_approve(statement=statement, actor=request.user)
    except CollectionError as refused:
        messages.error(request, str(refused))
    else:
        messages.success(request, _("Statement %(number)s is approved.") % {"number": statement.number})
    return redirect("collection:statement_detail", pk=pk)


@statement_reader_required
@require_GET
def statement_pdf(request, pk: int):
    statement = _statement_for(request, pk)
    response = HttpResponse(service.statement_pdf(statement), content_type="application/pdf")
    response["Content-Disposition"] = content_disposition_header(
        as_attachment=True, filename=service.statement_filename(statement, "pdf")
    )
    return response


@statement_reader_required
@require_GET
def statement_csv(request, pk: int):
    statement = _statement_for(request, pk)
    header, rows = service.statement_csv_rows(statement)
    return csv_response(rows, header=header, filename=service.statement_filename(statement, "csv"))


@require_GET
def agency_statement_list(request):
    """An agency supervisor's list of their agency's approved statements."""
    if not request.user.is_authenticated:
        return redirect_to_login(request.get_full_path())
    member = agency_member_of(request.user)
    if member is None or not member.is_supervisor:
        raise PermissionDenied
    statements = service.statements_visible_to(request.user).order_by("-period_start", "id")
    page = Paginator(statements, STATEMENTS_PER_PAGE).get_page(request.GET.get("page"))
    return render(
        request, "collection/agencies/statements/agency_statement_list.html", {"page": page, "agency": member.agency}
    )


urlpatterns = [
    path("agencies/statements/", statement_list, name="statement_list"),
    path("agencies/statements/generate/", statement_generate, name="statement_generate"),
    path("agencies/statements/<int:pk>/", statement_detail, name="statement_detail"),
    path("agencies/statements/<int:pk>/approve/", statement_approve, name="statement_approve"),
    path("agencies/statements/<int:pk>/pdf/", statement_pdf, name="statement_pdf"),
    path("agencies/statements/<int:pk>/csv/", statement_csv, name="statement_csv"),
    path("agency/statements/", agency_statement_list, name="agency_statement_list"),
]
