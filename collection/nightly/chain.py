"""
The nightly chain (docs/nightly-run.md): one `NightlyRun` a night, its
`NightlyStep`s in the order `nightly_steps()` gives them, each run only after
the one before succeeded.

- `nightly_run_create` records the run (running, its steps waiting) or
  refuses: one chain at a time, held by a unique constraint on the running
  run, so two beat ticks or a click during the night cannot start a second.
- `nightly_run_execute` runs the waiting steps of a run: each is claimed by a
  conditional update (a redelivered task cannot run a step twice), runs in its
  own transaction, and records its counts, or on failure the exception's
  class and message; a failed step fails the run and the later steps are
  skipped.
- `nightly_chain_run` is both, for the beat task, the command and the demo;
  `nightly_run_request` is the manager's "Run now" (the task on commit).

A run whose worker died (its steps stay "running") is closed as interrupted
when the next one is created, once it is older than the nightly queue's hard
time limit: until then it may still be working.
"""

import datetime
import logging

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.services import audit_record
from collection.errors import CollectionError
from collection.models import NightlyRun, NightlyStep, RunStatus
from collection.nightly.steps import nightly_steps

logger = logging.getLogger("collection.nightly")

ALREADY_RUNNING = _(
    "A nightly chain is already running (the night of {day}, started {started}): wait until it has finished."
)
# Stored on a failed step: the exception's class and message (for support, shown as is), or a code the page
# words in the reader's language (display.py).
STEP_UNKNOWN = "The step {name!r} is no longer registered (nightly_step_register)."
INTERRUPTED = "interrupted"

AUDIT_STARTED = "collection.nightly.started"


class NightlyChainRunning(CollectionError):
    """Another chain is running; the message says which."""


def _stale_after() -> datetime.timedelta:
    _soft, hard = settings.ARREARS_QUEUE_TIME_LIMITS["nightly"]
    return datetime.timedelta(seconds=hard)


def _interrupted_close(*, now: datetime.datetime) -> int:
    """Close the running runs older than the nightly hard time limit: their worker is gone."""
    closed = 0
    for run in NightlyRun.objects.filter(status=RunStatus.RUNNING, started_at__lt=now - _stale_after()):
        with transaction.atomic():
            run.steps.filter(status=RunStatus.RUNNING).update(
                status=RunStatus.FAILED, finished_at=now, error=INTERRUPTED
            )
            run.steps.filter(status=RunStatus.PENDING).update(status=RunStatus.SKIPPED)
            closed += NightlyRun.objects.filter(pk=run.pk, status=RunStatus.RUNNING).update(
                status=RunStatus.FAILED, finished_at=now
            )
    return closed


def _refusal() -> NightlyChainRunning:
    running = NightlyRun.objects.filter(status=RunStatus.RUNNING).first()
    if running is None:  # it finished in between: say so plainly all the same
        return NightlyChainRunning(ALREADY_RUNNING.format(day="—", started="—"))
    started = timezone.localtime(running.started_at).strftime("%Y-%m-%d %H:%M") if running.started_at else "—"
    return NightlyChainRunning(ALREADY_RUNNING.format(day=running.run_on.isoformat(), started=started))


def nightly_run_create(*, on: datetime.date, started_by=None) -> NightlyRun:
    """Record the night's run, running, with its steps waiting; refuse (NightlyChainRunning) while one runs."""
    now = timezone.now()
    _interrupted_close(now=now)
    specs = nightly_steps()
    try:
        with transaction.atomic():
            run = NightlyRun.objects.create(run_on=on, status=RunStatus.RUNNING, started_at=now, started_by=started_by)
            NightlyStep.objects.bulk_create(
                NightlyStep(run=run, position=position, name=spec.name) for position, spec in enumerate(specs, start=1)
            )
            audit_record(
                action=AUDIT_STARTED,
                target=run,
                actor=started_by,
                data={"run_on": on.isoformat(), "steps": [spec.name for spec in specs]},
            )
    except IntegrityError:
        raise _refusal() from None
    return run


def _step_counts(counts) -> dict:
    """What a step returned, kept as JSON numbers: {code: n} or {code: {sub-code: n}}; anything else dropped."""
    kept = {}
    for code, value in (counts or {}).items():
        if isinstance(value, bool):
            continue
        if isinstance(value, int | float):
            kept[str(code)] = value
        elif isinstance(value, dict):
            inner = {str(key): number for key, number in value.items() if isinstance(number, int | float)}
            if inner:
                kept[str(code)] = inner
    return kept


def _step_run(step: NightlyStep, run_on: datetime.date, specs: dict) -> bool:
    """Claim and run one waiting step; record what it did. False when it failed (or another worker has it)."""
    claimed = NightlyStep.objects.filter(pk=step.pk, status=RunStatus.PENDING).update(
        status=RunStatus.RUNNING, started_at=timezone.now()
    )
    if not claimed:
        return False
    spec = specs.get(step.name)
    try:
        if spec is None:
            raise LookupError(STEP_UNKNOWN.format(name=step.name))
        if spec.atomic:
            with transaction.atomic():
                counts = spec.run(run_on)
        else:
            counts = spec.run(run_on)
    except Exception as error:  # noqa: BLE001 - any failure stops the chain, and the manager must see why
        logger.exception("nightly %s: step %s failed", run_on.isoformat(), step.name)
        NightlyStep.objects.filter(pk=step.pk).update(
            status=RunStatus.FAILED, finished_at=timezone.now(), error=f"{type(error).__name__}: {error}"
        )
        return False
    NightlyStep.objects.filter(pk=step.pk).update(
        status=RunStatus.SUCCEEDED, finished_at=timezone.now(), counts=_step_counts(counts)
    )
    logger.info("nightly %s: step %s done %s", run_on.isoformat(), step.name, counts)
    return True


def nightly_run_execute(*, run_id: int) -> NightlyRun:
    """
    Run the run's waiting steps in order, each only after the one before
    succeeded. Delivered twice, the second task finds the steps done or
    claimed and does nothing.
    """
    run = NightlyRun.objects.get(pk=run_id)
    if run.status != RunStatus.RUNNING:
        return run
    specs = {spec.name: spec for spec in nightly_steps()}
    for step in run.steps.order_by("position"):
        if step.status == RunStatus.SUCCEEDED:
            continue
        if not _step_run(step, run.run_on, specs):
            break
    steps = run.steps.all()
    if steps.filter(status=RunStatus.RUNNING).exists():
        return run  # another worker holds a step (a redelivered task): it finishes the run
    failed = steps.filter(status=RunStatus.FAILED).exists()
    with transaction.atomic():
        if failed:
            steps.filter(status=RunStatus.PENDING).update(status=RunStatus.SKIPPED)
        NightlyRun.objects.filter(pk=run.pk, status=RunStatus.RUNNING).update(
            status=RunStatus.FAILED if failed else RunStatus.SUCCEEDED, finished_at=timezone.now()
        )
    run.refresh_from_db()
    logger.info("nightly %s: run %s %s", run.run_on.isoformat(), run.pk, run.status)
    return run


def nightly_chain_run(*, on: datetime.date, started_by=None) -> NightlyRun:
    """The night's chain, now, in this process: what beat's task, the command and the demo run."""
    run = nightly_run_create(on=on, started_by=started_by)
    return nightly_run_execute(run_id=run.pk)


def nightly_run_request(*, on: datetime.date, actor) -> NightlyRun:
    """A manager's "Run now": the run is recorded at once (its page shows the steps waiting), a worker runs it."""
    from collection.nightly.tasks import nightly_chain_task

    with transaction.atomic():
        run = nightly_run_create(on=on, started_by=actor)
        transaction.on_commit(lambda: nightly_chain_task.delay(run_id=run.pk))
    return run
