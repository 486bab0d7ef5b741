"""
How the nightly page reads a run: each step's name and counts as labels, the
time it took, why a step did not run; the audit trail's sentence for a start.
Codes and facts are stored, words are made here in the reader's language.
"""

import datetime

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from collection.models import NightlyRun, NightlyStep, RunStatus
from collection.nightly.steps import nightly_count_label, nightly_step_label
from collection.timeline import short_date

NOT_RUN = gettext_lazy("Not run: step %(position)d (%(step)s) failed.")
NOT_RUN_INTERRUPTED = gettext_lazy("Not run: the run was interrupted.")
STARTED_SENTENCE = gettext_lazy("Nightly chain started for the night of %(day)s")
# The failure codes the chain stores (chain.py), worded for the reader; anything else is an exception's text.
FAILURE_TEXT = {
    "interrupted": gettext_lazy(
        "Interrupted: the worker stopped before the step finished (it ran past the time limit or was stopped)."
    ),
}


def nightly_started_sentence(event) -> str:
    return str(STARTED_SENTENCE) % {"day": short_date(event.data["run_on"])}


def duration_text(started: datetime.datetime | None, finished: datetime.datetime | None) -> str:
    """ "1:05:09" / "4:07" (minutes:seconds) / "0:03"; empty until it has finished."""
    if not started or not finished:
        return ""
    seconds = max(0, int((finished - started).total_seconds()))
    hours, rest = divmod(seconds, 3600)
    minutes, seconds = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{seconds:02d}" if hours else f"{minutes}:{seconds:02d}"


def counts_rows(counts: dict) -> list[tuple[str, int | float]]:
    """A step's counts as (label, number), in the order the step gave them; nested codes read "code.sub"."""
    rows = []
    for code, value in counts.items():
        if isinstance(value, dict):
            rows.extend((nightly_count_label(f"{code}.{sub}"), number) for sub, number in value.items())
        else:
            rows.append((nightly_count_label(code), value))
    return rows


def steps_display(run: NightlyRun, steps: list[NightlyStep]) -> list[NightlyStep]:
    """Give each step of the run its label, counts rows, duration and, when skipped, why."""
    failed = next((step for step in steps if step.status == RunStatus.FAILED), None)
    for step in steps:
        step.label = nightly_step_label(step.name)
        step.counts_rows = counts_rows(step.counts)
        step.duration = duration_text(step.started_at, step.finished_at)
        step.not_run_reason = ""
        step.error_text = str(FAILURE_TEXT.get(step.error, step.error))
        if step.status == RunStatus.SKIPPED:
            if failed is not None:
                step.not_run_reason = str(NOT_RUN) % {
                    "position": failed.position,
                    "step": nightly_step_label(failed.name),
                }
            else:
                step.not_run_reason = str(NOT_RUN_INTERRUPTED)
    return steps


def run_failure_text(run: NightlyRun, steps: list[NightlyStep]) -> str:
    """The failed step of a failed run, for the banner: "Step 2 (…) failed"."""
    failed = next((step for step in steps if step.status == RunStatus.FAILED), None)
    if failed is None:
        return ""
    return _("Step %(position)d (%(step)s) failed.") % {
        "position": failed.position,
        "step": nightly_step_label(failed.name),
    }
