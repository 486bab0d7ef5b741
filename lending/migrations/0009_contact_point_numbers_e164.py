"""Fill ContactPoint.number_e164 for the telephone numbers already stored (read in each borrower's country)."""

from django.db import migrations

PHONE_KINDS = ("mobile", "home_phone", "work_phone")
BATCH = 2000


def numbers_fill(apps, schema_editor):
    from lending.phones import number_e164, region_for

    ContactPoint = apps.get_model("lending", "ContactPoint")
    points = (
        ContactPoint.objects.filter(kind__in=PHONE_KINDS, number_e164="")
        .select_related("borrower")
        .only("id", "value", "borrower__province", "borrower__time_zone")
        .order_by("id")
    )
    last_id = 0
    while page := list(points.filter(id__gt=last_id)[:BATCH]):
        last_id = page[-1].id
        for point in page:
            borrower = point.borrower
            region = region_for(province=borrower.province, time_zone=borrower.time_zone)
            point.number_e164 = number_e164(point.value, region)
        ContactPoint.objects.bulk_update([point for point in page if point.number_e164], ["number_e164"])


class Migration(migrations.Migration):
    dependencies = [("lending", "0008_phone_numbers_and_zones")]

    operations = [migrations.RunPython(numbers_fill, migrations.RunPython.noop, elidable=True)]
