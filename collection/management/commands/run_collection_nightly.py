from collection.errors import CollectionError
from collection.lifecycle import collection_nightly_run
from lending.management.day_command import DayCommand
from lending.services import LendingError


class Command(DayCommand):
    help = (
        "Run the whole nightly run for a day: lending's delinquency run (penalty, days past due, buckets, "
        "snapshots), then collection's lifecycle (open, refresh and close cases, decide promises and arrangement "
        "installments, stages, statuses, priorities, assignment). Safe to run twice."
    )
    refusals = (LendingError, CollectionError)

    def run_day(self, day):
        lending_report, report = collection_nightly_run(as_of=day)
        return [*lending_report.lines(), *report.lines()]
