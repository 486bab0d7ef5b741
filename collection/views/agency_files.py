"""
The file exchange's pages: the agency files page (placement batches with
their files, the return-file upload, the uploads and their errors, the
claimed payments and whether they matched), the placement file's download,
and a return file's own page (preview, progress, error report).

Who: a manager (MANAGE_AGENCIES) sees every agency's; an agency's supervisor
their own agency's — another agency's batch or upload is a 404, whatever its
id; a plain agency agent and the lender's other staff get 403. Only a
supervisor uploads, applies or cancels a return file: it is the agency's word.
"""

import json
from functools import wraps

from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_GET, require_POST

from accounts.permissions import Capability, user_can
from collection.agencies.exchange import (
    FORMATS,
    batches_for_exchange,
    batches_with_active_counts,
    placement_file_response,
)
from collection.agencies.exchange_claims import claims_for
from collection.agencies.exchange_returns import agency_return_batches
from collection.agencies.members import agency_member_of, is_agency_supervisor
from collection.forms.agency_files import ReturnFileForm
from documents.exports import csv_response
from lending.intake import selectors as intake_selectors
from lending.intake import services as intake
from lending.intake.preview import import_batch_preview
from lending.models import ImportBatch

RETURN_FILE_RECEIVED = _("The return file was received. Check its first rows, then apply it or cancel.")
RETURN_FILE_QUEUED = _("The return file is being imported.")
RETURN_FILE_CANCELLED = _("The return file was cancelled; nothing was applied.")
LIST_ROWS = 50
FINISHED = {
    ImportBatch.Status.APPLIED,
    ImportBatch.Status.PARTLY_APPLIED,
    ImportBatch.Status.REJECTED,
    ImportBatch.Status.FAILED,
    ImportBatch.Status.CANCELLED,
}


def exchange_agency_scope(user) -> int | None:
    """The agency a user's exchange is limited to: None for a manager (every agency); PermissionDenied if none."""
    if user_can(user, Capability.MANAGE_AGENCIES):
        return None
    if is_agency_supervisor(user):
        return agency_member_of(user).agency_id
    raise PermissionDenied


def exchange_access(view):
    """Log in first, then the exchange's scope (exchange_agency_scope), handed to the view as `agency_id`."""

    @wraps(view)
    def wrapped(request, *args, **kwargs):
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        return view(request, *args, agency_id=exchange_agency_scope(request.user), **kwargs)

    return wrapped


def _supervisor_only(agency_id):
    if agency_id is None:  # a manager: the agency's file is the agency's to send
        raise PermissionDenied


def _list_page(request, agency_id, form=None, status=200):
    member = agency_member_of(request.user) if agency_id is not None else None
    context = {
        "agency": member.agency if member else None,
        "batches": list(batches_with_active_counts(agency_id)[:LIST_ROWS]),
        "uploads": list(
            agency_return_batches(agency_id).select_related("created_by__agency_membership__agency")[:LIST_ROWS]
        ),
        "claims": list(claims_for(agency_id)[:LIST_ROWS]),
        "form": form if form is not None else (ReturnFileForm() if agency_id is not None else None),
        "formats": FORMATS,
    }
    return render(request, "collection/agencies/files/list.html", context, status=status)


@require_GET
@exchange_access
def agency_file_list(request, *, agency_id):
    return _list_page(request, agency_id)


@require_POST
@exchange_access
def agency_return_upload(request, *, agency_id):
    """Store an uploaded return file as a batch waiting for its sender to look at the preview."""
    _supervisor_only(agency_id)
    form = ReturnFileForm(request.POST, request.FILES)
    if form.is_valid():
        upload = form.cleaned_data["file"]
        try:
            batch = intake.import_batch_create(
                kind=ImportBatch.Kind.AGENCY_RETURNS,
                file=upload,
                original_name=upload.name,
                source=ImportBatch.Source.UPLOAD,
                encoding=form.cleaned_data["encoding"],
                quarantine_bad_rows=form.cleaned_data["quarantine_bad_rows"],
                actor=request.user,
                confirm_first=True,
            )
        except intake.IntakeError as error:
            form.add_error("file", str(error))
        else:
            messages.success(request, RETURN_FILE_RECEIVED)
            return redirect("collection:agency_return_detail", pk=batch.pk)
    return _list_page(request, agency_id, form=form, status=400)


@require_GET
@exchange_access
def agency_return_detail(request, pk, *, agency_id):
    """A return file's page: its preview (Apply / Cancel), then its progress (polled), its errors and claims."""
    batch = get_object_or_404(agency_return_batches(agency_id), pk=pk)
    context = {
        "batch": batch,
        "finished": batch.status in FINISHED,
        "applying": batch.status == ImportBatch.Status.RUNNING and batch.message == str(intake.APPLYING),
        "may_decide": agency_id is not None,
    }
    if batch.status in FINISHED and batch.error_count:
        context["row_errors"] = list(intake_selectors.import_row_errors(batch)[:20])
    if batch.status in FINISHED:
        context["claims"] = list(claims_for(agency_id).filter(import_batch=batch)[:LIST_ROWS])
    if batch.status == ImportBatch.Status.PREVIEW:
        context["preview"] = import_batch_preview(batch)
    if request.htmx:
        return render(request, "collection/agencies/files/_return_progress.html", context)
    return render(request, "collection/agencies/files/return_detail.html", context)


def _decided(request, pk, agency_id, decide, done):
    _supervisor_only(agency_id)
    batch = get_object_or_404(agency_return_batches(agency_id), pk=pk)
    try:
        decide(batch=batch, actor=request.user)
    except intake.IntakeError as error:
        messages.error(request, str(error))
    else:
        messages.success(request, done)
    return redirect("collection:agency_return_detail", pk=batch.pk)


@require_POST
@exchange_access
def agency_return_confirm(request, pk, *, agency_id):
    return _decided(request, pk, agency_id, intake.import_batch_confirm, RETURN_FILE_QUEUED)


@require_POST
@exchange_access
def agency_return_cancel(request, pk, *, agency_id):
    return _decided(request, pk, agency_id, intake.import_batch_cancel, RETURN_FILE_CANCELLED)


def _error_report_rows(batch):
    for error in intake_selectors.import_row_errors(batch).iterator(chunk_size=2000):
        raw = json.dumps(error.raw, ensure_ascii=False) if error.raw else ""
        yield [error.row_number, error.column, error.value, error.reason, raw]


@require_GET
@exchange_access
def agency_return_errors(request, pk, *, agency_id):
    """The bad rows of a return file as CSV: row (header = 1), column, value, reason and the raw row."""
    batch = get_object_or_404(agency_return_batches(agency_id), pk=pk)
    if not batch.error_count:
        raise Http404
    return csv_response(
        _error_report_rows(batch),
        filename=f"return-file-{batch.pk}-errors.csv",
        header=["row", "column", "value", "reason", "raw"],
    )


@require_GET
@exchange_access
def placement_file(request, pk, *, agency_id):
    """The placement file of one batch, `?format=csv` (the default) or `xlsx`; audited."""
    batch = get_object_or_404(batches_for_exchange(agency_id), pk=pk)
    fmt = request.GET.get("format", "csv")
    if fmt not in FORMATS:
        raise Http404
    return placement_file_response(batch, fmt, actor=request.user)


urlpatterns = [
    path("agency/files/", agency_file_list, name="agency_file_list"),
    path("agency/files/returns/", agency_return_upload, name="agency_return_upload"),
    path("agency/files/returns/<int:pk>/", agency_return_detail, name="agency_return_detail"),
    path("agency/files/returns/<int:pk>/apply/", agency_return_confirm, name="agency_return_confirm"),
    path("agency/files/returns/<int:pk>/cancel/", agency_return_cancel, name="agency_return_cancel"),
    path("agency/files/returns/<int:pk>/errors.csv", agency_return_errors, name="agency_return_errors"),
    path("agency/files/batches/<int:pk>/placement-file/", placement_file, name="placement_file"),
]
