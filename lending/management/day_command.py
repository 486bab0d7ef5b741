"""The shape of the nightly commands: one day's run, `--date` to replay a day."""

import datetime
from collections.abc import Iterable

from django.core.management.base import BaseCommand, CommandError

from lending.services import LendingError, lender_today


class DayCommand(BaseCommand):
    """
    Runs `run_day(day)` for `--date YYYY-MM-DD` (by default today in the
    lender's time zone) and prints the lines it returns; an error of one of
    `refusals` becomes the command's error message.
    """

    refusals: tuple[type[Exception], ...] = (LendingError,)

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
            day = lender_today()
        try:
            lines = self.run_day(day)
        except self.refusals as error:
            raise CommandError(str(error)) from error
        for line in lines:
            self.stdout.write(line)

    def run_day(self, day: datetime.date) -> Iterable[str]:
        raise NotImplementedError
