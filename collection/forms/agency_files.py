"""The agency files page's upload form: a return file, its declared encoding, quarantine or not."""

from django import forms
from django.utils.translation import gettext_lazy as _

from lending.intake.forms import ImportUploadForm


class ReturnFileForm(ImportUploadForm):
    """lending's upload form without the choice of kind: a return file is always `agency_returns`."""

    kind = None
    file = forms.FileField(
        label=_("Return file (CSV)"),
        help_text=_("A header row naming the columns: activities, promises and payments your agency claims."),
    )
