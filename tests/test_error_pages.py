"""
The error pages a user meets are the app's own, in the user's language, inside
the usual layout; never Django's (debug or default) pages.
"""

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import translation
from django.views.defaults import server_error

from accounts.roles import Role

pytestmark = pytest.mark.django_db

BASE_DIR = Path(__file__).resolve().parent.parent

# What Django's own pages say, debug or not.
DJANGO_PAGES = ("Using the URLconf", "technical_404", "<h1>Not Found</h1>", "403 Forbidden", "CSRF verification failed")


def _as(client, user, language):
    user.language = language
    user.save(update_fields=["language"])
    client.force_login(user)
    return client


def _ours(response):
    for phrase in DJANGO_PAGES:
        assert phrase not in response.text
    assert 'class="topbar"' in response.text  # the base layout


@pytest.mark.parametrize(
    ("language", "html_lang", "heading", "sentence"),
    [
        ("en", "en", "Not found", "There is nothing here, or nothing you may see."),
        ("zh-hans", "zh-hans", "页面不存在", "此处没有内容，或您无权查看。"),
    ],
)
def test_a_missing_page_is_our_404_in_the_users_language(client, collector, language, html_lang, heading, sentence):
    response = _as(client, collector, language).get("/no-such-page/")
    assert response.status_code == 404
    _ours(response)
    assert f'<html lang="{html_lang}">' in response.text
    assert heading in response.text
    assert sentence in response.text


@pytest.mark.parametrize(
    ("language", "heading", "sentence"),
    [
        ("en", "Not allowed", "Your role does not give access to this page."),
        ("zh-hans", "无权访问", "您的角色无权访问此页面。"),
    ],
)
def test_a_forbidden_page_is_our_403_in_the_users_language(client, user_of_role, language, heading, sentence):
    response = _as(client, user_of_role(Role.AGENCY_AGENT), language).get(reverse("lending:borrower_list"))
    assert response.status_code == 403
    _ours(response)
    assert heading in response.text
    assert sentence in response.text


def test_a_visitor_gets_the_404_in_the_browsers_language(client):
    response = client.get("/no-such-page/", headers={"accept-language": "zh-hans"})
    assert response.status_code == 404
    _ours(response)
    assert "页面不存在" in response.text


@pytest.mark.parametrize(("language", "heading"), [("en", "Bad request"), ("zh-hans", "请求无效")])
def test_a_bad_request_is_our_400(client, language, heading):
    # Refused for its Host header before anyone is known: the browser's language.
    response = client.get("/", headers={"host": "evil.example", "accept-language": language})
    assert response.status_code == 400
    _ours(response)
    assert heading in response.text


@pytest.mark.parametrize(("language", "heading"), [("en", "The form has expired"), ("zh-hans", "表单已过期")])
def test_a_form_without_its_csrf_token_is_our_403(collector, language, heading):
    client = _as(Client(enforce_csrf_checks=True), collector, language)
    response = client.post(reverse("accounts:language"), {"language": "en", "next": "/"})
    assert response.status_code == 403
    _ours(response)
    assert heading in response.text


@pytest.mark.parametrize(("language", "heading"), [("en", "Server error"), ("zh-hans", "服务器错误")])
def test_the_500_page_needs_nothing_but_the_language(rf, language, heading, django_assert_num_queries):
    with translation.override(language), django_assert_num_queries(0):
        response = server_error(rf.get("/"))
    assert response.status_code == 500
    text = response.content.decode()
    assert f'<html lang="{language}">' in text
    assert heading in text
    assert "{%" not in text and "/static/" not in text


def test_the_demo_runs_with_debug_off_over_plain_http(tmp_path):
    """`make run`'s .env (DEMO=true): our 404, no https redirect, static files from whitenoise."""
    env = {
        "PATH": os.environ["PATH"],
        "HOME": os.environ.get("HOME", str(BASE_DIR)),
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "DEMO": "true",
        "DEBUG": "false",
        "VAR_DIR": str(tmp_path),
    }

    def manage(*args):
        result = subprocess.run(
            [sys.executable, "manage.py", *args], cwd=BASE_DIR, env=env, capture_output=True, text=True, timeout=180
        )
        assert result.returncode == 0, result.stderr
        return result.stdout

    manage("collectstatic", "--no-input", "-v0")
    script = (
        "from django.conf import settings; from django.test import Client; "
        "from django.templatetags.static import static; "
        "c = Client(headers={'host': '127.0.0.1:8000'}); "
        "r = c.get('/no-such-page/'); s = c.get(static('css/arrears.css')); h = c.get('/login/'); "
        "print(settings.DEBUG, r.status_code, 'There is nothing here' in r.text, 'Using the URLconf' in r.text, "
        "s.status_code, h.status_code, h.cookies['csrftoken']['secure'] or False)"
    )
    assert manage("shell", "-v0", "-c", script).split() == ["False", "404", "True", "False", "200", "200", "False"]
