from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from legal.bundles.services import BUNDLE_LANGUAGES


class BundleRequestForm(forms.Form):
    language = forms.ChoiceField(
        label=_("Language"),
        choices=[(code, name) for code, name in settings.LANGUAGES if code in BUNDLE_LANGUAGES],
        help_text=_("The borrower's language unless the court needs another."),
    )
