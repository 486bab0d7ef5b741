"""Celery tasks of the messages: thin, by id, safe to run twice (collection/messaging/services.py says why)."""

from celery import shared_task


@shared_task(bind=True, acks_late=True, queue="messages", max_retries=None)
def message_send_task(self, message_id: int) -> str:
    """
    Send one message. A transient failure (timeout, provider 5xx) is tried
    again after the service's backoff (it counts the attempts and fails the
    message after MESSAGES_MAX_ATTEMPTS); nothing else is retried.
    """
    from collection.messaging.services import TransientSendError, message_send

    try:
        message = message_send(message_id=message_id)
    except TransientSendError as error:
        raise self.retry(countdown=getattr(error, "retry_in", 60), exc=error) from error
    return message.status


__all__ = ["message_send_task"]
