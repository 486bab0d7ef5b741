import datetime

import pytest
from django.contrib.sessions.backends.db import SessionStore
from django.contrib.sessions.models import Session
from django.core.exceptions import ValidationError

from accounts.models import AuditEvent, Team, User
from accounts.roles import Role
from accounts.services import AccountsError, sessions_clear_expired, team_create, user_create, user_language_set

pytestmark = pytest.mark.django_db


def test_user_create_writes_the_user_and_its_audit_event(team_a):
    user = user_create(username="new", role=Role.ADMIN, password="a-long-enough-Passw0rd", team=team_a)
    assert (user.is_staff, user.is_superuser, user.check_password("a-long-enough-Passw0rd")) == (True, True, True)
    assert AuditEvent.objects.filter(action="accounts.user.created", target_id=str(user.pk)).count() == 1


def test_user_create_with_a_bad_role_writes_nothing():
    with pytest.raises(ValidationError):
        user_create(username="new", role="boss")
    assert User.objects.filter(username="new").count() == 0
    assert AuditEvent.objects.count() == 0


def test_team_create_with_a_taken_name_writes_nothing(team_a):
    with pytest.raises(ValidationError):
        team_create(name="Early A", kind=Team.Kind.LATE)
    assert Team.objects.count() == 1
    assert AuditEvent.objects.filter(action="accounts.team.created").count() == 0


def test_language_set_twice_changes_nothing_the_second_time(collector):
    user_language_set(user=collector, language="zh-hans")
    user_language_set(user=collector, language="zh-hans")
    assert AuditEvent.objects.filter(action="accounts.user.language_changed").count() == 1


def test_language_set_refuses_an_unknown_language(collector):
    with pytest.raises(AccountsError, match="Choose one of the offered languages"):
        user_language_set(user=collector, language="fr")


def test_sessions_clear_expired_keeps_live_sessions():
    live, dead = SessionStore(), SessionStore()
    live.create()
    dead.create()
    Session.objects.filter(session_key=dead.session_key).update(
        expire_date=datetime.datetime(2020, 1, 1, tzinfo=datetime.UTC)
    )
    assert sessions_clear_expired() == 1
    assert sessions_clear_expired() == 0
    assert list(Session.objects.values_list("session_key", flat=True)) == [live.session_key]
