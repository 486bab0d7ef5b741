"""
The editor's preview: the unsaved text rendered for a real case, exactly as
message_send would render it (its context, its jurisdiction's opt-out line,
the borrower's language), with the SMS's length and segments. It runs in a
transaction that is rolled back, so nothing a preview touches is ever kept,
and it sends nothing.
"""

from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone

from collection.compliance import profile_for
from collection.messaging.rendering import RenderedMessage, message_render
from collection.messaging.sms import SmsLength, sms_length
from collection.messaging.variables import message_context
from collection.models import MessageOrigin, OutboundMessage


@dataclass(frozen=True)
class MessagePreview:
    rendered: RenderedMessage
    length: SmsLength | None
    language: str


def message_preview(*, template, subject: str, body: str, case) -> MessagePreview:
    """The preview of `template`'s unsaved text for `case` (TemplateProblem if it cannot be rendered)."""
    with transaction.atomic():
        message = OutboundMessage(
            idempotency_key="preview",
            origin=MessageOrigin.MANUAL,
            kind=template.kind,
            channel=template.channel,
            language=template.language,
            borrower=case.borrower,
            case=case,
            created_at=timezone.now(),
            scheduled_for=timezone.now(),
        )
        try:
            rendered = message_render(
                subject_source=subject,
                body_source=body,
                channel=template.channel,
                language=template.language,
                context=message_context(message),
                profile=profile_for(case.portfolio),
            )
        finally:
            transaction.set_rollback(True)
    length = sms_length(rendered.body) if template.channel == "sms" else None
    return MessagePreview(rendered=rendered, length=length, language=template.language)
