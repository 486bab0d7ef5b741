"""
Champion/challenger pages (automation/experiments/): the segments running a
challenger, a segment's arms side by side with the differences and their
confidence intervals, and the controls to start, stop and promote. Each
control is a confirmation page whose POST calls one service.
"""

from django import forms
from django.contrib import messages
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_GET, require_http_methods

from accounts.permissions import Capability, capability_required
from collection.errors import CollectionError
from collection.models import Segment
from collection.strategies.arm_report import (
    MIN_CASES_FOR_AMOUNTS,
    MIN_CASES_PER_ARM,
    MIN_EVENTS_PER_ARM,
    SIGNIFICANCE_LEVEL,
    arm_report,
    ended_experiment_report,
)
from collection.strategies.experiments import (
    MAX_SHARE,
    MIN_SHARE,
    challenger_promote,
    experiment_start,
    experiment_stop,
    experiments_ended,
    experiments_ended_rows,
    experiments_running,
    strategies_for_challenger,
)

STARTED = _("%(segment)s now tries %(strategy)s on %(share)s%% of the cases that enter it.")
STOPPED = _("The experiment on %(segment)s has stopped; new cases follow %(strategy)s.")
PROMOTED = _("%(strategy)s is now the strategy of %(segment)s.")


class ExperimentStartForm(forms.Form):
    challenger = forms.ModelChoiceField(label=_("Challenger strategy"), queryset=None, empty_label=None)
    share = forms.IntegerField(
        label=_("Share of the cases (%)"),
        min_value=MIN_SHARE,
        max_value=MAX_SHARE,
        initial=30,
        help_text=_("The cases that enter the segment from today are split by a stable hash of the case."),
    )

    def __init__(self, *args, segment, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["challenger"].queryset = strategies_for_challenger(segment)


def _segment(pk) -> Segment:
    return get_object_or_404(Segment.objects.select_related("champion", "challenger"), pk=pk)


@require_GET
@capability_required(Capability.CONFIGURE_AUTOMATION)
def experiment_list(request):
    return render(
        request,
        "collection/experiments/experiment_list.html",
        {
            "rows": experiments_running(),
            "ended": experiments_ended_rows(),
            "segments": Segment.objects.filter(challenger__isnull=True, is_active=True).select_related("champion"),
        },
    )


def _report_context(report, segment, **extra) -> dict:
    return {
        "segment": segment,
        "report": report,
        "min_cases": MIN_CASES_PER_ARM,
        "min_events": MIN_EVENTS_PER_ARM,
        "min_amount_cases": MIN_CASES_FOR_AMOUNTS,
        "confidence": round((1 - SIGNIFICANCE_LEVEL) * 100),
        "level": round(SIGNIFICANCE_LEVEL * 100),
        **extra,
    }


@require_GET
@capability_required(Capability.CONFIGURE_AUTOMATION)
def experiment_report(request, pk):
    segment = _segment(pk)
    report = arm_report(segment=segment) if segment.challenger_id else None
    return render(
        request,
        "collection/experiments/experiment_report.html",
        _report_context(report, segment, ended=experiments_ended_rows(segment=segment)),
    )


@require_GET
@capability_required(Capability.CONFIGURE_AUTOMATION)
def experiment_past_report(request, pk, event_pk):
    segment = _segment(pk)
    event = experiments_ended(segment=segment).filter(pk=event_pk).first()
    if event is None:
        raise Http404
    report = ended_experiment_report(event=event, segment=segment)
    return render(
        request, "collection/experiments/experiment_report.html", _report_context(report, segment, past=event)
    )


@require_http_methods(["GET", "POST"])
@capability_required(Capability.CONFIGURE_AUTOMATION)
def experiment_start_view(request, pk):
    segment = _segment(pk)
    form = ExperimentStartForm(request.POST or None, segment=segment)
    if request.method == "POST" and form.is_valid():
        try:
            experiment_start(
                segment=segment,
                challenger=form.cleaned_data["challenger"],
                share=form.cleaned_data["share"],
                actor=request.user,
            )
        except CollectionError as error:
            form.add_error(error.field or None, str(error))
        else:
            messages.success(
                request,
                STARTED
                % {
                    "segment": segment.name,
                    "strategy": form.cleaned_data["challenger"].name,
                    "share": form.cleaned_data["share"],
                },
            )
            return redirect("collection:experiment_report", pk=segment.pk)
    return render(request, "collection/experiments/experiment_start.html", {"segment": segment, "form": form})


def _confirmed_end(request, pk, *, service, template: str, done):
    segment = _segment(pk)
    error = None
    if request.method == "POST":
        challenger, champion = segment.challenger, segment.champion
        try:
            service(segment=segment, actor=request.user)
        except CollectionError as refused:
            error = str(refused)
        else:
            messages.success(request, done(segment=segment, challenger=challenger, champion=champion))
            return redirect("collection:experiment_report", pk=segment.pk)
    elif segment.challenger_id is None:
        messages.info(request, _("%(segment)s runs no challenger.") % {"segment": segment.name})
        return redirect("collection:experiment_report", pk=segment.pk)
    return render(request, template, {"segment": segment, "error": error}, status=400 if error else 200)


@require_http_methods(["GET", "POST"])
@capability_required(Capability.CONFIGURE_AUTOMATION)
def experiment_stop_view(request, pk):
    return _confirmed_end(
        request,
        pk,
        service=experiment_stop,
        template="collection/experiments/experiment_stop.html",
        done=lambda *, segment, challenger, champion: STOPPED % {"segment": segment.name, "strategy": champion},
    )


@require_http_methods(["GET", "POST"])
@capability_required(Capability.CONFIGURE_AUTOMATION)
def challenger_promote_view(request, pk):
    return _confirmed_end(
        request,
        pk,
        service=challenger_promote,
        template="collection/experiments/challenger_promote.html",
        done=lambda *, segment, challenger, champion: PROMOTED % {"segment": segment.name, "strategy": challenger},
    )


urlpatterns = [
    path("automation/experiments/", experiment_list, name="experiment_list"),
    path("automation/experiments/<int:pk>/", experiment_report, name="experiment_report"),
    path(
        "automation/experiments/<int:pk>/ended/<int:event_pk>/", experiment_past_report, name="experiment_past_report"
    ),
    path("automation/experiments/<int:pk>/start/", experiment_start_view, name="experiment_start"),
    path("automation/experiments/<int:pk>/stop/", experiment_stop_view, name="experiment_stop"),
    path("automation/experiments/<int:pk>/promote/", challenger_promote_view, name="challenger_promote"),
]
