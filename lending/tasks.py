from celery import shared_task

# Celery autodiscovers `<app>.tasks` only: importing the intake's task here
# registers it with every worker.
from lending.intake.tasks import import_run_task  # noqa: F401


@shared_task(acks_late=True)
def nightly_run_task(as_of: str | None = None) -> dict:
    """
    The nightly delinquency run for `as_of` (YYYY-MM-DD; default today in the
    lender's time zone). Beat sends it at 01:30; running it twice changes
    nothing the second time.
    """
    import datetime

    from lending.delinquency import run_nightly
    from lending.services import lender_today

    day = datetime.date.fromisoformat(as_of) if as_of else lender_today()
    return run_nightly(as_of=day).as_dict()
