"""An administrator manages users, roles and teams in the admin; every change is audited."""

import pytest
from django.urls import reverse

from accounts.models import AuditEvent, Team, User
from accounts.roles import Role

pytestmark = pytest.mark.django_db


def test_an_administrator_creates_a_user_with_a_role_and_team(client, admin_user, team_a):
    client.force_login(admin_user)
    response = client.post(
        reverse("admin:accounts_user_add"),
        {
            "username": "newcollector",
            "password1": "a-long-enough-Passw0rd",
            "password2": "a-long-enough-Passw0rd",
            "usable_password": "true",
            "role": Role.COLLECTOR,
            "team": team_a.pk,
        },
    )
    assert response.status_code == 302, response.content
    user = User.objects.get(username="newcollector")
    assert (user.role, user.team, user.is_staff) == (Role.COLLECTOR, team_a, False)
    event = AuditEvent.objects.get(action="accounts.user.created", target_id=str(user.pk))
    assert event.actor == admin_user


def test_making_someone_an_administrator_gives_them_the_admin_site(client, admin_user, collector):
    client.force_login(admin_user)
    response = client.post(
        reverse("admin:accounts_user_change", args=[collector.pk]),
        {
            "username": collector.username,
            "first_name": collector.first_name,
            "last_name": collector.last_name,
            "email": "",
            "role": Role.ADMIN,
            "team": "",
            "is_active": "on",
            "language": "",
            "time_zone": "",
        },
    )
    assert response.status_code == 302, response.content
    collector.refresh_from_db()
    assert (collector.role, collector.is_staff, collector.is_superuser) == (Role.ADMIN, True, True)
    event = AuditEvent.objects.get(action="accounts.user.changed", target_id=str(collector.pk))
    assert event.data == {"fields": ["role", "team"]}


def test_an_administrator_creates_a_team(client, admin_user, team_lead):
    client.force_login(admin_user)
    response = client.post(
        reverse("admin:accounts_team_add"),
        {
            "name": "Late collections",
            "kind": Team.Kind.LATE,
            "lead": team_lead.pk,
            "is_active": "on",
            "members-TOTAL_FORMS": "0",
            "members-INITIAL_FORMS": "0",
        },
    )
    assert response.status_code == 302, response.content
    team = Team.objects.get(name="Late collections")
    assert AuditEvent.objects.filter(action="accounts.team.created", target_id=str(team.pk), actor=admin_user).exists()


def test_a_user_who_has_acted_cannot_be_deleted(client, admin_user, collector):
    from django.db.models import ProtectedError

    from accounts.services import audit_record

    audit_record(action="accounts.test.done", actor=collector)
    with pytest.raises(ProtectedError):
        collector.delete()


def test_createsuperuser_makes_an_administrator(db):
    user = User.objects.create_superuser("root", "root@example.com", "a-long-enough-Passw0rd")
    assert user.role == Role.ADMIN
