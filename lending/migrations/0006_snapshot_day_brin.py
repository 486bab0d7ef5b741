"""
The nightly run inserts a snapshot row for every account at each month end
(a million rows on a large portfolio), and every index on the table costs
each of those inserts. Replace the B-tree on (snapshot_date, bucket) with a
BRIN index on snapshot_date on PostgreSQL: the rows are appended in date
order, so a few bytes per 128 pages find a day's rows (for the run and for
reports by day), at a fraction of a B-tree's cost per insert. On SQLite (the
demo) the unique (account, snapshot_date) index serves the run's lookups.
"""

from django.db import migrations

INDEX = "snapshot_day_brin_idx"
TABLE = "lending_delinquencysnapshot"


def brin_create(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(
            f"CREATE INDEX {INDEX} ON {TABLE} USING brin (snapshot_date) WITH (autosummarize = on)"
        )


def brin_drop(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(f"DROP INDEX IF EXISTS {INDEX}")


class Migration(migrations.Migration):
    dependencies = [("lending", "0005_room_for_in_place_updates")]

    operations = [
        migrations.RemoveIndex(model_name="delinquencysnapshot", name="snapshot_day_bucket_idx"),
        migrations.RunPython(brin_create, brin_drop),
    ]
