"""The forms of the credit-line buttons and the deliveries page's filters."""

import django_filters
from django import forms
from django.utils.translation import gettext_lazy as _

from lending.models import CoreSystemDelivery, CreditLimitChange

Reason = CreditLimitChange.Reason
# What a manager may give as the reason for freezing or cutting a line.
ACTION_REASONS = [
    (reason.value, reason.label)
    for reason in (Reason.DELINQUENCY, Reason.REVIEW, Reason.CUSTOMER_REQUEST, Reason.OTHER)
]


class LineFreezeForm(forms.Form):
    reason = forms.ChoiceField(label=_("Reason"), choices=ACTION_REASONS, initial=Reason.DELINQUENCY)
    note = forms.CharField(label=_("Note"), max_length=300, required=False)


class LineCutForm(LineFreezeForm):
    new_limit = forms.DecimalField(label=_("New limit"), min_value=0, max_digits=14, decimal_places=2)

    field_order = ["new_limit", "reason", "note"]


class LineRestoreForm(forms.Form):
    note = forms.CharField(label=_("Note"), max_length=300, required=False)


class CoreDeliveryFilter(django_filters.FilterSet):
    status = django_filters.ChoiceFilter(
        label=_("Status"), choices=CoreSystemDelivery.Status.choices, empty_label=_("Any")
    )
    action = django_filters.ChoiceFilter(
        label=_("Change"),
        field_name="limit_change__action",
        choices=CreditLimitChange.Action.choices,
        empty_label=_("Any"),
    )
    account = django_filters.CharFilter(label=_("Account"), field_name="account__external_id", lookup_expr="exact")

    class Meta:
        model = CoreSystemDelivery
        fields = ["status", "action", "account"]
