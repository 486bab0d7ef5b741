"""The demo staff: one user per role, with passwords printed for the README."""

from django.db import transaction

from accounts.models import Team, User
from accounts.roles import Role
from accounts.services import audit_record, user_apply_role

DEMO_TEAMS = [
    # name, kind, username of the lead
    ("Early collections A", Team.Kind.EARLY, "lead"),
    ("Late collections", Team.Kind.LATE, "lead"),
    ("Field visits East", Team.Kind.FIELD, "lead"),
    ("Legal", Team.Kind.LEGAL, "manager"),
]

DEMO_STAFF = [
    # username, role, first name, last name, team
    ("collector", Role.COLLECTOR, "Li", "Na", "Early collections A"),
    ("field", Role.FIELD_AGENT, "Wang", "Qiang", "Field visits East"),
    ("lead", Role.TEAM_LEAD, "Zhang", "Wei", None),
    ("legal", Role.LEGAL_OFFICER, "Chen", "Jing", "Legal"),
    ("manager", Role.MANAGER, "Liu", "Yang", None),
    ("agency", Role.AGENCY_AGENT, "Zhao", "Min", None),
    ("admin", Role.ADMIN, "Sun", "Li", None),
    # The rest of the floor, so that queues, balancing and the field agent's day look like a working team.
    ("zhou", Role.COLLECTOR, "Zhou", "Min", "Early collections A"),
    ("wu", Role.COLLECTOR, "Wu", "Hao", "Early collections A"),
    ("huang", Role.COLLECTOR, "Huang", "Lei", "Late collections"),
    ("xu", Role.COLLECTOR, "Xu", "Fang", "Late collections"),
    ("field2", Role.FIELD_AGENT, "Guo", "Jun", "Field visits East"),
]


def demo_password(username: str) -> str:
    return f"{username}-demo-2026"


@transaction.atomic
def demo_staff_ensure() -> list[tuple[User, str]]:
    """
    Create (or put back) the demo staff and teams. Running it again resets
    their roles, teams and passwords and creates nothing twice.
    """
    users = {}
    for username, role, first_name, last_name, _team in DEMO_STAFF:
        user, created = User.objects.get_or_create(username=username)
        user.role, user.first_name, user.last_name, user.is_active = role, first_name, last_name, True
        user_apply_role(user)
        user.set_password(demo_password(username))
        user.save()
        if created:
            audit_record(action="accounts.user.created", target=user, actor=None, data={"role": role, "demo": True})
        users[username] = user
    teams = {}
    for name, kind, lead in DEMO_TEAMS:
        team, created = Team.objects.update_or_create(name=name, defaults={"kind": kind, "lead": users[lead]})
        if created:
            audit_record(action="accounts.team.created", target=team, actor=None, data={"kind": kind, "demo": True})
        teams[name] = team
    for username, _role, _first, _last, team_name in DEMO_STAFF:
        user = users[username]
        user.team = teams.get(team_name)
        user.save(update_fields=["team"])
    return [(users[row[0]], demo_password(row[0])) for row in DEMO_STAFF]
