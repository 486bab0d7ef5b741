"""
The collector's queues: my queue, the team queue and the unassigned pool; the
Next case button; the team lead's bulk reassignment.

Every queue reads through collection.selectors.cases_visible_to, pages
without counting (LazyPaginator) and, when htmx asks for the table only
(HX-Target: results), answers with the table alone.
"""

from dataclasses import dataclass

from django import forms
from django.contrib import messages
from django.db.models import Q, QuerySet
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

from accounts.models import Team, User
from accounts.permissions import ROLE_CAPABILITIES, Capability, CapabilityRequiredMixin, capability_required, user_can
from accounts.selectors import teams_visible_to
from collection.errors import CollectionError
from collection.filters import CaseQueueFilter, QuickSelect
from collection.models import CaseStatus
from collection.selectors import cases_visible_to
from collection.services.next_case import NO_CASE_DUE, next_case_take
from collection.tables import CaseQueueTable

PER_PAGE = 50

REASSIGN_NOTHING_SELECTED = _("Select at least one case.")
REASSIGN_NO_TARGET = _("Choose a collector or a team to move the cases to.")
REASSIGN_TWO_TARGETS = _("Choose a collector or a team, not both.")


@dataclass(frozen=True)
class Queue:
    key: str
    title: str
    url_name: str
    capability: str
    intro: str


MY_QUEUE = Queue(
    "mine",
    _("My queue"),
    "collection:my_queue",
    Capability.WORK_CASES,
    _("The open cases assigned to you, most urgent first."),
)
TEAM_QUEUE = Queue(
    "team",
    _("Team queue"),
    "collection:team_queue",
    Capability.WORK_CASES,
    _("The open cases of your team (of every team you lead), most urgent first."),
)
UNASSIGNED_POOL = Queue(
    "unassigned",
    _("Unassigned cases"),
    "collection:unassigned_pool",
    Capability.REASSIGN_CASES,
    _("Open cases that no collector works yet: select them and assign them below."),
)
QUEUES = (MY_QUEUE, TEAM_QUEUE, UNASSIGNED_POOL)

# Preset filters shown above a queue: one click to the cases that need attention today.
QUICK_FILTERS = (
    (_("Due now"), "next_action_due=on"),
    (_("Promise due today"), "promise_due_today=on"),
    (_("Broken promise"), "broken_promise=on"),
    (_("No contact in 7 days"), "no_contact_days=7"),
)


def user_teams(user) -> QuerySet[Team]:
    """The teams the team filter offers: every team with VIEW_ALL_CASES, else the user's own and those they lead."""
    if user_can(user, Capability.VIEW_ALL_CASES):
        return Team.objects.filter(is_active=True)
    return Team.objects.filter(Q(lead=user) | Q(pk=user.team_id)) if user.team_id else user.led_teams.all()


def queue_cases(*, user, queue: Queue) -> QuerySet:
    """
    The cases of one queue, closed ones included (the filter leaves them out unless asked). The team
    queue is everything the user may see (cases_visible_to): their team's cases, those of every team
    they lead, and their own; with VIEW_ALL_CASES, every case.
    """
    cases = cases_visible_to(user).select_related("borrower", "assigned_to")
    if queue is MY_QUEUE:
        return cases.filter(assigned_to=user)
    if queue is UNASSIGNED_POOL:
        return cases.filter(assigned_to__isnull=True)
    # No second team filter on top of the visible scope: PostgreSQL would count the same condition
    # twice, underestimate the rows ten times and pick a slow plan (bench/queue_page.py).
    return cases


def reassign_targets(user) -> tuple[QuerySet[User], QuerySet[Team]]:
    """Whom the user may move cases to: the working members of the teams they see, and those teams."""
    teams = teams_visible_to(user)
    working_roles = [role for role, capabilities in ROLE_CAPABILITIES.items() if Capability.WORK_CASES in capabilities]
    collectors = (
        User.objects.filter(is_active=True, team__in=teams, role__in=working_roles)
        .select_related("team")
        .order_by("team__name", "username")
    )
    return collectors, teams


class CollectorChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        return f"{obj} ({obj.team})"


class BulkReassignForm(forms.Form):
    """The selected cases (`case`, one per ticked row) and where they go."""

    to_user = CollectorChoiceField(
        label=_("To collector"), queryset=User.objects.none(), required=False, widget=QuickSelect
    )
    to_team = forms.ModelChoiceField(
        label=_("or to team"), queryset=Team.objects.none(), required=False, widget=QuickSelect
    )

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user
        self.fields["to_user"].queryset, self.fields["to_team"].queryset = reassign_targets(user)
        self.fields["to_user"].empty_label = _("Collector…")
        self.fields["to_team"].empty_label = _("Team…")

    def clean(self):
        data = super().clean()
        # Only the open cases the user may see; any other id is dropped without a word (as a 404 would).
        ids = {int(pk) for pk in self.data.getlist("case") if pk.isdigit()}
        visible = cases_visible_to(self.user).exclude(status=CaseStatus.CLOSED).filter(pk__in=ids)
        data["case_ids"] = sorted(visible.values_list("pk", flat=True)) if ids else []
        if not data["case_ids"]:
            raise forms.ValidationError(REASSIGN_NOTHING_SELECTED)
        if self.errors:
            return data  # an unknown collector or team: that error says it all
        if not data.get("to_user") and not data.get("to_team"):
            raise forms.ValidationError(REASSIGN_NO_TARGET)
        if data.get("to_user") and data.get("to_team"):
            raise forms.ValidationError(REASSIGN_TWO_TARGETS)
        return data


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

    @cached_property
    def can_reassign(self) -> bool:
        return user_can(self.request.user, Capability.REASSIGN_CASES)

    def get_queryset(self):
        return queue_cases(user=self.request.user, queue=self.queue)

    def get_filterset_kwargs(self, filterset_class):
        kwargs = super().get_filterset_kwargs(filterset_class)
        user = self.request.user
        choose_team = self.queue is not MY_QUEUE and (
            user_can(user, Capability.VIEW_ALL_CASES) or user_can(user, Capability.VIEW_LED_TEAMS)
        )
        kwargs["teams"] = user_teams(user).order_by("name") if choose_team else None
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
        if self.partial():
            return context
        context["queues"] = [queue for queue in QUEUES if user_can(self.request.user, queue.capability)]
        context["quick_filters"] = QUICK_FILTERS
        if self.can_reassign:
            context["reassign_form"] = BulkReassignForm(user=self.request.user)
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
