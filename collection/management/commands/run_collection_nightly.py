import datetime

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from collection.errors import CollectionError
from collection.lifecycle import collection_nightly_run
from lending.services import LENDER_TZ, LendingError


class Command(BaseCommand):
    help = (
        "Run the whole nightly run for a day: lending's delinquency run (penalty, days past due, buckets, "
        "snapshots), then collection's lifecycle (open, refresh and close cases, decide promises and arrangement "
        "installments, stages, statuses, priorities, assignment). Safe to run twice."
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
            lending_report, report = collection_nightly_run(as_of=day)
        except (LendingError, CollectionError) as error:
            raise CommandError(str(error)) from error
        for line in [*lending_report.lines(), *report.lines()]:
            self.stdout.write(line)
