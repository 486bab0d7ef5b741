"""Factories for messages: a template with its current version, and a queued message."""

import factory
from django.utils import timezone

from collection.models import MessageKind, MessageOrigin, MessageTemplate, MessageTemplateVersion, OutboundMessage


def template_with_text(*, channel="sms", kind=MessageKind.OVERDUE_REMINDER, language="zh-hans", body, subject=""):
    """The template of (channel, kind, language) with `body` as its current version (replacing any other)."""
    template, _created = MessageTemplate.objects.get_or_create(channel=channel, kind=kind, language=language)
    number = (template.versions.order_by("-number").values_list("number", flat=True).first() or 0) + 1
    version = MessageTemplateVersion.objects.create(
        template=template, number=number, subject=subject, body=body, created_at=timezone.now()
    )
    template.current_version = version
    template.is_active = True
    template.save(update_fields=["current_version", "is_active"])
    return template


class OutboundMessageFactory(factory.django.DjangoModelFactory):
    """A queued strategy-style message about a case, due now (pass `case`)."""

    class Meta:
        model = OutboundMessage

    idempotency_key = factory.Sequence(lambda n: f"test:{n}")
    origin = MessageOrigin.STRATEGY
    kind = MessageKind.OVERDUE_REMINDER
    channel = "sms"
    language = factory.LazyAttribute(lambda message: message.borrower.language)
    borrower = factory.LazyAttribute(lambda message: message.case.borrower)
    created_at = factory.LazyFunction(timezone.now)
    scheduled_for = factory.LazyFunction(timezone.now)
