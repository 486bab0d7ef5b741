"""The throw-away PostgreSQL database a benchmark creates, fills and drops."""

import os
import sys
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent


def bench_environment(database: str) -> str:
    """
    Point Django at the benchmark's database (BENCH_DATABASE_URL overrides it)
    and give it the settings a benchmark needs; call before Django is imported.
    """
    url = os.environ.get("BENCH_DATABASE_URL", f"postgres://postgres@127.0.0.1:5432/{database}")
    sys.path.insert(0, str(BASE_DIR))
    os.environ["DATABASE_URL"] = url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    os.environ.setdefault("SECRET_KEY", "bench-only-secret-key-not-for-production")
    os.environ.setdefault("CELERY_BROKER_URL", "memory://")
    os.environ.setdefault("LOG_LEVEL", "WARNING")
    os.environ.setdefault("VAR_DIR", str(BASE_DIR / "var" / f"bench-{database}"))
    return url


def _admin_connection(url: str):
    import psycopg

    base, _, _name = url.rpartition("/")
    return psycopg.connect(f"{base}/postgres", autocommit=True)


def database_recreate(url: str) -> None:
    """Drop the benchmark's database if it is left over, and create it empty."""
    name = url.rpartition("/")[2]
    with _admin_connection(url) as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        connection.execute(f'CREATE DATABASE "{name}"')


def database_drop(url: str) -> None:
    from django.db import connections

    connections.close_all()
    name = url.rpartition("/")[2]
    with _admin_connection(url) as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
