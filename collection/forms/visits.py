"""
The field visit forms: the request, the team lead's scheduling and rejection,
the agent's day picker and the visit report (with its files). The rules are
collection/services/visits.py's; the forms check the shape of what was typed
and the files' type and size before anything is saved.
"""

from decimal import Decimal

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.models import User
from collection.errors import CollectionError
from collection.forms.widgets import DateInput, DateTimeInput, MultipleFileField
from collection.models import AnsweredBy, Outcome
from collection.selectors.visits import field_agents
from collection.services import visits as services

OTHER_ADDRESS = "other"
ADDRESS_NEEDED = _("Type the address to visit.")


class VisitRequestForm(forms.Form):
    address_choice = forms.ChoiceField(label=_("Address"), widget=forms.RadioSelect)
    address = forms.CharField(label=_("Other address"), required=False, max_length=300)
    district = forms.CharField(label=_("District"), required=False, max_length=50)
    reason = forms.CharField(label=_("Why visit"), max_length=300, widget=forms.Textarea(attrs={"rows": 2}))
    preferred_on = forms.DateField(label=_("Preferred date"), required=False, widget=DateInput)

    def __init__(self, *args, borrower, **kwargs):
        super().__init__(*args, **kwargs)
        self.addresses = {str(point.pk): point for point in services.borrower_addresses(borrower)}
        self.fields["address_choice"].choices = [
            *((pk, f"{point.get_kind_display()}: {point.value}") for pk, point in self.addresses.items()),
            (OTHER_ADDRESS, _("Another address")),
        ]
        self.fields["preferred_on"].widget.attrs["min"] = services.lender_today().isoformat()
        if not self.is_bound:
            self.initial.setdefault("address_choice", next(iter(self.addresses), OTHER_ADDRESS))
            self.initial.setdefault("district", borrower.district)

    def clean(self):
        cleaned = super().clean()
        choice = cleaned.get("address_choice")
        if choice == OTHER_ADDRESS and not cleaned.get("address"):
            self.add_error("address", ADDRESS_NEEDED)
        return cleaned

    def service_kwargs(self) -> dict:
        data = self.cleaned_data
        point = self.addresses.get(data["address_choice"])
        return {
            "contact_point": point,
            "address": "" if point is not None else data["address"],
            "district": data["district"],
            "reason": data["reason"],
            "preferred_on": data["preferred_on"],
        }


class VisitScheduleForm(forms.Form):
    agent = forms.ModelChoiceField(label=_("Field agent"), queryset=User.objects.none())
    scheduled_on = forms.DateField(label=_("Day"), widget=DateInput)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["agent"].queryset = field_agents()


class VisitRejectForm(forms.Form):
    note = forms.CharField(label=_("Why"), max_length=300)


class VisitDayForm(forms.Form):
    day = forms.DateField(label=_("Day"), required=False, widget=DateInput)


class VisitReportForm(forms.Form):
    visited_at = forms.DateTimeField(label=_("Visited at"), widget=DateTimeInput)
    met = forms.ChoiceField(label=_("Met"), choices=AnsweredBy.choices, widget=forms.RadioSelect)
    outcome = forms.ChoiceField(label=_("Outcome"))
    was_recorded = forms.BooleanField(
        label=_("Recorded on audio or video"),
        required=False,
        help_text=_("The industry convention: every visit is recorded from arrival to departure."),
    )
    notes = forms.CharField(
        label=_("Report"), required=False, max_length=5000, widget=forms.Textarea(attrs={"rows": 4})
    )
    promise_amount = forms.DecimalField(
        label=_("Promise: amount"),
        required=False,
        max_digits=14,
        decimal_places=2,
        min_value=Decimal("0.01"),
        widget=forms.NumberInput(attrs={"step": "0.01", "min": "0.01", "inputmode": "decimal"}),
    )
    promise_due_on = forms.DateField(label=_("Promise: by"), required=False, widget=DateInput)
    attachments = MultipleFileField(
        label=_("Photos and recordings"),
        required=False,
        help_text=_("Up to %(count)d files: photos up to 10 MB, audio up to 50 MB, video up to 200 MB each.")
        % {"count": services.MAX_ATTACHMENTS},
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # The outcomes, once each, in the model's order.
        allowed = {outcome for outcomes in services.VISIT_OUTCOMES.values() for outcome in outcomes}
        self.fields["outcome"].choices = [("", "—")] + [
            (value, label) for value, label in Outcome.choices if value in allowed
        ]
        self.fields["attachments"].widget.attrs["accept"] = ",".join(
            [*services.ATTACHMENT_TYPES, "image/*", "audio/*", "video/*"]
        )
        if not self.is_bound:
            self.initial.setdefault("visited_at", timezone.localtime().replace(second=0, microsecond=0))

    def clean_attachments(self):
        uploads = self.cleaned_data["attachments"]
        try:
            services.attachments_check(uploads)
        except CollectionError as error:
            raise forms.ValidationError(str(error)) from None
        return uploads
