"""The nightly chain's task (queue "nightly"): thin, by id, safe to deliver twice."""

import logging

from celery import shared_task

logger = logging.getLogger("collection.nightly")


@shared_task(acks_late=True)
def nightly_chain_task(run_id: int | None = None, on: str | None = None) -> dict | None:
    """
    Beat (no arguments): tonight's chain, for today in the lender's time zone
    (or `on`, YYYY-MM-DD). With `run_id`: the steps of a run already recorded
    (a manager's "Run now"). While another chain runs, beat's tick is refused
    and logged, not retried: the running chain is that night's.
    """
    import datetime

    from collection.nightly.chain import NightlyChainRunning, nightly_run_create, nightly_run_execute
    from lending.services import lender_today

    if run_id is None:
        day = datetime.date.fromisoformat(on) if on else lender_today()
        try:
            run_id = nightly_run_create(on=day).pk
        except NightlyChainRunning as refused:
            logger.warning("nightly chain for %s not started: %s", day.isoformat(), refused)
            return None
    run = nightly_run_execute(run_id=run_id)
    return {"run": run.pk, "run_on": run.run_on.isoformat(), "status": run.status}


__all__ = ["nightly_chain_task"]
