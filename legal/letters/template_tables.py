"""The letter-template editor's list: one row per kind and language, with the current version."""

import django_tables2 as tables
from django.urls import reverse
from django.utils import formats, timezone
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from legal.models import LetterTemplate

DASH = "—"


class LetterTemplateTable(tables.Table):
    kind = tables.Column(verbose_name=_("Letter"))
    language = tables.Column(verbose_name=_("Language"))
    version = tables.Column(verbose_name=_("Version"), accessor="current_version__number", default=DASH)
    saved_by = tables.Column(verbose_name=_("Saved by"), accessor="current_version__created_by", empty_values=())
    saved_at = tables.Column(verbose_name=_("Saved at"), accessor="current_version__created_at", default=DASH)
    edit = tables.Column(verbose_name="", accessor="pk", empty_values=())

    class Meta:
        model = LetterTemplate
        fields = ()
        sequence = ("kind", "language", "version", "saved_by", "saved_at", "edit")
        attrs = {"class": "dense", "data-testid": "letter-templates"}
        row_attrs = {"data-template": lambda record: f"{record.kind}:{record.language}"}

    def render_kind(self, record):
        return format_html(
            '<a href="{}">{}</a>', reverse("legal:template_edit", args=[record.pk]), record.get_kind_display()
        )

    def render_language(self, record):
        return record.get_language_display()

    def render_saved_by(self, record):
        version = record.current_version
        if version is None:
            return DASH
        return str(version.created_by) if version.created_by else _("installed default")

    def render_saved_at(self, value):
        return formats.date_format(timezone.localtime(value), "SHORT_DATETIME_FORMAT")

    def render_edit(self, record):
        return format_html(
            '<a class="button" href="{}">{}</a>', reverse("legal:template_edit", args=[record.pk]), _("Edit")
        )
