"""The filters of the compliance reports (the refusal log, inbound contacts): a period, a rule, a collector."""

import datetime

from django import forms
from django.utils.translation import gettext_lazy as _

from collection.compliance import Rule
from collection.forms.widgets import DateInput
from collection.selectors.reports import REPORT_MOST_DAYS, Period
from lending.services import lender_today

PERIOD_ORDER = _("The first day must come before the last.")
PERIOD_TOO_LONG = _("A report covers at most %(days)d days at once.")
# Without dates, a report shows the last week (today and the six days before).
DEFAULT_DAYS = 7


class ReportFilterForm(forms.Form):
    """From, to (the lender's days) and, on the refusal log, the rule and the collector."""

    first = forms.DateField(label=_("From"), required=False, widget=DateInput)
    last = forms.DateField(label=_("To"), required=False, widget=DateInput)
    rule = forms.ChoiceField(label=_("Rule"), required=False)
    # An id, not a choice among the staff listed: the rows are scoped anyway, and a collector
    # refused outside the period shown is still a valid filter.
    collector = forms.IntegerField(label=_("Collector"), required=False, min_value=1, widget=forms.Select)

    def __init__(self, *args, collectors=(), with_rule: bool = True, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["collector"].widget.choices = [("", _("Everyone")), *[(str(pk), name) for pk, name in collectors]]
        if with_rule:
            self.fields["rule"].choices = [("", _("Every rule")), *Rule.choices]
        else:
            del self.fields["rule"]

    def clean(self):
        cleaned = super().clean()
        today = lender_today()
        last = cleaned.get("last") or today
        first = cleaned.get("first") or last - datetime.timedelta(days=DEFAULT_DAYS - 1)
        if first > last:
            raise forms.ValidationError(PERIOD_ORDER)
        if (last - first).days + 1 > REPORT_MOST_DAYS:
            raise forms.ValidationError(PERIOD_TOO_LONG % {"days": REPORT_MOST_DAYS})
        cleaned["period"] = Period(first, last)
        return cleaned


def default_period() -> Period:
    last = lender_today()
    return Period(last - datetime.timedelta(days=DEFAULT_DAYS - 1), last)
