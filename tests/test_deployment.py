"""Production settings pass Django's deployment checks; models and migrations agree."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

BASE_DIR = Path(__file__).resolve().parent.parent

# Warnings the README explains: HSTS for sub-domains and preloading are
# decisions about the lender's whole domain, so they are opt-in.
EXPLAINED_WARNINGS = {"security.W005", "security.W021"}


def manage(*args, **environment):
    # A clean environment: none of the test run's own knobs (tests/settings.py).
    env = {
        "PATH": os.environ["PATH"],
        "HOME": os.environ.get("HOME", str(BASE_DIR)),
        "DJANGO_SETTINGS_MODULE": "config.settings",
    }
    env.update(environment)
    return subprocess.run(
        [sys.executable, "manage.py", *args], cwd=BASE_DIR, env=env, capture_output=True, text=True, timeout=120
    )


def test_check_deploy_reports_only_what_the_readme_explains(tmp_path):
    result = manage(
        "check",
        "--deploy",
        "--fail-level",
        "ERROR",
        DEBUG="false",
        DEMO="false",
        SECRET_KEY="k" * 20 + "a-long-random-production-key-0123456789",
        ALLOWED_HOSTS="arrears.example.com",
        VAR_DIR=str(tmp_path),
    )
    assert result.returncode == 0, result.stderr
    reported = {word.strip("():") for word in result.stderr.split() if word.startswith("(") and "." in word}
    assert reported <= EXPLAINED_WARNINGS, result.stderr


def test_without_a_secret_key_production_refuses_to_start(tmp_path):
    result = manage("check", DEBUG="false", DEMO="false", SECRET_KEY="", VAR_DIR=str(tmp_path))
    assert result.returncode != 0
    assert "Set the SECRET_KEY environment variable" in result.stderr


@pytest.mark.django_db
def test_models_and_migrations_agree():
    from django.core.management import call_command

    call_command("makemigrations", "--check", "--dry-run", verbosity=0)
