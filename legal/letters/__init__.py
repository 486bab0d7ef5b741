"""Legal's letters: see the modules of this package."""


def register() -> None:
    """What this part adds to the apps on its left at start-up (legal/registry.py)."""
    from django.utils.translation import gettext_lazy as _

    from accounts.permissions import Capability
    from collection.case_sections import CaseSection, case_section_register
    from collection.queue_links import QueueLink, queue_link_register
    from legal.letters import events
    from legal.letters.template_registry import templates_register
    from legal.views.letters import letters_section_context

    events.register()
    templates_register()  # the letter-template editor's navigation entry and audit sentence
    case_section_register(CaseSection("letters", "legal/letters/_section.html", letters_section_context, order=30))
    queue_link_register(
        QueueLink("letters", _("Letters for these cases"), "legal:batch_new", Capability.SEND_LETTERS, order=10)
    )
