import pytest
from django.conf import settings
from django.urls import reverse

from accounts.models import AuditEvent
from tests.factories import PASSWORD

pytestmark = pytest.mark.django_db

SWITCH_URL = reverse("accounts:language")


def test_a_user_switches_to_chinese_and_the_page_speaks_it(client, collector):
    client.force_login(collector)
    response = client.post(SWITCH_URL, {"language": "zh-hans", "next": "/?overview=1"}, follow=True)
    assert response.status_code == 200
    assert '<html lang="zh-hans">' in response.text
    assert "退出" in response.text  # "Log out"
    collector.refresh_from_db()
    assert collector.language == "zh-hans"


def test_the_choice_is_remembered_at_the_next_login(client, collector):
    client.force_login(collector)
    client.post(SWITCH_URL, {"language": "zh-hans", "next": "/"})
    client.post(reverse("accounts:logout"))
    client.cookies.pop(settings.LANGUAGE_COOKIE_NAME, None)  # another browser
    client.post(reverse("accounts:login"), {"username": "collector", "password": PASSWORD})
    response = client.get(reverse("accounts:home"), {"overview": "1"})
    assert '<html lang="zh-hans">' in response.text


def test_the_switch_is_audited(client, collector):
    client.force_login(collector)
    client.post(SWITCH_URL, {"language": "zh-hans", "next": "/"})
    event = AuditEvent.objects.get(action="accounts.user.language_changed")
    assert event.actor == collector
    assert event.data == {"from": "", "to": "zh-hans"}


def test_a_visitor_switches_the_login_page(client):
    response = client.post(SWITCH_URL, {"language": "zh-hans", "next": reverse("accounts:login")}, follow=True)
    assert '<html lang="zh-hans">' in response.text
    assert "登录" in response.text


def test_an_unknown_language_is_refused_with_a_message(client, collector):
    client.force_login(collector)
    response = client.post(SWITCH_URL, {"language": "xx", "next": "/"}, follow=True)
    assert "Choose one of the offered languages." in response.text
    collector.refresh_from_db()
    assert collector.language == ""


def test_it_does_not_redirect_off_site(client, collector):
    client.force_login(collector)
    response = client.post(SWITCH_URL, {"language": "en", "next": "https://evil.example/"})
    assert response["Location"] == "/"


def test_it_rejects_get(client, collector):
    client.force_login(collector)
    assert client.get(SWITCH_URL).status_code == 405
