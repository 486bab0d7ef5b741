"""
Field visits as a user may see them: on the cases they see (cases_visible_to);
a field agent's own day and report only among the visits assigned to them
(another agent's visit is a 404).
"""

import datetime

from django.db.models import QuerySet
from django.shortcuts import get_object_or_404

from accounts.models import User
from accounts.roles import Role
from collection.models import FieldVisit, VisitStatus
from collection.selectors.cases import cases_visible_to
from collection.services.visits import OPEN_STATUSES
from lending.masking import borrower_name_for


def visits_visible_to(user) -> QuerySet[FieldVisit]:
    """The field visits of the cases the user may see."""
    return FieldVisit.objects.filter(case__in=cases_visible_to(user))


def visit_visible_get(user, pk: int) -> FieldVisit:
    """A visit (with its case) on a case the user may see, else 404: what a team lead schedules or rejects."""
    return get_object_or_404(visits_visible_to(user).select_related("case"), pk=pk)


def visits_to_decide(user, status: str) -> QuerySet[FieldVisit]:
    """The team lead's list: the visits in `status` (requested or scheduled) on the cases they see."""
    return visits_visible_to(user).filter(status=status).select_related("case", "case__borrower", "requested_by")


def visit_requests_count(user) -> int:
    """How many visits wait to be scheduled on the cases the user sees (the approval queue's reminder)."""
    return visits_visible_to(user).filter(status=VisitStatus.REQUESTED).count()


def visit_open_for(case) -> FieldVisit | None:
    """The case's visit requested or scheduled, if any (the case already read through the scope)."""
    return case.visits.filter(status__in=OPEN_STATUSES).first()


def field_agents() -> QuerySet[User]:
    """Whom a visit can be given to: the active field agents, by team and name."""
    return (
        User.objects.filter(role=Role.FIELD_AGENT, is_active=True)
        .select_related("team")
        .order_by("team__name", "first_name", "last_name", "username")
    )


def agent_day_visits(user, day: datetime.date) -> list[FieldVisit]:
    """
    A field agent's visits of one day (scheduled or done), by district and
    address, each with `borrower_name` as this user may see it.
    """
    visits = list(
        visits_visible_to(user)
        .filter(agent=user, scheduled_on=day, status__in=[VisitStatus.SCHEDULED, VisitStatus.DONE])
        .select_related("case", "case__borrower")
        .order_by("district", "address", "id")
    )
    for visit in visits:
        visit.borrower_name = borrower_name_for(user, visit.case.borrower.name)
    return visits


def agent_visit_get(user, pk: int) -> FieldVisit:
    """One of the agent's own visits, with its case, borrower and portfolio (for the report), else 404."""
    visits = visits_visible_to(user).filter(agent=user)
    return get_object_or_404(visits.select_related("case", "case__borrower", "case__portfolio"), pk=pk)


def visit_attachments(visit: FieldVisit) -> list:
    """A filed report's photos and recordings (none before it is filed)."""
    return list(visit.attachments.all()) if visit.status == VisitStatus.DONE else []
