"""The demo staff: one user per role, with passwords printed for the README."""

from django.db import transaction

from accounts.models import AuditEvent, Team, User
from accounts.roles import Role
from accounts.services import audit_record, user_apply_role

# The demo speaks the language of the lender it is seeded for (seed_demo
# --locale): "zh", a Chinese lender's floor, or "en", a US lender's.
DEMO_LOCALES = ("zh", "en")

DEMO_TEAMS = [
    # key, kind, username of the lead, name in English, name in Chinese
    ("early", Team.Kind.EARLY, "lead", "Early collections A", "早期催收一组"),
    ("late", Team.Kind.LATE, "lead", "Late collections", "后期催收组"),
    ("field", Team.Kind.FIELD, "lead", "Field visits East", "华东外访组"),
    ("legal", Team.Kind.LEGAL, "manager", "Legal", "法务组"),
]

DEMO_STAFF = [
    # username, role, first name, last name, name in Chinese (one field: surname first, no space), team key
    ("collector", Role.COLLECTOR, "Li", "Na", "李娜", "early"),
    ("field", Role.FIELD_AGENT, "Wang", "Qiang", "王强", "field"),
    ("lead", Role.TEAM_LEAD, "Zhang", "Wei", "张伟", None),
    ("legal", Role.LEGAL_OFFICER, "Chen", "Jing", "陈静", "legal"),
    ("manager", Role.MANAGER, "Liu", "Yang", "刘洋", None),
    ("agency", Role.AGENCY_AGENT, "Zhao", "Min", "赵敏", None),
    ("admin", Role.ADMIN, "Sun", "Li", "孙丽", None),
    # The rest of the floor, so that queues, balancing and the field agent's day look like a working team.
    ("zhou", Role.COLLECTOR, "Zhou", "Min", "周敏", "early"),
    ("wu", Role.COLLECTOR, "Wu", "Hao", "吴浩", "early"),
    ("huang", Role.COLLECTOR, "Huang", "Lei", "黄磊", "late"),
    ("xu", Role.COLLECTOR, "Xu", "Fang", "徐芳", "late"),
    ("field2", Role.FIELD_AGENT, "Guo", "Jun", "郭军", "field"),
    # The agencies' staff (collection/demo/agencies.py links them): a supervisor at `agency`'s, an agent at another.
    ("agency-lead", Role.AGENCY_AGENT, "Feng", "Tao", "冯涛", None),
    ("agency2", Role.AGENCY_AGENT, "He", "Lin", "何琳", None),
]


def demo_locale() -> str:
    """The locale the demo portfolio was last seeded in (seed_demo's audit event), "zh" before any."""
    event = AuditEvent.objects.filter(action="lending.demo_portfolio.seeded").order_by("-id").first()
    locale = (event.data or {}).get("locale") if event else None
    return locale if locale in DEMO_LOCALES else "zh"


def demo_teams() -> dict[str, Team]:
    """The demo teams by key, whichever language they were named in."""
    by_name = {team.name: team for team in Team.objects.filter(name__in=[n for row in DEMO_TEAMS for n in row[3:]])}
    teams = {}
    for key, _kind, _lead, name_en, name_zh in DEMO_TEAMS:
        team = by_name.get(name_en) or by_name.get(name_zh)
        if team is not None:
            teams[key] = team
    return teams


def demo_password(username: str) -> str:
    return f"{username}-demo-2026"


@transaction.atomic
def demo_staff_ensure(*, locale: str | None = None) -> list[tuple[User, str]]:
    """
    Create (or put back) the demo staff and teams, named in `locale` (by
    default the demo portfolio's, demo_locale()). Running it again resets
    their names, roles, teams and passwords and creates nothing twice; in the
    other locale it renames the same teams and staff.
    """
    locale = locale or demo_locale()
    users = {}
    for username, role, first_name, last_name, name_zh, _team in DEMO_STAFF:
        user, created = User.objects.get_or_create(username=username)
        if locale == "zh":
            first_name, last_name = name_zh, ""
        user.role, user.first_name, user.last_name, user.is_active = role, first_name, last_name, True
        user_apply_role(user)
        user.set_password(demo_password(username))
        user.save()
        if created:
            audit_record(action="accounts.user.created", target=user, actor=None, data={"role": role, "demo": True})
        users[username] = user
    teams = demo_teams()
    for key, kind, lead, name_en, name_zh in DEMO_TEAMS:
        name = name_zh if locale == "zh" else name_en
        team = teams.get(key)
        created = team is None
        if created:
            team = Team(name=name)
        team.name, team.kind, team.lead = name, kind, users[lead]
        team.save()
        if created:
            audit_record(action="accounts.team.created", target=team, actor=None, data={"kind": kind, "demo": True})
        teams[key] = team
    for username, *_names, team_key in DEMO_STAFF:
        user = users[username]
        user.team = teams.get(team_key)
        user.save(update_fields=["team"])
    return [(users[row[0]], demo_password(row[0])) for row in DEMO_STAFF]
