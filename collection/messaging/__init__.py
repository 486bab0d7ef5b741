"""Messages to borrowers: templates, rendering with the opt-out line, channel backends, sending (docs/messages.md)."""


def register() -> None:
    """What this part adds at start-up (navigation, case-page sections, timeline codes, nightly steps)."""
    from django.utils.translation import gettext_lazy as _

    from accounts.audit_text import audit_sentence_register
    from accounts.navigation import NavItem, nav_register
    from accounts.permissions import Capability
    from collection.case_sections import CaseSection, case_section_register

    # The worker finds the task here: autodiscovery reads only each app's own tasks.py.
    from collection.messaging import tasks  # noqa: F401
    from collection.views.messages import case_messages_section

    nav_register(
        NavItem(
            "message_templates",
            _("Message templates"),
            "collection:message_template_list",
            Capability.EDIT_MESSAGE_TEMPLATES,
            order=72,
            group="automation",
            description=_("The SMS, e-mail and in-app texts reminders and strategies send, in both languages."),
        )
    )
    case_section_register(
        CaseSection("messages", "collection/messages/_case_messages.html", case_messages_section, order=20)
    )
    audit_sentence_register(
        "collection.message_template.saved", _("Message template %(target)s saved as a new version")
    )
    audit_sentence_register("collection.message_template.activated", _("Message template %(target)s back in use"))
    audit_sentence_register(
        "collection.message_template.deactivated", _("Message template %(target)s taken out of use")
    )
    audit_sentence_register("collection.message.queued", _("Message queued on case %(target)s"))
