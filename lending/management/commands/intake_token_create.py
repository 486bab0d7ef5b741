"""Create a token for the core system to call the intake API with; the token is printed once, never stored."""

from django.core.management.base import BaseCommand, CommandError

from lending.intake.services import IntakeError, intake_token_create


class Command(BaseCommand):
    help = "Create an intake API token and print it (once: only its SHA-256 is kept)."

    def add_arguments(self, parser):
        parser.add_argument("name", help="Who will use it, e.g. core-system-prod.")

    def handle(self, *args, name, **options):
        try:
            token, key = intake_token_create(name=name)
        except IntakeError as error:
            raise CommandError(str(error)) from None
        self.stderr.write(f"Token {token.name!r} created. Keep it now: it cannot be shown again.")
        self.stdout.write(key)
