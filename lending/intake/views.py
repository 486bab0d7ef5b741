"""
The intake's pages (upload, history, progress, error report) and the JSON
payments endpoint. Each view: permission, form or body, one service call.
"""

import json
from decimal import Decimal

from django.contrib import messages
from django.http import Http404, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext_lazy as _
from django.views.decorators.csrf import csrf_exempt
from django.views.generic import FormView, ListView
from django_tables2 import LazyPaginator, SingleTableMixin

from accounts.permissions import Capability, CapabilityRequiredMixin, capability_required
from documents.exports import csv_response
from lending.intake import selectors, services
from lending.intake.forms import ImportUploadForm
from lending.intake.tables import ImportBatchTable
from lending.models import ImportBatch

IMPORT_QUEUED = _("The file was received; it is being imported.")
API_METHOD_NOT_ALLOWED = _("Use POST.")
API_UNAUTHORIZED = _("Send a valid intake token: Authorization: Bearer <token>.")
API_NOT_JSON = _("The body is not valid JSON.")

FINISHED = {
    ImportBatch.Status.APPLIED,
    ImportBatch.Status.PARTLY_APPLIED,
    ImportBatch.Status.REJECTED,
    ImportBatch.Status.FAILED,
}


class ImportListView(CapabilityRequiredMixin, SingleTableMixin, ListView):
    capability = Capability.IMPORT_DATA
    template_name = "lending/imports/import_list.html"
    table_class = ImportBatchTable
    paginator_class = LazyPaginator
    table_pagination = {"per_page": 50}

    def get_queryset(self):
        return selectors.import_batches_visible_to(self.request.user)


class ImportCreateView(CapabilityRequiredMixin, FormView):
    capability = Capability.IMPORT_DATA
    template_name = "lending/imports/import_form.html"
    form_class = ImportUploadForm

    def form_valid(self, form):
        try:
            batch = services.import_batch_create(
                kind=form.cleaned_data["kind"],
                file=form.cleaned_data["file"],
                original_name=form.cleaned_data["file"].name,
                source=ImportBatch.Source.UPLOAD,
                quarantine_bad_rows=form.cleaned_data["quarantine_bad_rows"],
                actor=self.request.user,
            )
        except services.IntakeError as error:
            form.add_error("file", str(error))
            return self.form_invalid(form)
        messages.success(self.request, IMPORT_QUEUED)
        return redirect("lending:import_detail", pk=batch.pk)


@capability_required(Capability.IMPORT_DATA)
def import_detail(request, pk):
    """The batch's page; htmx polls the progress fragment every second until the batch is finished."""
    batch = get_object_or_404(selectors.import_batches_visible_to(request.user), pk=pk)
    context = {
        "batch": batch,
        "finished": batch.status in FINISHED,
        "applying": batch.status == ImportBatch.Status.RUNNING and batch.message == str(services.APPLYING),
    }
    if batch.status in FINISHED and batch.error_count:
        context["row_errors"] = list(selectors.import_row_errors(batch)[:20])
    if request.htmx:
        return render(request, "lending/imports/_progress.html", context)
    context["same_file_before"] = selectors.import_batch_same_file_before(batch)
    return render(request, "lending/imports/import_detail.html", context)


def _error_report_rows(batch):
    for error in selectors.import_row_errors(batch).iterator(chunk_size=2000):
        raw = json.dumps(error.raw, ensure_ascii=False) if error.raw else ""
        yield [error.row_number, error.column, error.value, error.reason, raw]


@capability_required(Capability.IMPORT_DATA)
def import_errors_download(request, pk):
    """The bad rows of a batch as CSV: row (header = 1), column, value, reason and the raw row."""
    batch = get_object_or_404(selectors.import_batches_visible_to(request.user), pk=pk)
    if not batch.error_count:
        raise Http404
    # Through the formula-safe writer: the values are the core system's, as received.
    return csv_response(
        _error_report_rows(batch),
        filename=f"import-{batch.pk}-errors.csv",
        header=["row", "column", "value", "reason", "raw"],
    )


# --- The JSON endpoint ---------------------------------------------------------------


def _json_error(status, detail, **extra):
    return JsonResponse({"detail": str(detail), **extra}, status=status)


def _bearer(request) -> str:
    header = request.headers.get("Authorization", "")
    scheme, _space, key = header.partition(" ")
    return key.strip() if scheme.lower() == "bearer" else ""


@csrf_exempt
def payments_api(request):
    """
    POST /api/intake/payments/: one payment object, or {"payments": [...]}.
    All or nothing; repeating a call changes nothing.
    """
    if request.method != "POST":
        response = _json_error(405, API_METHOD_NOT_ALLOWED)
        response["Allow"] = "POST"
        return response
    token = services.intake_token_authenticate(key=_bearer(request))
    if token is None:
        response = _json_error(401, API_UNAUTHORIZED)
        response["WWW-Authenticate"] = 'Bearer realm="intake"'
        return response
    try:
        body = json.loads(request.body, parse_float=Decimal)
    except (ValueError, UnicodeDecodeError):
        return _json_error(400, API_NOT_JSON)
    if isinstance(body, dict) and "payments" in body and len(body) == 1 and isinstance(body["payments"], list):
        items = body["payments"]
    elif isinstance(body, dict) and "payments" not in body:
        items = [body]
    else:
        return _json_error(400, services.API_BODY_INVALID)
    try:
        outcome = services.intake_payments_receive(items=items, token=token)
    except services.IntakeError as error:
        return _json_error(400, error)
    if outcome.errors:
        return JsonResponse(
            {
                "detail": str(_("Nothing was recorded: fix these payments and send the call again.")),
                "batch": outcome.batch.pk,
                "errors": [
                    {"index": error.index, "field": error.field, "value": error.value, "reason": error.reason}
                    for error in outcome.errors
                ],
            },
            status=409 if outcome.errors[0].index < 0 else 400,
        )
    return JsonResponse(
        {
            "batch": outcome.batch.pk,
            "created": outcome.counts.created,
            "unchanged": outcome.counts.unchanged,
            "results": outcome.results,
        }
    )
