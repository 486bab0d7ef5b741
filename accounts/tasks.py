from celery import shared_task


@shared_task
def sessions_clear_expired_task() -> int:
    """Beat runs this hourly; running it twice deletes nothing more."""
    from accounts.services import sessions_clear_expired

    return sessions_clear_expired()
