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
from django.views.decorators.http import require_POST
from django.views.generic import FormView, ListView
from django_tables2 import LazyPaginator, SingleTableMixin

from accounts.permissions import Capability, CapabilityRequiredMixin, capability_required
from documents.exports import csv_response
from lending.intake import selectors, services
from lending.intake.forms import ImportUploadForm
from lending.intake.preview import import_batch_preview
from lending.intake.reader import FileRejected, text_decode
from lending.intake.tables import ImportBatchTable
from lending.models import ImportBatch

IMPORT_QUEUED = _("The file is being imported.")
IMPORT_PREVIEW = _("The file was received. Check its first rows, then apply it or cancel.")
IMPORT_CANCELLED = _("The import was cancelled; nothing was applied.")
API_METHOD_NOT_ALLOWED = _("Use POST.")
API_UNAUTHORIZED = _("Send a valid intake token: Authorization: Bearer <token>.")
API_NOT_JSON = _("The body is not valid JSON.")
API_NOT_JSON_CONSTANT = _("The body is not valid JSON: {constant} is not a number.")
API_CHARSET_UNKNOWN = _("Unknown charset {charset}: send Content-Type: application/json; charset=utf-8 (or gb18030).")

# The charset parameter of Content-Type names the body's encoding; UTF-8 when there is none (RFC 8259).
API_CHARSETS = {
    "utf-8": ImportBatch.Encoding.UTF8,
    "utf8": ImportBatch.Encoding.UTF8,
    "gb18030": ImportBatch.Encoding.GB18030,
    "gbk": ImportBatch.Encoding.GB18030,
    "gb2312": ImportBatch.Encoding.GB18030,
}

FINISHED = {
    ImportBatch.Status.APPLIED,
    ImportBatch.Status.PARTLY_APPLIED,
    ImportBatch.Status.REJECTED,
    ImportBatch.Status.FAILED,
    ImportBatch.Status.CANCELLED,
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
                encoding=form.cleaned_data["encoding"],
                quarantine_bad_rows=form.cleaned_data["quarantine_bad_rows"],
                actor=self.request.user,
                confirm_first=True,
            )
        except services.IntakeError as error:
            form.add_error("file", str(error))
            return self.form_invalid(form)
        messages.success(self.request, IMPORT_PREVIEW)
        return redirect("lending:import_detail", pk=batch.pk)


def _preview_decided(request, pk, decide, done):
    """Apply or Cancel on a batch's preview: one service call, its refusal or success as a message."""
    batch = get_object_or_404(selectors.import_batches_visible_to(request.user), pk=pk)
    try:
        decide(batch=batch, actor=request.user)
    except services.IntakeError as error:
        messages.error(request, str(error))
    else:
        messages.success(request, done)
    return redirect("lending:import_detail", pk=batch.pk)


@require_POST
@capability_required(Capability.IMPORT_DATA)
def import_confirm(request, pk):
    """Apply: the sender saw the preview; a worker imports the file."""
    return _preview_decided(request, pk, services.import_batch_confirm, IMPORT_QUEUED)


@require_POST
@capability_required(Capability.IMPORT_DATA)
def import_cancel(request, pk):
    """Cancel: the preview showed the wrong file or garbled text; nothing is applied, the file is deleted."""
    return _preview_decided(request, pk, services.import_batch_cancel, IMPORT_CANCELLED)


@capability_required(Capability.IMPORT_DATA)
def import_detail(request, pk):
    """
    The batch's page: an upload waiting for confirmation shows its first rows
    as decoded, with Apply and Cancel; then htmx polls the progress fragment
    every second until the batch is finished.
    """
    batch = get_object_or_404(selectors.import_batches_visible_to(request.user), pk=pk)
    context = {
        "batch": batch,
        "finished": batch.status in FINISHED,
        "applying": batch.status == ImportBatch.Status.RUNNING and batch.message == str(services.APPLYING),
    }
    if batch.status in FINISHED and batch.error_count:
        context["row_errors"] = list(selectors.import_row_errors(batch)[:20])
    if batch.status == ImportBatch.Status.PREVIEW:
        context["preview"] = import_batch_preview(batch)
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


class _NotANumber(ValueError):
    pass


def _refuse_constant(name):
    """NaN, Infinity and -Infinity are not JSON (Python's json accepts them)."""
    raise _NotANumber(name)


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
    charset = request.content_params.get("charset", "utf-8").strip().lower()
    encoding = API_CHARSETS.get(charset)
    if encoding is None:
        return _json_error(415, str(API_CHARSET_UNKNOWN).format(charset=charset[:40]))
    try:
        text = text_decode(request.body, encoding)
    except FileRejected as rejection:
        return _json_error(400, rejection.reason)
    try:
        # Numbers arrive as Decimal with the digits as written (1e3 stays 1E+3, which the schema refuses).
        body = json.loads(text, parse_float=Decimal, parse_constant=_refuse_constant)
    except _NotANumber as error:
        return _json_error(400, str(API_NOT_JSON_CONSTANT).format(constant=error))
    except ValueError:
        return _json_error(400, API_NOT_JSON)
    if isinstance(body, dict) and "payments" in body and len(body) == 1 and isinstance(body["payments"], list):
        items = body["payments"]
    elif isinstance(body, dict) and "payments" not in body:
        items = [body]
    else:
        return _json_error(400, services.API_BODY_INVALID)
    try:
        outcome = services.intake_payments_receive(items=items, token=token, encoding=encoding)
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
