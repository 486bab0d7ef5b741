from celery import shared_task


@shared_task(acks_late=True)
def collection_nightly_task(as_of: str | None = None) -> dict:
    """
    The whole nightly run for `as_of` (YYYY-MM-DD; default today in the
    lender's time zone): lending's delinquency run, then collection's
    lifecycle. Beat sends it at 01:30; running it twice changes nothing the
    second time. lending.tasks.nightly_run_task still runs lending's part alone.
    """
    import datetime

    from collection.lifecycle import collection_nightly_run
    from lending.services import lender_today

    day = datetime.date.fromisoformat(as_of) if as_of else lender_today()
    lending_report, report = collection_nightly_run(as_of=day)
    return {"lending": lending_report.as_dict(), "collection": report.as_dict()}
