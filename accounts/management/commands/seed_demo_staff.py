from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from accounts.demo import DEMO_LOCALES, demo_staff_ensure


class Command(BaseCommand):
    help = (
        "Create one demo user per role (and their teams) and print their passwords. Teams and staff are named "
        "in the demo portfolio's locale (Chinese until seed_demo --locale en loads a US lender's)."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--locale", choices=DEMO_LOCALES, default=None, help="Name them in Chinese (zh) or English (en) instead."
        )
        parser.add_argument(
            "--force", action="store_true", help="Run even outside the demo and DEBUG (never on a real deployment)."
        )

    def handle(self, *args, force=False, locale=None, **options):
        if not (settings.DEBUG or settings.DEMO) and not force:
            raise CommandError(
                "Demo users have well-known passwords: refusing outside the demo (DEMO=true) and DEBUG "
                "(use --force to insist)."
            )
        rows = demo_staff_ensure(locale=locale)
        self.stdout.write("Demo logins (user name / password / role):")
        for user, password in rows:
            self.stdout.write(f"  {user.username:<10} {password:<22} {user.get_role_display()}")
