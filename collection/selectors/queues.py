"""
The collector's queues: my queue, the team queue and the unassigned pool,
each a queryset of what the user may see (cases_visible_to), for the queue
filter (collection/filters.py) to narrow and the table to sort and page.
"""

from dataclasses import dataclass

from django.db.models import Q, QuerySet
from django.utils.translation import gettext_lazy as _

from accounts.models import Team
from accounts.permissions import Capability, user_can
from collection.models import Stage
from collection.selectors.cases import cases_visible_to


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


def queues_for(user) -> list[Queue]:
    """The queues the user may open, for the tabs above a queue."""
    return [queue for queue in QUEUES if user_can(user, queue.capability)]


def user_teams(user) -> QuerySet[Team]:
    """The teams the team filter offers: every team with VIEW_ALL_CASES, else the user's own and those they lead."""
    if user_can(user, Capability.VIEW_ALL_CASES):
        return Team.objects.filter(is_active=True)
    return Team.objects.filter(Q(lead=user) | Q(pk=user.team_id)) if user.team_id else user.led_teams.all()


def queue_teams(*, user, queue: Queue) -> QuerySet[Team] | None:
    """The teams a queue's team filter offers, by name; None when it has no team filter (my queue, a collector)."""
    may_choose = user_can(user, Capability.VIEW_ALL_CASES) or user_can(user, Capability.VIEW_LED_TEAMS)
    if queue is MY_QUEUE or not may_choose:
        return None
    return user_teams(user).order_by("name")


def outside_legal_stage(user, cases: QuerySet) -> QuerySet:
    """
    A case referred to legal leaves the collectors' queues (and Next case): only those who work
    litigation (WORK_LEGAL) still find legal-stage cases there; the others open them read-only.
    A case placed with an agency leaves the lender's queues the same way until it is recalled:
    only the agency's agents find it in theirs (cases_visible_to scopes them to it).
    """
    if user_can(user, Capability.WORK_AGENCY_CASES):
        return cases
    cases = cases.exclude(stage=Stage.AGENCY)
    if user_can(user, Capability.WORK_LEGAL):
        return cases
    return cases.exclude(stage=Stage.LEGAL)


def queue_cases(*, user, queue: Queue) -> QuerySet:
    """
    The cases of one queue, closed ones included (the filter leaves them out unless asked). The team
    queue is everything the user may see (cases_visible_to): their team's cases, those of every team
    they lead, and their own; with VIEW_ALL_CASES, every case.
    """
    cases = outside_legal_stage(user, cases_visible_to(user)).select_related("borrower", "assigned_to")
    if queue is MY_QUEUE:
        return cases.filter(assigned_to=user)
    if queue is UNASSIGNED_POOL:
        return cases.filter(assigned_to__isnull=True)
    # No second team filter on top of the visible scope: PostgreSQL would count the same condition
    # twice, underestimate the rows ten times and pick a slow plan (bench/queue_page.py).
    return cases
