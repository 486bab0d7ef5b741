"""
The agency portal (issue 13): the agency's queue of placed cases, the
supervisor's bulk "assign to agent" on it, and the supervisor's page of the
agency's agents and their work.

The queue is the workspace queue's machinery (collection/views/queues.py
QueueView: the filter, LazyPaginator, the htmx table swap, the quick
filters) over collection/agencies/portal.py's agency_queue_cases, which
reads through cases_visible_to: an agency agent sees only the cases placed
with their own agency now. An agent not linked to an agency yet gets a page
that says so. The case page itself is the lender's, masked as the agency's
contract says (collection/selectors/case_page.py).
"""

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.utils.functional import cached_property
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_GET, require_POST

from accounts.permissions import Capability, capability_required
from collection.agencies import portal
from collection.agencies.members import agency_member_of
from collection.agencies.portal_tables import MINE, AgencyQueueFilter, AgencyQueueTable
from collection.errors import CollectionError
from collection.forms.agency_portal import AgencyAssignForm
from collection.selectors.queues import Queue
from collection.views.queues import QUICK_FILTERS, QueueView, _back

AGENCY_QUEUE = Queue(
    "agency",
    _("Agency queue"),
    "collection:agency_queue",
    Capability.WORK_AGENCY_CASES,
    _("The cases placed with your agency, most urgent first."),
)


class AgencyQueueView(QueueView):
    queue = AGENCY_QUEUE
    filterset_class = AgencyQueueFilter
    table_class = AgencyQueueTable
    template_name = "collection/agencies/portal/queue.html"

    def dispatch(self, request, *args, **kwargs):
        # Not QueueView's: that one refuses agency agents the lender's queues. Log in and the capability only.
        return super(QueueView, self).dispatch(request, *args, **kwargs)

    @cached_property
    def member(self):
        return agency_member_of(self.request.user)

    @cached_property
    def agents(self) -> list:
        return portal.agency_agents(self.member.agency_id) if self.member else []

    @property
    def can_assign(self) -> bool:
        return bool(self.member and self.member.is_supervisor)

    def get(self, request, *args, **kwargs):
        if self.member is None:
            return render(request, "collection/agencies/portal/no_agency.html", {"queue": self.queue})
        return super().get(request, *args, **kwargs)

    def get_queryset(self):
        return portal.agency_queue_cases(self.request.user)

    def get_table_kwargs(self):
        return {
            "exclude": [] if self.can_assign else ["select"],
            "agent_names": {agent.pk: str(agent) for agent in self.agents},
        }

    def get_context_data(self, **kwargs):
        context = super(QueueView, self).get_context_data(**kwargs)
        context["queue"] = self.queue
        context["queue_links"] = []
        if self.partial():
            return context
        context["member"] = self.member
        context["mine"] = self.request.GET.get("who") == MINE
        context["quick_filters"] = QUICK_FILTERS
        if self.can_assign:
            context["assign_form"] = AgencyAssignForm(agents=self.agents)
        return context


@capability_required(Capability.WORK_AGENCY_CASES)
@require_POST
def agency_assign(request):
    """The supervisor gives the ticked placed cases to an agent of the agency (or back to its pool)."""
    back = _back(request, AGENCY_QUEUE.url_name)
    member = agency_member_of(request.user)
    if member is None or not member.is_supervisor:
        raise PermissionDenied
    form = AgencyAssignForm(request.POST, agents=portal.agency_agents(member.agency_id))
    if not form.is_valid():
        for errors in form.errors.values():
            for error in errors:
                messages.error(request, error)
        return redirect(back)
    try:
        moved = portal.placements_assign(
            case_ids=form.cleaned_data["case_ids"], agent=form.cleaned_data["agent_user"], actor=request.user
        )
    except CollectionError as error:
        messages.error(request, str(error))
        return redirect(back)
    messages.success(
        request, ngettext("%(count)d case assigned.", "%(count)d cases assigned.", moved) % {"count": moved}
    )
    return redirect(back)


@capability_required(Capability.WORK_AGENCY_CASES)
@require_GET
def agency_team(request):
    """The supervisor's page: the agency's agents, their active placements and their work (403 for agents)."""
    member = agency_member_of(request.user)
    if member is None or not member.is_supervisor:
        raise PermissionDenied
    context = {
        "agency": member.agency,
        "rows": portal.agency_team_rows(agency_id=member.agency_id),
        "unassigned": portal.agency_unassigned_count(member.agency_id),
        "period_days": portal.TEAM_PERIOD_DAYS,
        "queue_url": reverse(AGENCY_QUEUE.url_name),
    }
    return render(request, "collection/agencies/portal/team.html", context)


urlpatterns = [
    path("agency/queue/", AgencyQueueView.as_view(), name="agency_queue"),
    path("agency/queue/assign/", agency_assign, name="agency_assign"),
    path("agency/team/", agency_team, name="agency_team"),
]
