from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from axes.models import AccessAttempt
from django.test import Client
from django.urls import reverse

from accounts.models import AuditEvent
from tests.factories import PASSWORD

pytestmark = pytest.mark.django_db

LOGIN_URL = reverse("accounts:login")
GENERIC_LOGIN_ERROR = "Please enter a correct username and password"
LOCKED_OUT = "Too many failed logins"
ADDRESS_A = "198.51.100.7"
ADDRESS_B = "203.0.113.20"
PROXY = "10.0.0.2"


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


def _fail(client, username="collector", address=ADDRESS_A, times=1, **extra):
    for _attempt in range(times):
        client.post(LOGIN_URL, {"username": username, "password": "wrong"}, REMOTE_ADDR=address, **extra)


def _log_in(client, username="collector", address=ADDRESS_A, **extra):
    return client.post(LOGIN_URL, {"username": username, "password": PASSWORD}, REMOTE_ADDR=address, **extra)


def test_too_many_failures_lock_the_user_name_out_from_that_address(client, collector, settings):
    settings.AXES_FAILURE_LIMIT = 3
    _fail(client, times=3)
    response = _log_in(client)
    assert response.status_code == 429
    assert LOCKED_OUT in response.text
    assert "Log in to Arrears" in response.text
    assert "_auth_user_id" not in client.session


def test_the_lockout_page_says_for_how_long(client, collector, settings):
    settings.AXES_FAILURE_LIMIT = 3
    settings.AXES_COOLOFF_TIME = timedelta(minutes=15)
    _fail(client, times=3)
    response = _log_in(client)
    assert "paused for 15 minutes" in response.text


def test_the_lockout_page_speaks_the_visitors_language(client, collector, settings):
    settings.AXES_FAILURE_LIMIT = 3
    _fail(client, times=3)
    response = _log_in(client, HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert response.status_code == 429
    assert "登录 Arrears" in response.text


def test_the_lock_does_not_reach_the_same_user_at_another_address(client, collector, settings):
    settings.AXES_FAILURE_LIMIT = 3
    _fail(client, address=ADDRESS_A, times=5)
    response = _log_in(client, address=ADDRESS_B)
    assert response.status_code == 302
    assert client.session["_auth_user_id"] == str(collector.pk)


def test_the_lock_does_not_reach_another_user_at_the_same_address(client, collector, manager, settings):
    settings.AXES_FAILURE_LIMIT = 3
    _fail(client, username="collector", times=3)
    response = _log_in(client, username="manager")
    assert response.status_code == 302


def test_one_address_trying_many_user_names_is_locked_out(client, collector, settings):
    settings.AXES_FAILURE_LIMIT = 3
    settings.LOGIN_ADDRESS_FAILURE_LIMIT = 6
    for number in range(6):
        _fail(client, username=f"guess{number}", address=ADDRESS_A)
    locked = _log_in(client, address=ADDRESS_A)
    assert locked.status_code == 429
    assert "_auth_user_id" not in client.session
    assert _log_in(client, address=ADDRESS_B).status_code == 302


def test_behind_trusted_proxies_the_forwarded_client_address_is_limited(client, collector, settings):
    settings.AXES_FAILURE_LIMIT = 3
    settings.TRUSTED_PROXY_COUNT = 1
    _fail(client, address=PROXY, times=3, HTTP_X_FORWARDED_FOR=ADDRESS_A)
    assert _log_in(client, address=PROXY, HTTP_X_FORWARDED_FOR=ADDRESS_A).status_code == 429
    assert _log_in(client, address=PROXY, HTTP_X_FORWARDED_FOR=ADDRESS_B).status_code == 302


def test_a_forged_forwarded_address_does_not_escape_the_lock(client, collector, settings):
    settings.AXES_FAILURE_LIMIT = 3
    settings.TRUSTED_PROXY_COUNT = 0
    _fail(client, times=3)
    assert _log_in(client, HTTP_X_FORWARDED_FOR=ADDRESS_B).status_code == 429


def test_the_lock_ends_after_the_cool_off_time(client, collector, settings):
    settings.AXES_FAILURE_LIMIT = 3
    settings.AXES_COOLOFF_TIME = timedelta(minutes=15)
    with time_machine.travel(datetime(2026, 3, 2, 9, 0, tzinfo=UTC), tick=False) as traveller:
        _fail(client, times=3)
        traveller.shift(timedelta(minutes=10))
        assert _log_in(client).status_code == 429
        # Attempts refused during the lock do not extend it.
        traveller.shift(timedelta(minutes=6))
        assert _log_in(client).status_code == 302


def test_a_successful_login_forgets_earlier_failures(client, collector, settings):
    settings.AXES_FAILURE_LIMIT = 3
    _fail(client, times=2)
    _log_in(client)
    client.post(reverse("accounts:logout"))
    _fail(client, times=2)
    response = _log_in(client)
    assert response.status_code == 302
    assert not AccessAttempt.objects.exists()


def test_a_lockout_is_audited_with_the_address(client, collector, settings):
    settings.AXES_FAILURE_LIMIT = 3
    _fail(client, times=3)
    event = AuditEvent.objects.get(action="accounts.login_locked_out")
    assert event.actor is None
    assert event.data == {"username": "collector"}
    assert event.ip_address == ADDRESS_A
    assert AuditEvent.objects.filter(action="accounts.login_failed").count() == 3


def test_an_administrator_sees_the_locked_out_attempts(client, collector, admin_user, settings):
    settings.AXES_FAILURE_LIMIT = 3
    _fail(client, times=3)
    client.force_login(admin_user)
    response = client.get(reverse("admin:axes_accessattempt_changelist"))
    assert response.status_code == 200
    assert "collector" in response.text
    assert ADDRESS_A in response.text


def test_the_administration_offers_the_attempts_but_not_axes_empty_logs(client, admin_user):
    client.force_login(admin_user)
    response = client.get(reverse("admin:index"))
    assert reverse("admin:axes_accessattempt_changelist") in response.text
    assert "/admin/axes/accesslog/" not in response.text
    assert "/admin/axes/accessfailurelog/" not in response.text


def test_a_collector_cannot_reach_the_attempts(client, collector):
    client.force_login(collector)
    response = client.get(reverse("admin:axes_accessattempt_changelist"))
    assert response.status_code == 302
    assert reverse("admin:login") in response["Location"]


def test_an_administrator_unlocks_by_deleting_the_attempt(client, collector, admin_user, settings):
    settings.AXES_FAILURE_LIMIT = 3
    _fail(client, times=3)
    attempt = AccessAttempt.objects.get(username="collector", ip_address=ADDRESS_A)
    admin_client = Client()
    admin_client.force_login(admin_user)
    response = admin_client.post(reverse("admin:axes_accessattempt_delete", args=[attempt.pk]), {"post": "yes"})
    assert response.status_code == 302
    assert not AccessAttempt.objects.exists()
    assert AuditEvent.objects.filter(action="axes.accessattempt.deleted", actor=admin_user).count() == 1
    assert _log_in(client).status_code == 302


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
