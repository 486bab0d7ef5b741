"""The team lead's bulk reassignment: the ticked cases of a queue and where they go."""

from django import forms
from django.utils.translation import gettext_lazy as _

from accounts.models import Team, User
from collection.filters import QuickSelect
from collection.selectors.reassignment import reassign_targets, reassignable_case_ids

REASSIGN_NOTHING_SELECTED = _("Select at least one case.")
REASSIGN_NO_TARGET = _("Choose a collector or a team to move the cases to.")
REASSIGN_TWO_TARGETS = _("Choose a collector or a team, not both.")


class CollectorChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        return f"{obj} ({obj.team})"


class BulkReassignForm(forms.Form):
    """The selected cases (`case`, one per ticked row) and where they go."""

    to_user = CollectorChoiceField(
        label=_("To collector"), queryset=User.objects.none(), required=False, widget=QuickSelect
    )
    to_team = forms.ModelChoiceField(
        label=_("or to team"), queryset=Team.objects.none(), required=False, widget=QuickSelect
    )

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user
        self.fields["to_user"].queryset, self.fields["to_team"].queryset = reassign_targets(user)
        self.fields["to_user"].empty_label = _("Collector…")
        self.fields["to_team"].empty_label = _("Team…")

    def clean(self):
        data = super().clean()
        # Only the open cases the user may see; any other id is dropped without a word (as a 404 would).
        ids = {int(pk) for pk in self.data.getlist("case") if pk.isdigit()}
        data["case_ids"] = reassignable_case_ids(self.user, ids)
        if not data["case_ids"]:
            raise forms.ValidationError(REASSIGN_NOTHING_SELECTED)
        if self.errors:
            return data  # an unknown collector or team: that error says it all
        if not data.get("to_user") and not data.get("to_team"):
            raise forms.ValidationError(REASSIGN_NO_TARGET)
        if data.get("to_user") and data.get("to_team"):
            raise forms.ValidationError(REASSIGN_TWO_TARGETS)
        return data
