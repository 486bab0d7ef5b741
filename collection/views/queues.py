"""
The collector's queues: my queue, the team queue and the unassigned pool; the
Next case button; the team lead's bulk reassignment.

Every queue reads through collection/selectors/queues.py (scoped by
cases_visible_to), pages without counting (LazyPaginator) and, when htmx
asks for the table only (HX-Target: results), answers with the table alone.
"""

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect
from django.urls import path, reverse
from django.utils.cache import patch_vary_headers
from django.utils.functional import cached_property
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST
from django_filters.views import FilterView
from django_tables2 import LazyPaginator, SingleTableMixin

from accounts.permissions import Capability, CapabilityRequiredMixin, capability_required, user_can
from collection.errors import CollectionError
from collection.filters import CaseQueueFilter
from collection.forms import BulkReassignForm
from collection.queue_links import queue_links_for
from collection.selectors.queues import (
    MY_QUEUE,
    TEAM_QUEUE,
    UNASSIGNED_POOL,
    Queue,
    queue_cases,
    queue_teams,
    queues_for,
)
from collection.services.next_case import NO_CASE_DUE, next_case_take
from collection.tables import CaseQueueTable

PER_PAGE = 50

# Preset filters shown above a queue: one click to the cases that need attention today.
QUICK_FILTERS = (
    (_("Due now"), "next_action_due=on"),
    (_("Promise due today"), "promise_due_today=on"),
    (_("Broken promise"), "broken_promise=on"),
    (_("No contact in 7 days"), "no_contact_days=7"),
)


def lender_queues_refuse(user) -> None:
    """The lender's queues and Next case are not an agency agent's: they work their agency's queue (403)."""
    if user_can(user, Capability.WORK_AGENCY_CASES):
        raise PermissionDenied


class QueueView(CapabilityRequiredMixin, SingleTableMixin, FilterView):
    queue: Queue = MY_QUEUE
    filterset_class = CaseQueueFilter
    table_class = CaseQueueTable
    paginator_class = LazyPaginator
    table_pagination = {"per_page": PER_PAGE}
    template_name = "collection/queues/queue.html"

    @property
    def capability(self):
        return self.queue.capability

    def dispatch(self, request, *args, **kwargs):
        lender_queues_refuse(request.user)
        return super().dispatch(request, *args, **kwargs)

    @cached_property
    def can_reassign(self) -> bool:
        return user_can(self.request.user, Capability.REASSIGN_CASES)

    def get_queryset(self):
        return queue_cases(user=self.request.user, queue=self.queue)

    def get_filterset_kwargs(self, filterset_class):
        kwargs = super().get_filterset_kwargs(filterset_class)
        kwargs["teams"] = queue_teams(user=self.request.user, queue=self.queue)
        return kwargs

    def get_table_kwargs(self):
        exclude = []
        if not self.can_reassign:
            exclude.append("select")
        if self.queue is MY_QUEUE:
            exclude.append("assigned_to")
        return {"exclude": exclude}

    def partial(self) -> bool:
        htmx = self.request.htmx
        return bool(htmx) and not htmx.history_restore_request and htmx.target == "results"

    def get_template_names(self):
        return ["collection/queues/_results.html"] if self.partial() else [self.template_name]

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["queue"] = self.queue
        # In the swapped part too: a link of another app (legal's letters) carries the filter just applied.
        context["queue_links"] = queue_links_for(self.request, self.queue)
        if self.partial():
            return context
        context["queues"] = queues_for(self.request.user)
        context["quick_filters"] = QUICK_FILTERS
        if self.can_reassign:
            context["reassign_form"] = BulkReassignForm(user=self.request.user)
            # A manager places the ticked cases with an agency (collection/views/placements.py).
            context["can_place"] = self.queue is TEAM_QUEUE and user_can(self.request.user, Capability.MANAGE_AGENCIES)
        return context

    def render_to_response(self, context, **response_kwargs):
        response = super().render_to_response(context, **response_kwargs)
        patch_vary_headers(response, ("HX-Request", "HX-Target"))
        return response


def _back(request, default: str) -> str:
    """Where to return after a POST: the page it came from, if it is ours."""
    target = request.POST.get("next", "")
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return reverse(default)


@capability_required(Capability.WORK_CASES)
@require_POST
def next_case(request):
    lender_queues_refuse(request.user)
    """Hand the collector the next case to work (services/next_case.py says which) and open it."""
    case = next_case_take(user=request.user)
    if case is None:
        messages.info(request, NO_CASE_DUE)
        return redirect(_back(request, MY_QUEUE.url_name))
    return redirect("collection:case_detail", pk=case.pk)


@capability_required(Capability.REASSIGN_CASES)
@require_POST
def queue_reassign(request):
    """Move the selected cases to a collector or a team; every move is audited by the service."""
    back = _back(request, TEAM_QUEUE.url_name)
    form = BulkReassignForm(request.POST, user=request.user)
    if not form.is_valid():
        for errors in form.errors.values():
            for error in errors:
                messages.error(request, error)
        return redirect(back)
    from collection.services.assignment import cases_reassign  # written beside this module

    try:
        moved = cases_reassign(
            case_ids=form.cleaned_data["case_ids"],
            to_user=form.cleaned_data.get("to_user"),
            to_team=form.cleaned_data.get("to_team"),
            actor=request.user,
        )
    except CollectionError as error:
        messages.error(request, str(error))
        return redirect(back)
    messages.success(
        request, ngettext("%(count)d case reassigned.", "%(count)d cases reassigned.", moved) % {"count": moved}
    )
    return redirect(back)


urlpatterns = [
    path("cases/mine/", QueueView.as_view(queue=MY_QUEUE), name="my_queue"),
    path("cases/team/", QueueView.as_view(queue=TEAM_QUEUE), name="team_queue"),
    path("cases/unassigned/", QueueView.as_view(queue=UNASSIGNED_POOL), name="unassigned_pool"),
    path("cases/next/", next_case, name="next_case"),
    path("cases/reassign/", queue_reassign, name="queue_reassign"),
]
