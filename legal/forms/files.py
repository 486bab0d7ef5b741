"""
The litigation file page's forms (one per action, each posted to its own URL
in legal/views/files.py) and the workspace's queue filter.

Forms check the shape of what was typed; the rules (which move is allowed
now, amounts above zero, the file's currency) are the services' and come
back as LitigationError.
"""

import django_filters
from django import forms
from django.utils.translation import gettext_lazy as _

from collection.forms.widgets import DateInput, DateTimeInput
from legal.litigation.files import CLOSED
from legal.litigation.selectors import legal_officers
from legal.models import Enforcement, Evidence, FileStatus, Hearing, LegalCost, LitigationFile

MONEY = {"max_digits": 14, "decimal_places": 2}
AMOUNT_INPUT = forms.NumberInput(attrs={"step": "0.01", "min": "0", "style": "width: 9em"})
NOTE_INPUT = forms.Textarea(attrs={"rows": 2})


class NoteForm(forms.Form):
    note = forms.CharField(label=_("Note"), required=False, widget=NOTE_INPUT)


class FilingForm(NoteForm):
    court = forms.CharField(label=_("Court"), max_length=200)
    court_case_number = forms.CharField(label=_("Court case number"), max_length=80)
    filed_on = forms.DateField(label=_("Filed on"), widget=DateInput())
    field_order = ["court", "court_case_number", "filed_on", "note"]


class CloseForm(NoteForm):
    outcome = forms.ChoiceField(label=_("Outcome"), choices=[(status, FileStatus(status).label) for status in CLOSED])
    field_order = ["outcome", "note"]

    def __init__(self, *args, allowed=None, **kwargs):
        super().__init__(*args, **kwargs)
        if allowed is not None:
            self.fields["outcome"].choices = [(s, FileStatus(s).label) for s in CLOSED if s in allowed]


class AssignForm(forms.Form):
    legal_officer = forms.ModelChoiceField(label=_("Legal officer"), queryset=None, required=False)
    outside_lawyer = forms.CharField(label=_("Outside lawyer"), max_length=200, required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["legal_officer"].queryset = legal_officers()
        self.fields["legal_officer"].label_from_instance = lambda user: user.get_full_name() or user.username


class HearingForm(forms.Form):
    starts_at = forms.DateTimeField(label=_("Date and time"), widget=DateTimeInput())
    place = forms.CharField(label=_("Place"), max_length=200)
    notes = forms.CharField(label=_("Notes"), required=False, widget=NOTE_INPUT)


class HearingOutcomeForm(forms.Form):
    outcome = forms.ChoiceField(label=_("Outcome"), choices=Hearing.Outcome.choices)
    notes = forms.CharField(label=_("Notes"), required=False, widget=NOTE_INPUT)


class CostForm(forms.Form):
    kind = forms.ChoiceField(label=_("Kind"), choices=LegalCost.Kind.choices)
    amount = forms.DecimalField(label=_("Amount"), min_value=0.01, widget=AMOUNT_INPUT, **MONEY)
    incurred_on = forms.DateField(label=_("Date"), widget=DateInput())
    note = forms.CharField(label=_("Note"), max_length=300, required=False)


class JudgmentForm(forms.Form):
    judged_on = forms.DateField(label=_("Judgment date"), widget=DateInput())
    in_favour = forms.BooleanField(label=_("In our favour"), required=False, initial=True)
    principal = forms.DecimalField(label=_("Principal awarded"), min_value=0, initial=0, widget=AMOUNT_INPUT, **MONEY)
    interest = forms.DecimalField(label=_("Interest awarded"), min_value=0, initial=0, widget=AMOUNT_INPUT, **MONEY)
    penalty = forms.DecimalField(label=_("Penalty awarded"), min_value=0, initial=0, widget=AMOUNT_INPUT, **MONEY)
    fees = forms.DecimalField(label=_("Fees awarded"), min_value=0, initial=0, widget=AMOUNT_INPUT, **MONEY)
    costs = forms.DecimalField(label=_("Costs awarded"), min_value=0, initial=0, widget=AMOUNT_INPUT, **MONEY)
    appeal_deadline_on = forms.DateField(
        label=_("Appeal deadline"),
        required=False,
        widget=DateInput(),
        help_text=_("Empty: 15 days after the judgment (Civil Procedure Law art. 171)."),
    )
    notes = forms.CharField(label=_("Notes"), required=False, widget=NOTE_INPUT)


class EnforcementForm(forms.Form):
    applied_on = forms.DateField(label=_("Applied on"), widget=DateInput())
    court_reference = forms.CharField(label=_("Enforcement case number"), max_length=80, required=False)


class EnforcementStatusForm(forms.Form):
    status = forms.ChoiceField(label=_("Status"), choices=Enforcement.Status.choices)


class RecoveryForm(forms.Form):
    account = forms.ModelChoiceField(label=_("Account"), queryset=None, empty_label=None)
    amount = forms.DecimalField(label=_("Amount recovered"), min_value=0.01, widget=AMOUNT_INPUT, **MONEY)
    received_on = forms.DateField(label=_("Received on"), widget=DateInput())

    def __init__(self, *args, accounts, **kwargs):
        """`accounts`: the case's CaseAccount rows with their account (legal.litigation.court.recovery_accounts)."""
        super().__init__(*args, **kwargs)
        from lending.models import CreditAccount

        memberships = list(accounts)
        field = self.fields["account"]
        field.queryset = CreditAccount.objects.filter(pk__in=[m.account_id for m in memberships])
        # The choices from the rows in hand: the page draws this form once per enforcement without a query each.
        field.choices = [(m.account_id, m.account.external_id) for m in memberships]


class EvidenceForm(forms.Form):
    kind = forms.ChoiceField(label=_("Kind"), choices=Evidence.Kind.choices)
    name = forms.CharField(label=_("Name"), max_length=200)
    source = forms.CharField(label=_("Source"), max_length=200, required=False)
    proves = forms.CharField(label=_("What it proves"), max_length=300, required=False)
    upload = forms.FileField(
        label=_("File"),
        help_text=_("PDF, PNG or JPEG."),
        widget=forms.ClearableFileInput(attrs={"accept": "application/pdf,image/png,image/jpeg"}),
    )


class EvidenceMoveForm(forms.Form):
    direction = forms.ChoiceField(choices=[("up", "up"), ("down", "down")], required=False)
    position = forms.IntegerField(label=_("Number"), min_value=1, required=False)

    def clean(self):
        data = super().clean()
        if not data.get("direction") and data.get("position") is None:
            raise forms.ValidationError(_("Move the exhibit up or down, or give its new number."))
        return data


class FileQueueFilter(django_filters.FilterSet):
    status = django_filters.ChoiceFilter(label=_("Status"), empty_label=_("Any open"))
    legal_officer = django_filters.ChoiceFilter(
        label=_("Legal officer"), empty_label=_("Anyone"), method="filter_officer"
    )

    class Meta:
        model = LitigationFile
        fields = []

    UNASSIGNED = "none"

    def __init__(self, data=None, *args, officers=(), **kwargs):
        super().__init__(data if data is not None else {}, *args, **kwargs)
        worked = (
            FileStatus.AWAITING_APPROVAL,
            FileStatus.ACCEPTED,
            FileStatus.PREPARING,
            FileStatus.FILED,
            FileStatus.HEARING_SCHEDULED,
            FileStatus.JUDGMENT,
            FileStatus.ENFORCEMENT,
        )
        self.filters["status"].extra["choices"] = [(s, FileStatus(s).label) for s in worked]
        self.filters["legal_officer"].extra["choices"] = [
            (self.UNASSIGNED, _("Nobody yet")),
            *((user.pk, user.get_full_name() or user.username) for user in officers),
        ]

    def filter_officer(self, queryset, name, value):
        if value == self.UNASSIGNED:
            return queryset.filter(legal_officer__isnull=True)
        return queryset.filter(legal_officer_id=value)
