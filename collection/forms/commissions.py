"""The commission statements' forms: generating a month's statement for an agency, and the list's filters."""

import datetime

import django_filters
from django import forms
from django.utils.translation import gettext_lazy as _

from collection.models import Agency, CommissionStatement, StatementStatus

MONTH_FORMAT = "%Y-%m"
MONTH_INVALID = _("Enter a month as YYYY-MM.")


class MonthInput(forms.DateInput):
    """The browser's month picker; the value is "YYYY-MM"."""

    input_type = "month"

    def __init__(self, attrs=None):
        super().__init__(attrs=attrs, format=MONTH_FORMAT)


class MonthField(forms.DateField):
    """A month, as the first day of it."""

    widget = MonthInput
    input_formats = [MONTH_FORMAT, "%Y-%m-%d"]
    default_error_messages = {"invalid": MONTH_INVALID}

    def to_python(self, value):
        day = super().to_python(value)
        return day.replace(day=1) if day else day


class StatementGenerateForm(forms.Form):
    agency = forms.ModelChoiceField(label=_("Agency"), queryset=Agency.objects.none())
    month = MonthField(label=_("Month"))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["agency"].queryset = Agency.objects.order_by("name", "id")


def previous_month(today: datetime.date) -> datetime.date:
    return (today.replace(day=1) - datetime.timedelta(days=1)).replace(day=1)


class StatementFilter(django_filters.FilterSet):
    agency = django_filters.ModelChoiceFilter(label=_("Agency"), queryset=Agency.objects.order_by("name", "id"))
    month = django_filters.DateFilter(
        label=_("Month"),
        field_name="period_start",
        widget=MonthInput(),
        input_formats=[MONTH_FORMAT],
        method="filter_month",
    )
    status = django_filters.ChoiceFilter(label=_("Status"), choices=StatementStatus.choices, empty_label=_("Any"))

    class Meta:
        model = CommissionStatement
        fields = ["agency", "month", "status"]

    def filter_month(self, queryset, name, value):
        return queryset.filter(period_start=value.replace(day=1))
