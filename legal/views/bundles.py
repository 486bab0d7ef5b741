"""
The court bundles of a litigation file: build one (on Celery), watch its
progress, download it. The file page includes the panel
(templates/legal/bundles/_panel.html), which loads and polls `bundle_panel`.

Who: the file's case must be visible to the user (else 404), and the user
must work litigation files (else 403) — the bundle carries the borrower's
whole national id, for the court.
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404
from django.shortcuts import redirect, render
from django.urls import path
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from accounts.permissions import Capability, require_capability
from legal.bundles.forms import BundleRequestForm
from legal.bundles.problems import problem_text
from legal.bundles.selectors import bundle_file_get, bundle_get, bundles_of_file
from legal.bundles.services import (
    STEP_LABELS,
    BundleError,
    bundle_download_record,
    bundle_language_for,
    bundle_request,
)
from legal.models import CourtBundle


def _file_for(request, file_pk: int):
    file = bundle_file_get(request.user, file_pk)
    require_capability(request.user, Capability.WORK_LEGAL)
    return file


def _panel_context(file, form=None) -> dict:
    bundles = bundles_of_file(file)
    building = any(bundle.status in (CourtBundle.Status.QUEUED, CourtBundle.Status.RUNNING) for bundle in bundles)
    rows = [
        {
            "bundle": bundle,
            "step": STEP_LABELS.get(bundle.step, ""),
            "problem": problem_text(bundle.error) if bundle.status == CourtBundle.Status.FAILED else "",
        }
        for bundle in bundles
    ]
    return {
        "file": file,
        "rows": rows,
        "building": building,
        "form": form or BundleRequestForm(initial={"language": bundle_language_for(file)}),
    }


@login_required
@require_GET
def bundles_page(request, file_pk: int):
    file = _file_for(request, file_pk)
    return render(request, "legal/bundles/page.html", _panel_context(file))


@login_required
@require_GET
def bundle_panel(request, file_pk: int):
    """The panel's content: what the file page loads, and polls every second while a build runs."""
    file = _file_for(request, file_pk)
    return render(request, "legal/bundles/_panel_body.html", _panel_context(file))


@login_required
@require_POST
def bundle_create(request, file_pk: int):
    file = _file_for(request, file_pk)
    form = BundleRequestForm(request.POST)
    if form.is_valid():
        try:
            bundle_request(file=file, actor=request.user, language=form.cleaned_data["language"])
        except BundleError as error:
            messages.error(request, str(error))
        else:
            messages.success(request, _("The bundle is being built; this page shows its progress."))
    else:
        messages.error(request, _("Choose the bundle's language."))
    if request.htmx:
        return render(request, "legal/bundles/_panel_body.html", _panel_context(file, form))
    return redirect("legal:bundles", file_pk=file.pk)


@login_required
@require_GET
def bundle_download(request, pk: int):
    bundle = bundle_get(request.user, pk)
    require_capability(request.user, Capability.WORK_LEGAL)
    if bundle.status != CourtBundle.Status.DONE or not bundle.pdf:
        raise Http404
    bundle_download_record(bundle=bundle, actor=request.user)
    name = f"{bundle.file.number}-bundle-{bundle.pk}.pdf"
    return FileResponse(bundle.pdf.open("rb"), as_attachment=True, filename=name, content_type="application/pdf")


urlpatterns = [
    path("files/<int:file_pk>/bundles/", bundles_page, name="bundles"),
    path("files/<int:file_pk>/bundles/panel/", bundle_panel, name="bundle_panel"),
    path("files/<int:file_pk>/bundles/build/", bundle_create, name="bundle_create"),
    path("bundles/<int:pk>/download/", bundle_download, name="bundle_download"),
]
