"""Reads of the accounts app, scoped to what the asking user may see."""

from django.db.models import Count, QuerySet

from accounts.models import AuditEvent, Team, User
from accounts.permissions import Capability, user_can


def audit_events_visible_to(user) -> QuerySet[AuditEvent]:
    """The whole trail for those who may audit; otherwise only the user's own actions."""
    events = AuditEvent.objects.select_related("actor", "target_type")
    if user_can(user, Capability.VIEW_AUDIT_TRAIL):
        return events
    return events.filter(actor=user)


def teams_visible_to(user) -> QuerySet[Team]:
    """Managers and administrators see every team; a team lead the teams they lead."""
    teams = Team.objects.filter(is_active=True).select_related("lead")
    if user_can(user, Capability.VIEW_ALL_TEAMS):
        return teams
    if user_can(user, Capability.VIEW_LED_TEAMS):
        return teams.filter(lead=user)
    return teams.none()


def team_members(teams) -> QuerySet[User]:
    return User.objects.filter(team__in=teams, is_active=True).order_by("team__name", "role", "username")


def staff_count_by_role() -> dict[str, int]:
    rows = User.objects.filter(is_active=True).values("role").annotate(count=Count("id"))
    return {row["role"]: row["count"] for row in rows}
