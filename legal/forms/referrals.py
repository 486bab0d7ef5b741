"""The referral's forms: the note of a referral, of an acceptance, the reasons of a rejection."""

from django import forms
from django.utils.translation import gettext_lazy as _

NOTE_INPUT = forms.Textarea(attrs={"rows": 2})


class ReferForm(forms.Form):
    note = forms.CharField(label=_("Why refer"), required=False, max_length=2000, widget=NOTE_INPUT)


class AcceptForm(forms.Form):
    note = forms.CharField(label=_("Note"), required=False, max_length=2000, widget=NOTE_INPUT)


class RejectForm(forms.Form):
    # The service insists too (referral_reject): the reasons are the file's record of why.
    note = forms.CharField(label=_("Reasons"), max_length=2000, widget=NOTE_INPUT)


class ApproveForm(forms.Form):
    note = forms.CharField(label=_("Note"), required=False, max_length=2000, widget=NOTE_INPUT)
