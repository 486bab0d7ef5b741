from django import forms
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext_lazy as _

from lending.intake.services import max_file_bytes
from lending.models import ImportBatch

FILE_TOO_LARGE_FOR_FORM = _("The file is {size}; an import may be at most {limit}.")

# The core system's files. Kinds another app registers (an agency's return file) come in through that
# app's own upload page, which knows whose file it is: the core-system upload does not offer them.
CORE_SYSTEM_KINDS = [
    (value, label) for value, label in ImportBatch.Kind.choices if value != ImportBatch.Kind.AGENCY_RETURNS
]


class ImportUploadForm(forms.Form):
    kind = forms.ChoiceField(label=_("What the file holds"), choices=CORE_SYSTEM_KINDS)
    file = forms.FileField(
        label=_("CSV file"),
        help_text=_("A header row naming the columns. See docs/intake.md."),
    )
    encoding = forms.ChoiceField(
        label=_("Encoding the file was saved in"),
        choices=ImportBatch.Encoding.choices,
        initial=ImportBatch.Encoding.UTF8,
        help_text=_(
            "Not guessed: a file that does not decode in it is refused. "
            "The first rows are shown before anything is applied."
        ),
    )
    quarantine_bad_rows = forms.BooleanField(
        label=_("Apply the good rows and quarantine the bad ones"),
        required=False,
        help_text=_("Otherwise a file with any bad row applies nothing."),
    )

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > max_file_bytes():
            raise forms.ValidationError(
                str(FILE_TOO_LARGE_FOR_FORM).format(
                    size=filesizeformat(upload.size), limit=filesizeformat(max_file_bytes())
                )
            )
        return upload
