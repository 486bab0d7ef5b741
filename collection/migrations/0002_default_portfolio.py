from django.db import migrations


def default_portfolio_create(apps, schema_editor):
    Portfolio = apps.get_model("collection", "Portfolio")
    if not Portfolio.objects.filter(is_default=True).exists():
        Portfolio.objects.create(code="default", name="Default portfolio", jurisdiction="cn", is_default=True)


class Migration(migrations.Migration):
    dependencies = [("collection", "0001_initial")]

    operations = [migrations.RunPython(default_portfolio_create, migrations.RunPython.noop)]
