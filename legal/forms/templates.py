"""Forms of the letter-template editor."""

from django import forms
from django.utils.translation import gettext_lazy as _

from legal.models import LetterTemplateVersion


class LetterTemplateVersionForm(forms.Form):
    subject = forms.CharField(
        label=_("Subject"),
        max_length=LetterTemplateVersion._meta.get_field("subject").max_length,
        widget=forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "true"}),
    )
    body = forms.CharField(
        label=_("Body"),
        strip=False,
        widget=forms.Textarea(attrs={"rows": 24, "spellcheck": "true", "class": "code"}),
        help_text=_("HTML with {{ variables }} and filters from the list beside the editor."),
    )
    change_note = forms.CharField(
        label=_("What changed"),
        max_length=LetterTemplateVersion._meta.get_field("change_note").max_length,
        help_text=_("Kept with the version, for whoever reads the history."),
    )


class LetterPreviewForm(forms.Form):
    """What the preview renders: the text being edited (not yet saved) and the case it is drawn from."""

    subject = forms.CharField(required=False, max_length=200)
    body = forms.CharField(required=False, strip=False)
    case_number = forms.CharField(
        label=_("Preview with case"),
        required=False,
        max_length=40,
        widget=forms.TextInput(attrs={"placeholder": "C-2026-000123", "autocomplete": "off"}),
        help_text=_("Empty: an open case you may see."),
    )
