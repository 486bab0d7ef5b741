"""
PostgreSQL: leave free space in the pages of the installment table, so that
the nightly accrual (which changes no indexed column of an installment) updates
rows in place (HOT updates) without new index entries. It rewrites every
overdue installment every night: a few hundred thousand rows on a portfolio
of a million accounts.
"""

from django.db import migrations

TABLES = {"lending_installment": 85}


def set_fillfactor(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        for table, percent in TABLES.items():
            schema_editor.execute(f"ALTER TABLE {table} SET (fillfactor = {percent})")


def reset_fillfactor(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        for table in TABLES:
            schema_editor.execute(f"ALTER TABLE {table} RESET (fillfactor)")


class Migration(migrations.Migration):
    dependencies = [("lending", "0004_delinquency_run")]

    operations = [migrations.RunPython(set_fillfactor, reset_fillfactor)]
