"""
The nightly runs' pages (automation/nightly/): each night's run with its
steps, and a manager's "Run tonight's chain now", followed on the run's page
as its steps advance (htmx polls the steps while the run is running).
"""

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect, render
from django.urls import path
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_POST

from accounts.permissions import Capability, capability_required
from collection.models import RunStatus
from collection.nightly import selectors
from collection.nightly.chain import NightlyChainRunning, nightly_run_request
from collection.nightly.display import duration_text, run_failure_text, steps_display
from lending.services import lender_today

RUN_REQUESTED = gettext_lazy("Tonight's chain is started: its steps run one after the other on this page.")
POLL_TARGET = "nightly-progress"


@capability_required(Capability.VIEW_NIGHTLY_RUNS)
@require_GET
def nightly_run_list(request):
    runs = list(selectors.nightly_runs_recent())
    for run in runs:
        run.duration = duration_text(run.started_at, run.finished_at)
    return render(
        request,
        "collection/nightly/run_list.html",
        {"runs": runs, "can_start": selectors.nightly_run_startable(request.user), "today": lender_today()},
    )


@capability_required(Capability.VIEW_NIGHTLY_RUNS)
@require_GET
def nightly_run_detail(request, pk: int):
    run = selectors.nightly_run_get(pk)
    steps = steps_display(run, list(run.steps.order_by("position")))
    context = {
        "run": run,
        "steps": steps,
        "running": run.status == RunStatus.RUNNING,
        "done_steps": sum(step.status == RunStatus.SUCCEEDED for step in steps),
        "duration": duration_text(run.started_at, run.finished_at),
        "failure": run_failure_text(run, steps) if run.status == RunStatus.FAILED else "",
        "can_start": selectors.nightly_run_startable(request.user),
    }
    if request.htmx and request.htmx.target == POLL_TARGET:
        return render(request, "collection/nightly/_run_steps.html", context)
    return render(request, "collection/nightly/run_detail.html", context)


@capability_required(Capability.VIEW_NIGHTLY_RUNS)
@require_POST
def nightly_run_start(request):
    if not selectors.nightly_run_startable(request.user):
        raise PermissionDenied
    try:
        run = nightly_run_request(on=lender_today(), actor=request.user)
    except NightlyChainRunning as refused:
        messages.error(request, str(refused))
        return redirect("collection:nightly_run_list")
    messages.success(request, RUN_REQUESTED)
    return redirect("collection:nightly_run_detail", pk=run.pk)


urlpatterns = [
    path("automation/nightly/", nightly_run_list, name="nightly_run_list"),
    path("automation/nightly/run/", nightly_run_start, name="nightly_run_start"),
    path("automation/nightly/<int:pk>/", nightly_run_detail, name="nightly_run_detail"),
]
