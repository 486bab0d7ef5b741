import pytest
from django.urls import reverse

from accounts.permissions import ROLE_CAPABILITIES, Capability, user_can
from accounts.roles import Role

pytestmark = pytest.mark.django_db


def test_every_role_has_a_row_in_the_matrix():
    assert set(ROLE_CAPABILITIES) == set(Role)


def test_every_capability_in_the_matrix_exists():
    for capabilities in ROLE_CAPABILITIES.values():
        assert capabilities <= set(Capability)


def test_an_inactive_user_holds_nothing(admin_user):
    admin_user.is_active = False
    assert not user_can(admin_user, Capability.ADMINISTER)


def test_anonymous_holds_nothing():
    from django.contrib.auth.models import AnonymousUser

    assert not user_can(AnonymousUser(), Capability.VIEW_AUDIT_TRAIL)


@pytest.mark.parametrize("role", [Role.COLLECTOR, Role.TEAM_LEAD, Role.AGENCY_AGENT, Role.FIELD_AGENT])
def test_a_role_without_the_right_gets_a_403_page(client, user_of_role, role):
    client.force_login(user_of_role(role))
    response = client.get(reverse("accounts:audit_trail"))
    assert response.status_code == 403
    assert "Your role does not give access to this page" in response.text
    # The 403 page keeps the user's navigation, so they can go on working.
    assert 'data-nav="home"' in response.text


def test_a_visitor_is_sent_to_log_in(client):
    response = client.get(reverse("accounts:audit_trail"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:login"))


@pytest.mark.parametrize("role", [Role.MANAGER, Role.COLLECTOR])
def test_only_administrators_enter_the_admin_site(client, user_of_role, role):
    client.force_login(user_of_role(role))
    response = client.get(reverse("admin:index"))
    assert response.status_code == 302
    assert reverse("admin:login") in response["Location"]


def test_an_administrator_enters_the_admin_site(client, admin_user):
    client.force_login(admin_user)
    response = client.get(reverse("admin:index"))
    assert response.status_code == 200
    assert "Arrears administration" in response.text


def test_unknown_page_is_a_404_in_the_layout(client, collector):
    client.force_login(collector)
    response = client.get("/no-such-page/")
    assert response.status_code == 404
