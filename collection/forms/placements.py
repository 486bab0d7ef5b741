"""The manager's placing and recalling forms: which agency (or agencies and a rule), and why a recall."""

from django import forms
from django.utils.translation import gettext_lazy as _

from collection.agencies.recall import MANUAL_REASONS
from collection.models import Agency, AgencyStatus, AllocationRule, RecallReason

ONE_AGENCY_ONLY = _("“One agency” places with one agency: choose one, or a rule to share among several.")
CHOOSE_AGENCY = _("Choose the agency (or the agencies) to place the cases with.")


class PlacementForm(forms.Form):
    rule = forms.ChoiceField(
        label=_("How"),
        choices=AllocationRule.choices,
        initial=AllocationRule.SINGLE,
        widget=forms.RadioSelect,
        help_text=_(
            "One agency takes every case; or the cases are shared among the agencies chosen: in turn "
            "(round-robin), by the regions their contracts cover, or more to the better liquidation rate."
        ),
    )
    agencies = forms.ModelMultipleChoiceField(
        label=_("Agencies"),
        queryset=Agency.objects.none(),
        widget=forms.CheckboxSelectMultiple,
        required=False,
    )
    note = forms.CharField(label=_("Note"), max_length=300, required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["agencies"].queryset = Agency.objects.filter(status=AgencyStatus.ACTIVE).order_by("name", "pk")

    def clean(self):
        data = super().clean()
        agencies = list(data.get("agencies") or ())
        if not agencies:
            self.add_error("agencies", CHOOSE_AGENCY)
        elif data.get("rule") == AllocationRule.SINGLE and len(agencies) > 1:
            self.add_error("agencies", ONE_AGENCY_ONLY)
        data["agencies"] = agencies
        return data


class RecallForm(forms.Form):
    reason = forms.ChoiceField(
        label=_("Reason"),
        choices=[(reason.value, reason.label) for reason in RecallReason if reason in MANUAL_REASONS],
        initial=RecallReason.MANUAL,
    )
    note = forms.CharField(label=_("Note"), max_length=300, required=False)
