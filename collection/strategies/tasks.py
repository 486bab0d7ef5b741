"""The manager's "Run now": segments then strategies for today, its progress kept in Celery's result backend."""

from celery import shared_task


@shared_task(bind=True, acks_late=True)
def strategies_run_task(self, on: str | None = None, started_by: int | None = None) -> dict:
    """
    Put every open case in its segment and run the due steps for `on`
    (YYYY-MM-DD; today in the lender's time zone by default). Safe to run
    again: a step done today is not done twice. Reports its progress (steps
    of all strategies run so far) as the PROGRESS state the run page polls.
    """
    import datetime

    from collection.strategies.engine import strategies_run
    from collection.strategies.segments import segments_assign
    from lending.services import lender_today

    day = datetime.date.fromisoformat(on) if on else lender_today()

    def progress(done: int, total: int) -> None:
        self.update_state(state="PROGRESS", meta={"done": done, "total": total, "on": day.isoformat()})

    counts = segments_assign(on=day)
    counts.update(strategies_run(on=day, progress=progress))
    return {"on": day.isoformat(), "counts": counts, "started_by": started_by}
