"""The letters' forms: one letter from the case page, a batch from a filtered case list."""

from django import forms
from django.utils.translation import gettext_lazy as _

from legal.models import LetterKind


class LetterGenerateForm(forms.Form):
    kind = forms.ChoiceField(label=_("Letter"), choices=LetterKind.choices)


class LetterBatchForm(forms.Form):
    kind = forms.ChoiceField(label=_("Letter"), choices=LetterKind.choices)
