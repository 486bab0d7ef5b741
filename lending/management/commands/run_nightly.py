import datetime

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from lending.delinquency import run_nightly
from lending.services import LENDER_TZ, LendingError


class Command(BaseCommand):
    help = (
        "Run the nightly delinquency run: accrue penalty within the cap, refresh days past due, overdue amounts "
        "and buckets of every account, write the day's snapshots. Safe to run twice."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--date",
            dest="as_of",
            metavar="YYYY-MM-DD",
            help="The day to run for (default: today in the lender's time zone). Replay missed days in order.",
        )

    def handle(self, *args, as_of=None, **options):
        if as_of:
            try:
                day = datetime.date.fromisoformat(as_of)
            except ValueError as error:
                raise CommandError(f"--date must be a date as YYYY-MM-DD, not {as_of!r}.") from error
        else:
            day = timezone.now().astimezone(LENDER_TZ).date()
        try:
            report = run_nightly(as_of=day)
        except LendingError as error:
            raise CommandError(str(error)) from error
        for line in report.lines():
            self.stdout.write(line)
