import pytest
from django.urls import reverse

from accounts.models import AuditEvent
from tests.factories import PASSWORD

pytestmark = pytest.mark.django_db

LOGIN_URL = reverse("accounts:login")
GENERIC_LOGIN_ERROR = "Please enter a correct username and password"


def test_it_shows_the_login_page(client):
    response = client.get(LOGIN_URL)
    assert response.status_code == 200
    assert "Log in to Arrears" in response.text


def test_it_logs_in_and_lands_on_their_work(client, collector):
    response = client.post(LOGIN_URL, {"username": "collector", "password": PASSWORD}, follow=True)
    assert [url for url, _status in response.redirect_chain] == [
        reverse("accounts:home"),
        reverse("collection:my_queue"),
    ]
    assert response.context["user"] == collector
    assert AuditEvent.objects.filter(action="accounts.login", actor=collector).count() == 1


def test_it_follows_next_after_login(client, manager):
    response = client.post(
        LOGIN_URL + "?next=/audit/", {"username": "manager", "password": PASSWORD, "next": "/audit/"}
    )
    assert response.status_code == 302
    assert response["Location"] == "/audit/"


def test_wrong_password_and_unknown_user_get_the_same_message(client, collector):
    wrong_password = client.post(LOGIN_URL, {"username": "collector", "password": "nope"})
    unknown_user = client.post(LOGIN_URL, {"username": "nobody", "password": "nope"})
    for response in (wrong_password, unknown_user):
        assert response.status_code == 200
        assert GENERIC_LOGIN_ERROR in response.text
        assert "does not exist" not in response.text
    assert "_auth_user_id" not in client.session


def test_failed_login_is_audited_without_the_password(client, collector):
    client.post(LOGIN_URL, {"username": "collector", "password": "secret-guess"})
    event = AuditEvent.objects.get(action="accounts.login_failed")
    assert event.actor is None
    assert event.data == {"username": "collector"}
    assert "secret-guess" not in str(event.data)
    assert event.ip_address == "127.0.0.1"


def test_inactive_user_cannot_log_in(client, collector):
    collector.is_active = False
    collector.save()
    response = client.post(LOGIN_URL, {"username": "collector", "password": PASSWORD})
    assert GENERIC_LOGIN_ERROR in response.text
    assert "_auth_user_id" not in client.session


def test_too_many_failures_lock_the_user_name(client, collector, settings):
    settings.LOGIN_FAILURE_LIMIT = 3
    for _attempt in range(3):
        client.post(LOGIN_URL, {"username": "collector", "password": "wrong"})
    response = client.post(LOGIN_URL, {"username": "collector", "password": PASSWORD})
    assert "Too many failed attempts for this user name" in response.text
    assert "_auth_user_id" not in client.session


def test_a_successful_login_forgets_earlier_failures(client, collector, settings):
    settings.LOGIN_FAILURE_LIMIT = 3
    for _attempt in range(2):
        client.post(LOGIN_URL, {"username": "collector", "password": "wrong"})
    client.post(LOGIN_URL, {"username": "collector", "password": PASSWORD})
    client.post(reverse("accounts:logout"))
    for _attempt in range(2):
        client.post(LOGIN_URL, {"username": "collector", "password": "wrong"})
    response = client.post(LOGIN_URL, {"username": "collector", "password": PASSWORD})
    assert response.status_code == 302


def test_it_logs_out(client, collector):
    client.force_login(collector)
    response = client.post(reverse("accounts:logout"))
    assert response.status_code == 302
    assert response["Location"] == LOGIN_URL
    assert "_auth_user_id" not in client.session
    assert AuditEvent.objects.filter(action="accounts.logout", actor=collector).exists()


def test_logout_rejects_get(client, collector):
    client.force_login(collector)
    response = client.get(reverse("accounts:logout"))
    assert response.status_code == 405
    assert "_auth_user_id" in client.session


def test_home_requires_login(client):
    response = client.get(reverse("accounts:home"))
    assert response.status_code == 302
    assert response["Location"].startswith(LOGIN_URL)
