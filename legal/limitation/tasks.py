"""The nightly limitation refresh (config/settings.py's beat, after the nightly run): thin, safe to run twice."""

from celery import shared_task


@shared_task(acks_late=True)
def limitation_refresh_all_task() -> int:
    """Recompute every open case's limitation expiry; returns how many changed."""
    from legal.limitation.refresh import limitation_refresh_all

    return limitation_refresh_all()


__all__ = ["limitation_refresh_all_task"]
