"""Bulk reassignment's reads: whom a user may move cases to, and which of the ticked cases they may move."""

from django.db.models import QuerySet

from accounts.models import Team, User
from accounts.permissions import ROLE_CAPABILITIES, Capability
from accounts.selectors import teams_visible_to
from collection.models import CaseStatus
from collection.selectors.cases import cases_visible_to


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


def reassignable_case_ids(user, case_ids) -> list[int]:
    """Of `case_ids`, the open cases the user may see, sorted; any other id is dropped without a word (as a 404)."""
    if not case_ids:
        return []
    visible = cases_visible_to(user).exclude(status=CaseStatus.CLOSED).filter(pk__in=case_ids)
    return sorted(visible.values_list("pk", flat=True))
