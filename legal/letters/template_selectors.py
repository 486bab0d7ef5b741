"""Reads of the letter-template editor: the templates with their current version, a template's history."""

from django.db.models import QuerySet
from django.shortcuts import get_object_or_404

from legal.models import LetterTemplate, LetterTemplateVersion


def letter_templates_listed() -> QuerySet:
    """Every template with its current version and who saved it: one query for the list page."""
    return LetterTemplate.objects.select_related("current_version__created_by").order_by("kind", "language")


def letter_template_get(pk: int) -> LetterTemplate:
    return get_object_or_404(LetterTemplate.objects.select_related("current_version__created_by"), pk=pk)


def letter_template_versions(template: LetterTemplate) -> QuerySet:
    return LetterTemplateVersion.objects.filter(template=template).select_related("created_by").order_by("-number")


def letter_template_version_get(template: LetterTemplate, number: int) -> LetterTemplateVersion:
    return get_object_or_404(
        LetterTemplateVersion.objects.select_related("created_by"), template=template, number=number
    )
