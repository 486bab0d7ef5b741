"""
Install what automation needs from the first night: the default message
templates (collection/messaging/default_texts.py), the default reminder
schedule (collection/reminders/defaults.py) and the catch-all segment with
its default strategy (collection/strategies/defaults.py). Uses the historical
models (apps.get_model). Reversing leaves them: messages may point at them.
"""

from django.db import migrations
from django.utils import timezone


def install(apps, schema_editor):
    from collection.messaging.default_texts import install_default_templates
    from collection.reminders.defaults import install_default_schedule
    from collection.strategies.defaults import install_default_segment

    now = timezone.now()
    install_default_templates(apps, now=now)
    install_default_schedule(apps)
    install_default_segment(apps, now=now)


class Migration(migrations.Migration):
    dependencies = [("collection", "0008_automation")]

    operations = [migrations.RunPython(install, migrations.RunPython.noop)]
