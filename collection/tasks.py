"""
Collection's Celery tasks. Celery finds `<app>.tasks` and each package's
`tasks` (config/celery.py): the nightly chain's is collection/nightly/tasks.py.
"""

from celery import shared_task


@shared_task(acks_late=True)
def collection_nightly_task(as_of: str | None = None) -> dict | None:
    """
    The name beat used before the nightly chain (a message still on the broker
    after an upgrade): it runs the whole chain for `as_of` (YYYY-MM-DD;
    default today in the lender's time zone).
    """
    from collection.nightly.tasks import nightly_chain_task

    return nightly_chain_task(on=as_of)


@shared_task(acks_late=True)
def commission_attribute_task() -> int:
    """
    Every few minutes (beat): the payments received on placed cases since the
    last sweep get their commission lines, reversed ones their clawbacks
    (collection/agencies/commission.py). Idempotent: safe to run twice.
    """
    from collection.agencies.commission import commission_lines_attribute

    return commission_lines_attribute()
