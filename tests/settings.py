"""
The test run's settings: config.settings itself, read with test defaults for
some of its environment knobs. Each is an ordinary knob, so CI overrides any
of them (DATABASE_URL and CELERY_BROKER_URL for PostgreSQL and Redis).
"""

import os
import tempfile

os.environ.setdefault("SECRET_KEY", "tests-only-secret-key-not-for-production")
os.environ.setdefault("DEBUG", "false")
# Not the demo, even when .env beside manage.py says DEMO=true.
os.environ.setdefault("DEMO", "false")
os.environ.setdefault("SECURE_SSL_REDIRECT", "false")
os.environ.setdefault("STATIC_MANIFEST", "false")
os.environ.setdefault("PASSWORD_HASHERS", "django.contrib.auth.hashers.MD5PasswordHasher")
# In-process Celery defaults: a memory broker and result store, so a test
# never hands work to a demo worker that may be running on the same machine.
os.environ.setdefault("CELERY_BROKER_URL", "memory://")
os.environ.setdefault("CELERY_RESULT_BACKEND", "cache+memory://")
os.environ.setdefault("VAR_DIR", tempfile.mkdtemp(prefix="arrears-test-var-"))
os.environ.setdefault("EMAIL_URL", "consolemail://")
# Playwright's sync API runs an event loop in the test's thread; the test
# itself still talks to the database synchronously, which is safe here.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

from config.settings import *  # noqa: E402, F403
