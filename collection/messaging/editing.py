"""
Message templates are versioned like letter templates: saving makes the next
version and makes it current; an old version is never edited, because every
message records the version it was rendered from (OutboundMessage.template_version).
A text is refused before it is saved when it does not parse, names an unknown
variable, fails with the sample borrower or (SMS) would push the opt-out
line out of the first segment (collection/messaging/rendering.py).
"""

from django.db import transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.services import audit_record
from collection.messaging.rendering import template_problems
from collection.models import MessageTemplate, MessageTemplateVersion

TEMPLATE_UNCHANGED = _("Nothing changed since version %(number)s: no new version saved.")


class MessageTemplateError(Exception):
    """A template text was refused; the message is for the user, `field` says which box."""

    def __init__(self, message, *, field: str = ""):
        super().__init__(str(message))
        self.message = str(message)
        self.field = field


def template_version_save(
    *, template: MessageTemplate, body: str, subject: str = "", change_note: str = "", actor
) -> MessageTemplateVersion:
    """Save a new version of `template` (the next number) and make it current; audited."""
    body = body.replace("\r\n", "\n").strip()
    subject = " ".join(subject.split()) if template.channel == "email" else ""
    problems = template_problems(channel=template.channel, language=template.language, body=body, subject=subject)
    if problems:
        field, message = problems[0]
        raise MessageTemplateError(message, field=field)
    with transaction.atomic():
        # Two editors saving at once: the second waits here, then takes the next number.
        locked = (
            MessageTemplate.objects.select_for_update(of=("self",))
            .select_related("current_version")
            .get(pk=template.pk)
        )
        current = locked.current_version
        if current is not None and current.subject == subject and current.body == body:
            raise MessageTemplateError(TEMPLATE_UNCHANGED % {"number": current.number})
        last = locked.versions.aggregate(last=Max("number"))["last"] or 0
        version = MessageTemplateVersion.objects.create(
            template=locked,
            number=last + 1,
            subject=subject,
            body=body,
            change_note=change_note.strip()[:300],
            created_by=actor,
            created_at=timezone.now(),
        )
        locked.current_version = version
        locked.save(update_fields=["current_version"])
        template.current_version = version
        audit_record(
            action="collection.message_template.saved",
            target=locked,
            actor=actor,
            data={
                "kind": locked.kind,
                "channel": locked.channel,
                "language": locked.language,
                "version": version.number,
            },
        )
    return version


@transaction.atomic
def template_active_set(*, template: MessageTemplate, active: bool, actor) -> MessageTemplate:
    """Take a template out of use (its messages then fail with no_template) or back into use; audited."""
    if template.is_active == active:
        return template
    template.is_active = active
    template.save(update_fields=["is_active"])
    audit_record(
        action="collection.message_template.activated" if active else "collection.message_template.deactivated",
        target=template,
        actor=actor,
        data={"kind": template.kind, "channel": template.channel, "language": template.language},
    )
    return template
