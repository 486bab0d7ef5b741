from django.core.management.base import CommandError

from collection.errors import CollectionError
from collection.models import RunStatus
from collection.nightly.chain import nightly_chain_run
from collection.nightly.display import FAILURE_TEXT, counts_rows, duration_text
from collection.nightly.steps import nightly_step_label
from lending.management.day_command import DayCommand
from lending.services import LendingError


class Command(DayCommand):
    help = (
        "Run the nightly chain for a day, as beat does at 01:30: lending's run (penalty, days past due, buckets, "
        "snapshots), collection's lifecycle (cases, promises, arrangements, stages, statuses, assignment), then "
        "segments and strategies, reminders, credit lines and limitation periods, each only after the one before "
        "succeeded. Recorded as a nightly run (automation/nightly/). Safe to run twice."
    )
    refusals = (LendingError, CollectionError)

    def run_day(self, day):
        run = nightly_chain_run(on=day)
        lines = [f"Nightly chain for {day.isoformat()}: {run.status} (run {run.pk})"]
        for step in run.steps.order_by("position"):
            took = duration_text(step.started_at, step.finished_at)
            lines.append(
                f"{step.position}. {nightly_step_label(step.name)}: {step.status}{f' in {took}' if took else ''}"
            )
            lines.extend(f"     {label}: {value}" for label, value in counts_rows(step.counts))
            if step.error:
                lines.append(f"     {FAILURE_TEXT.get(step.error, step.error)}")
        if run.status != RunStatus.SUCCEEDED:
            for line in lines:
                self.stderr.write(line)
            raise CommandError(f"The nightly chain for {day.isoformat()} failed (run {run.pk}).")
        return lines
