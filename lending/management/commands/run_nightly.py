from lending.delinquency import run_nightly
from lending.management.day_command import DayCommand


class Command(DayCommand):
    help = (
        "Run the nightly delinquency run: accrue penalty within the cap, refresh days past due, overdue amounts "
        "and buckets of every account, write the day's snapshots. Safe to run twice."
    )

    def run_day(self, day):
        return run_nightly(as_of=day).lines()
