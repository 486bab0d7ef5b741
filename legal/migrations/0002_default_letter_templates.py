"""
Install the default letter templates (every kind in English and Simplified
Chinese, version 1). Uses the historical models (apps.get_model), so it does
not depend on today's models; the texts are in legal/letters/default_texts.
Reversing leaves the templates: letters may already point at their versions.
"""

from django.db import migrations
from django.utils import timezone


def install(apps, schema_editor):
    from legal.letters.default_texts import install_default_texts

    install_default_texts(
        apps.get_model("legal", "LetterTemplate"),
        apps.get_model("legal", "LetterTemplateVersion"),
        now=timezone.now(),
    )


class Migration(migrations.Migration):
    dependencies = [("legal", "0001_initial")]

    operations = [migrations.RunPython(install, migrations.RunPython.noop)]
