"""What the letter-template editor adds at start-up: its navigation entry and its audit sentence."""


def templates_register() -> None:
    from django.utils.translation import gettext_lazy as _

    from accounts.audit_text import audit_sentence_register
    from accounts.navigation import NavItem, nav_register
    from accounts.permissions import Capability

    nav_register(
        NavItem(
            "letter_templates", _("Letter templates"), "legal:template_list", Capability.EDIT_LETTER_TEMPLATES, order=75
        )
    )
    audit_sentence_register("legal.letter_template.saved", _("Letter template %(target)s saved as version %(version)s"))
