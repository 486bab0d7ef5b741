"""E-mail through Django's e-mail backends (SMTP in production, a file backend in the demo)."""

import smtplib

from django.conf import settings
from django.core.mail import EmailMessage, get_connection

from collection.messaging.backends import Delivery, MessageBackend, Outgoing, PermanentSendError, TransientSendError


class EmailBackend(MessageBackend):
    """
    One `EmailMessage` a message, through `options["django_backend"]` (blank:
    settings.EMAIL_BACKEND) with its options (e.g. the file backend's
    `file_path`). The idempotency key goes in the Message-ID's left part, so a
    resend carries the same id and a mail system can recognise it.
    """

    name = "email"

    def connection(self):
        path = self.options.get("django_backend") or None
        extra = dict(self.options.get("django_backend_options") or {})
        return get_connection(path, fail_silently=False, **extra)

    def send(self, outgoing: Outgoing) -> Delivery:
        domain = self.options.get("message_id_domain") or "arrears.invalid"
        message_id = f"<{outgoing.idempotency_key.replace(':', '.')}@{domain}>"
        message = EmailMessage(
            subject=outgoing.subject,
            body=outgoing.body,
            from_email=self.options.get("from_email") or settings.DEFAULT_FROM_EMAIL,
            to=[outgoing.recipient],
            headers={"Message-ID": message_id},
            connection=self.connection(),
        )
        try:
            message.send()
        except smtplib.SMTPRecipientsRefused as exc:
            raise PermanentSendError("recipient_refused", str(exc)) from exc
        except smtplib.SMTPResponseException as exc:
            error = PermanentSendError if 500 <= exc.smtp_code < 600 else TransientSendError
            raise error(f"smtp_{exc.smtp_code}", str(exc.smtp_error)) from exc
        except (TimeoutError, smtplib.SMTPException, OSError) as exc:
            raise TransientSendError("smtp_unavailable", str(exc)) from exc
        return Delivery(provider_message_id=message_id)
