"""The throw-away PostgreSQL database a benchmark creates, fills and drops."""


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
