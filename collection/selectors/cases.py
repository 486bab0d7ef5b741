"""
The one scope every read of collection goes through: what a user may see.

- a collector: the cases assigned to them and to their team;
- a team lead: the cases of every team they lead (and their own team's);
- a field agent: the cases they have a visit for;
- a legal officer: the cases in the legal stage (referred, or with a litigation file);
- managers and administrators (VIEW_ALL_CASES): every case;
- an agency agent (WORK_AGENCY_CASES): the cases placed with their own agency
  now (`Case.agency`, set while a placement is active), in the agency stage;
  never a recalled or unplaced case, never another agency's;
- anyone else: none.
"""

from django.db.models import Q, QuerySet
from django.shortcuts import get_object_or_404

from accounts.permissions import Capability, user_can
from collection.agencies.members import agency_id_of
from collection.models import Case, Stage


def cases_visible_to(user, queryset: QuerySet | None = None) -> QuerySet:
    cases = Case.objects.all() if queryset is None else queryset
    if not user_can(user, Capability.VIEW_CASES):
        return cases.none()
    if user_can(user, Capability.WORK_AGENCY_CASES):
        agency_id = agency_id_of(user)
        if agency_id is None:
            return cases.none()
        return cases.filter(agency_id=agency_id, stage=Stage.AGENCY)
    if user_can(user, Capability.VIEW_ALL_CASES):
        return cases
    if user_can(user, Capability.WORK_LEGAL):
        return cases.filter(stage=Stage.LEGAL)
    scope = Q(assigned_to=user)
    team_ids = set(user.led_teams.values_list("id", flat=True))
    if user.team_id:
        team_ids.add(user.team_id)
    if team_ids:
        scope |= Q(team_id__in=team_ids)
    if user_can(user, Capability.VISIT_BORROWERS):
        # A field agent sees a case through their visits only.
        return cases.filter(visits__agent=user).distinct()
    return cases.filter(scope)


def case_visible_get(user, pk: int, queryset: QuerySet | None = None) -> Case:
    """The case if the user may see it, else 404 (never 403: an outsider learns nothing)."""
    return get_object_or_404(cases_visible_to(user, queryset), pk=pk)


def case_with_borrower_get(user, pk: int) -> Case:
    """The case with its borrower, if the user may see it, else 404: what the proposal and visit dialogs read."""
    return case_visible_get(user, pk, Case.objects.select_related("borrower"))
