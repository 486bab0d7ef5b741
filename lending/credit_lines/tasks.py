"""The beat's delivery of the core-system outbox (every minute, queue "default")."""

from celery import shared_task

# Below the beat's one-minute interval, so runs seldom overlap (when they do, the claims keep them apart).
DELIVERY_TIME_BUDGET_SECONDS = 45


@shared_task(queue="default", ignore_result=True, soft_time_limit=5 * 60, time_limit=6 * 60)
def core_system_deliver_task():
    """Deliver what is due; safe to run at any time and in several workers at once."""
    from lending.credit_lines.outbox import core_deliveries_deliver

    return core_deliveries_deliver(time_budget=DELIVERY_TIME_BUDGET_SECONDS)
