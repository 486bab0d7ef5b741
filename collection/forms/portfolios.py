"""A portfolio's contact limits: only values stricter than its jurisdiction's profile are accepted."""

from django import forms
from django.utils.translation import gettext_lazy as _

from collection import compliance
from collection.models import Portfolio
from collection.services.portfolios import LIMIT_FIELDS


class PortfolioLimitsForm(forms.Form):
    earliest_contact = forms.TimeField(
        label=_("Earliest contact (borrower's local time)"),
        required=False,
        widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M"),
    )
    latest_contact = forms.TimeField(
        label=_("Latest contact (borrower's local time)"),
        required=False,
        widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M"),
        help_text=_("Contact stops at this time: the last allowed moment is one second before it."),
    )
    max_connected_calls_per_day = forms.IntegerField(label=_("Most connected calls a day"), required=False, min_value=0)
    max_call_attempts_per_7_days = forms.IntegerField(
        label=_("Most call attempts in 7 days"), required=False, min_value=0
    )

    def __init__(self, *args, portfolio: Portfolio, **kwargs):
        super().__init__(*args, **kwargs)
        self.portfolio = portfolio
        profile = compliance.PROFILES[portfolio.jurisdiction]
        # Empty means the profile's own value: say which.
        for field, value in (
            ("earliest_contact", profile.earliest_contact.strftime("%H:%M")),
            ("latest_contact", profile.latest_contact.strftime("%H:%M")),
            ("max_connected_calls_per_day", profile.max_connected_calls_per_day),
            ("max_call_attempts_per_7_days", profile.max_call_attempts_per_7_days),
        ):
            shown = _("no limit") if value is None else value
            self.fields[field].widget.attrs["placeholder"] = str(shown)
            profile_says = _("Empty: the profile's (%(value)s). Only a stricter value is accepted.") % {"value": shown}
            help_text = self.fields[field].help_text
            self.fields[field].help_text = f"{help_text} {profile_says}" if help_text else profile_says

    def clean(self):
        cleaned = super().clean()
        if not self.errors:
            problems = compliance.portfolio_limits_errors(
                jurisdiction=self.portfolio.jurisdiction, **{field: cleaned.get(field) for field in LIMIT_FIELDS}
            )
            for field, message in problems.items():
                self.add_error(field, message)
        return cleaned
