from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from accounts.demo import demo_staff_ensure


class Command(BaseCommand):
    help = "Create one demo user per role (and their teams) and print their passwords."

    def add_arguments(self, parser):
        parser.add_argument(
            "--force", action="store_true", help="Run even with DEBUG off (never on a real deployment)."
        )

    def handle(self, *args, force=False, **options):
        if not settings.DEBUG and not force:
            raise CommandError("Demo users have well-known passwords: refusing with DEBUG off (use --force to insist).")
        rows = demo_staff_ensure()
        self.stdout.write("Demo logins (user name / password / role):")
        for user, password in rows:
            self.stdout.write(f"  {user.username:<10} {password:<22} {user.get_role_display()}")
