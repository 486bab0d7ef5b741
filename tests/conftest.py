"""
The cast every test can call on: a collector and a team lead in team A, a
manager, an administrator, one agency agent each of agencies A and B (agency
links arrive with the collection app), a field agent, a legal officer and an
outsider, a collector of another team who must not see team A's work.
"""

import pytest
from hypothesis import settings as hypothesis_settings

from accounts.roles import Role
from tests.factories import TeamFactory, UserFactory

# Property tests are judged by their examples, not their speed: on a busy machine (CI, the suite in
# parallel) Hypothesis's default 200 ms deadline per example failed tests that were right.
hypothesis_settings.register_profile("arrears", deadline=None)
hypothesis_settings.load_profile("arrears")


@pytest.fixture(autouse=True)
def _media_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def eager_celery():
    """Run tasks in-process when they are sent (on commit), as a worker would."""
    from config.celery import app as celery_app

    previous = celery_app.conf.task_always_eager
    celery_app.conf.task_always_eager = True
    yield
    celery_app.conf.task_always_eager = previous


@pytest.fixture(autouse=True)
def _fresh_cache():
    from django.core.cache import cache

    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def team_lead(db):
    return UserFactory(username="lead", role=Role.TEAM_LEAD)


@pytest.fixture
def team_a(db, team_lead):
    return TeamFactory(name="Early A", lead=team_lead)


@pytest.fixture
def team_b(db):
    return TeamFactory(name="Early B")


@pytest.fixture
def collector(db, team_a):
    return UserFactory(username="collector", role=Role.COLLECTOR, team=team_a)


@pytest.fixture
def outsider(db, team_b):
    """A collector of another team: sees nothing of team A's."""
    return UserFactory(username="outsider", role=Role.COLLECTOR, team=team_b)


@pytest.fixture
def field_agent(db):
    return UserFactory(username="field", role=Role.FIELD_AGENT)


@pytest.fixture
def legal_officer(db):
    return UserFactory(username="legal", role=Role.LEGAL_OFFICER)


@pytest.fixture
def manager(db):
    return UserFactory(username="manager", role=Role.MANAGER)


@pytest.fixture
def admin_user(db):
    return UserFactory(username="admin", role=Role.ADMIN)


@pytest.fixture
def agency_agent(db):
    return UserFactory(username="agency_a", role=Role.AGENCY_AGENT)


@pytest.fixture
def agency_agent_b(db):
    return UserFactory(username="agency_b", role=Role.AGENCY_AGENT)


@pytest.fixture
def user_of_role(db):
    """Make a user of any role: user_of_role(Role.MANAGER)."""

    def make(role, **kwargs):
        return UserFactory(username=kwargs.pop("username", f"as_{role}"), role=role, **kwargs)

    return make


@pytest.fixture(autouse=True)
def _default_language():
    """A request activates its user's language in the thread; do not let it leak into the next test."""
    from django.conf import settings
    from django.utils import translation

    yield
    translation.activate(settings.LANGUAGE_CODE)
