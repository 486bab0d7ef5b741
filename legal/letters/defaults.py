"""The default letter templates: every kind in English and Simplified Chinese, version 1 of each."""

from django.db import transaction
from django.utils import timezone

from legal.letters.default_texts import DEFAULT_TEXTS, install_default_texts
from legal.models import LetterTemplate, LetterTemplateVersion

__all__ = ["DEFAULT_TEXTS", "letter_templates_install_defaults"]


@transaction.atomic
def letter_templates_install_defaults() -> int:
    """Install the default template of every kind and language that has none; idempotent. How many it installed."""
    return install_default_texts(LetterTemplate, LetterTemplateVersion, now=timezone.now())
