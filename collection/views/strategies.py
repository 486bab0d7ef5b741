"""
Collection's pages: segments and strategies (see collection/strategies).

A manager (CONFIGURE_AUTOMATION) orders the segments and composes their
conditions and arms, edits strategies step by step (saving makes a new
version; the history is read-only) and may run segments and strategies now,
watching a progress bar until the counts per step come back.
"""

from celery.result import AsyncResult
from django.contrib import messages
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path, reverse
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts.permissions import Capability, capability_required
from collection.errors import CollectionError
from collection.models import Segment, StepTrigger
from collection.strategies import selectors
from collection.strategies.actions import action_get
from collection.strategies.forms import (
    SegmentForm,
    StrategyHeaderForm,
    action_fields,
    editor_rows,
    steps_apply_operation,
    steps_from_post,
    steps_from_version,
)
from collection.strategies.segments import catch_all_segment
from collection.strategies.services import (
    segment_delete,
    segment_move,
    segment_save,
    strategy_create,
    strategy_version_save,
)
from lending.services import lender_today

SEGMENT_SAVED = _("Segment %(name)s saved. Cases move into it at the next run.")
SEGMENT_REMOVED = _("Segment %(name)s removed.")
STRATEGY_SAVED = _("Strategy %(name)s saved as version %(number)s.")
RUN_STARTED = _("Segments and strategies are running for %(day)s.")

CONFIGURE = Capability.CONFIGURE_AUTOMATION


# --- Segments -----------------------------------------------------------------------------------


@require_GET
@capability_required(CONFIGURE)
def segment_list(request):
    return render(request, "collection/strategies/segment_list.html", {"rows": selectors.segment_rows()})


def _segment_form_page(request, segment: Segment | None):
    catch_all = catch_all_segment()
    is_catch_all = segment is not None and catch_all is not None and segment.pk == catch_all.pk
    instance = segment or Segment(priority=0)
    form = SegmentForm(request.POST or None, instance=instance, is_catch_all=is_catch_all)
    if request.method == "POST" and form.is_valid():
        candidate = form.save(commit=False)
        try:
            saved = segment_save(segment=candidate, actor=request.user)
        except CollectionError as error:
            form.add_error(error.field if error.field in form.fields else None, str(error))
        else:
            messages.success(request, SEGMENT_SAVED % {"name": saved.name})
            return redirect("collection:segment_list")
    return render(
        request,
        "collection/strategies/segment_form.html",
        {"form": form, "segment": segment, "is_catch_all": is_catch_all},
    )


@require_http_methods(["GET", "POST"])
@capability_required(CONFIGURE)
def segment_new(request):
    return _segment_form_page(request, None)


@require_http_methods(["GET", "POST"])
@capability_required(CONFIGURE)
def segment_edit(request, pk):
    return _segment_form_page(request, get_object_or_404(Segment, pk=pk))


@require_POST
@capability_required(CONFIGURE)
def segment_move_view(request, pk, direction):
    segment = get_object_or_404(Segment, pk=pk)
    try:
        segment_move(segment=segment, up=direction == "up", actor=request.user)
    except CollectionError as error:
        messages.error(request, str(error))
    return redirect(reverse("collection:segment_list") + f"#segment-{segment.pk}")


@require_POST
@capability_required(CONFIGURE)
def segment_delete_view(request, pk):
    segment = get_object_or_404(Segment, pk=pk)
    try:
        segment_delete(segment=segment, actor=request.user)
    except CollectionError as error:
        messages.error(request, str(error))
    else:
        messages.success(request, SEGMENT_REMOVED % {"name": segment.name})
    return redirect("collection:segment_list")


# --- Strategies ---------------------------------------------------------------------------------


@require_GET
@capability_required(CONFIGURE)
def strategy_list(request):
    return render(request, "collection/strategies/strategy_list.html", {"rows": selectors.strategy_rows()})


def _editor(request, strategy=None):
    if request.method == "POST":
        header = StrategyHeaderForm(request.POST)
        drafts = steps_from_post(request.POST)
    else:
        initial = {"name": strategy.name, "description": strategy.description} if strategy else {}
        header = StrategyHeaderForm(initial=initial)
        drafts = steps_from_version(strategy.current_version if strategy else None)
        if not drafts:
            drafts = steps_apply_operation([], "add")
    error = None
    operation = request.POST.get("op", "") if request.method == "POST" else ""
    if operation:
        drafts = steps_apply_operation(drafts, operation)
    elif request.method == "POST" and header.is_valid():
        data = header.cleaned_data
        try:
            if strategy is None:
                strategy = strategy_create(
                    name=data["name"],
                    description=data["description"],
                    steps=drafts,
                    note=data["note"],
                    actor=request.user,
                )
                number = 1
            else:
                number = strategy_version_save(
                    strategy=strategy,
                    steps=drafts,
                    note=data["note"],
                    description=data["description"],
                    actor=request.user,
                ).number
        except CollectionError as problem:
            error = str(problem)
        else:
            messages.success(request, STRATEGY_SAVED % {"name": strategy.name, "number": number})
            return redirect("collection:strategy_edit", pk=strategy.pk)
    actions = action_fields()
    return render(
        request,
        "collection/strategies/strategy_form.html",
        {
            "strategy": strategy,
            "header": header,
            "rows": editor_rows(drafts, actions),
            "steps_count": len(drafts),
            "actions": actions,
            "triggers": StepTrigger.choices,
            "error": error,
            "versions": selectors.strategy_versions(strategy) if strategy else [],
        },
    )


@require_http_methods(["GET", "POST"])
@capability_required(CONFIGURE)
def strategy_new(request):
    return _editor(request)


@require_http_methods(["GET", "POST"])
@capability_required(CONFIGURE)
def strategy_edit(request, pk):
    return _editor(request, selectors.strategy_get(pk))


@require_GET
@capability_required(CONFIGURE)
def strategy_version(request, pk, number):
    strategy = selectors.strategy_get(pk)
    version = selectors.version_get(strategy, number)
    return render(
        request,
        "collection/strategies/strategy_version.html",
        {"strategy": strategy, "version": version, "steps": selectors.version_steps(version)},
    )


# --- Run now ------------------------------------------------------------------------------------


@require_POST
@capability_required(CONFIGURE)
def strategies_run_start(request):
    from collection.strategies.tasks import strategies_run_task

    day = lender_today()
    result = strategies_run_task.delay(day.isoformat(), request.user.pk)
    messages.info(request, RUN_STARTED % {"day": day})
    return redirect("collection:strategies_run_progress", task_id=result.id)


def _step_name(key: str) -> str:
    """A count's step key ("<strategy> v<n> #<position> <action code>") with the action's label for the reader."""
    head, _sep, code = key.rpartition(" ")
    action = action_get(code)
    return f"{head} {action.label}" if head and action else key


def _run_state(task_id: str) -> dict:
    result = AsyncResult(task_id)
    state = result.state
    info = result.info if isinstance(result.info, dict) else {}
    done, total = int(info.get("done") or 0), int(info.get("total") or 0)
    finished = state == "SUCCESS"
    counts = (result.result or {}).get("counts", {}) if finished and isinstance(result.result, dict) else {}
    return {
        "task_id": task_id,
        "state": state,
        "finished": finished,
        "failed": state == "FAILURE",
        "done": done,
        "total": total,
        "percent": int(100 * done / total) if total else (100 if finished else 0),
        "counts": {key: value for key, value in counts.items() if key != "by_step"},
        "by_step": [(_step_name(key), count) for key, count in sorted((counts.get("by_step") or {}).items())],
    }


@require_GET
@capability_required(CONFIGURE)
def strategies_run_progress(request, task_id):
    if len(task_id) > 64 or not all(ch.isalnum() or ch == "-" for ch in task_id):
        raise Http404
    context = {"run": _run_state(task_id)}
    if request.headers.get("HX-Request"):
        return render(request, "collection/strategies/_run_progress.html", context)
    return render(request, "collection/strategies/run_progress.html", context)


urlpatterns = [
    path("automation/segments/", segment_list, name="segment_list"),
    path("automation/segments/new/", segment_new, name="segment_new"),
    path("automation/segments/<int:pk>/", segment_edit, name="segment_edit"),
    path("automation/segments/<int:pk>/move/<str:direction>/", segment_move_view, name="segment_move"),
    path("automation/segments/<int:pk>/delete/", segment_delete_view, name="segment_delete"),
    path("automation/strategies/", strategy_list, name="strategy_list"),
    path("automation/strategies/new/", strategy_new, name="strategy_new"),
    path("automation/strategies/<int:pk>/", strategy_edit, name="strategy_edit"),
    path("automation/strategies/<int:pk>/v<int:number>/", strategy_version, name="strategy_version"),
    path("automation/strategies/run/", strategies_run_start, name="strategies_run"),
    path("automation/strategies/run/<str:task_id>/", strategies_run_progress, name="strategies_run_progress"),
]
