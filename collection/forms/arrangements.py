"""
The arrangement forms, one per kind, and the approver's decision. They check
the shape of what was typed; the rules (against the balance, the limits) are
collection/services/arrangements.py's, whose CollectionError the view puts back
on the named field.
"""

import datetime
from decimal import ROUND_DOWN, Decimal

from django import forms
from django.utils.translation import gettext_lazy as _

from collection.forms.widgets import DateInput
from collection.models import ArrangementKind
from collection.services.arrangement_rules import (
    MAX_DAYS_TO_PAY,
    MAX_EXTENSION_DAYS,
    MAX_PLAN_INSTALLMENTS,
    CaseBalance,
)
from lending.services import lender_today

ROW_INCOMPLETE = _("Give both the date and the amount of installment {number}.")
PLAN_NO_ROWS = _("Give the plan at least one installment.")
SUGGESTED_PLAN_INSTALLMENTS = 3


def _money_field(label, **kwargs):
    return forms.DecimalField(
        label=label,
        max_digits=14,
        decimal_places=2,
        widget=forms.NumberInput(attrs={"step": "0.01", "min": "0", "inputmode": "decimal"}),
        **kwargs,
    )


def _dated(field, *, today, days):
    field.widget.attrs.update({"min": today.isoformat(), "max": (today + datetime.timedelta(days=days)).isoformat()})
    return field


class ArrangementForm(forms.Form):
    """What every kind has: notes. Subclasses add their terms and say how they reach the service."""

    kind: str = ""
    notes = forms.CharField(label=_("Notes"), required=False, max_length=2000, widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args, balance: CaseBalance, **kwargs):
        self.balance = balance
        self.today = lender_today()
        super().__init__(*args, **kwargs)
        self.fields["notes"] = self.fields.pop("notes")

    def service_kwargs(self) -> dict:
        raise NotImplementedError

    # The service names "schedule" for the plan's rows: no single field, so the form's own errors.
    def field_for_error(self, name: str) -> str | None:
        return name if name in self.fields else None


class PlanForm(ArrangementForm):
    """A new schedule: up to MAX_PLAN_INSTALLMENTS rows of date and amount; empty rows are skipped."""

    kind = ArrangementKind.REPAYMENT_PLAN

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for number in range(1, MAX_PLAN_INSTALLMENTS + 1):
            self.fields[f"due_on_{number}"] = _dated(
                forms.DateField(label=_("Date %(number)d") % {"number": number}, required=False, widget=DateInput),
                today=self.today,
                days=366,
            )
            self.fields[f"amount_{number}"] = _money_field(
                _("Amount %(number)d") % {"number": number}, required=False, min_value=Decimal("0.01")
            )
        self.fields["notes"] = self.fields.pop("notes")
        if not self.is_bound:
            self.initial.update(self.suggestion())

    def suggestion(self) -> dict:
        """The overdue amount in three monthly parts from a week today: a start the collector edits."""
        overdue = self.balance.overdue_total
        if overdue <= 0:
            return {}
        part = (overdue / SUGGESTED_PLAN_INSTALLMENTS).quantize(Decimal("0.01"), rounding=ROUND_DOWN)
        initial = {}
        for number in range(1, SUGGESTED_PLAN_INSTALLMENTS + 1):
            initial[f"due_on_{number}"] = self.today + datetime.timedelta(days=7 + 30 * (number - 1))
            last = number == SUGGESTED_PLAN_INSTALLMENTS
            initial[f"amount_{number}"] = overdue - part * (SUGGESTED_PLAN_INSTALLMENTS - 1) if last else part
        return initial

    def rows(self):
        """The bound fields, paired by row, for the template."""
        return [
            (number, self[f"due_on_{number}"], self[f"amount_{number}"])
            for number in range(1, MAX_PLAN_INSTALLMENTS + 1)
        ]

    def clean(self):
        cleaned = super().clean()
        schedule = []
        for number in range(1, MAX_PLAN_INSTALLMENTS + 1):
            due_on, amount = cleaned.get(f"due_on_{number}"), cleaned.get(f"amount_{number}")
            if f"due_on_{number}" in self.errors or f"amount_{number}" in self.errors:
                continue
            if due_on is None and amount is None:
                continue
            if due_on is None or amount is None:
                self.add_error(
                    f"due_on_{number}" if due_on is None else f"amount_{number}",
                    str(ROW_INCOMPLETE).format(number=number),
                )
                continue
            schedule.append((due_on, amount))
        if not schedule and not self.errors:
            raise forms.ValidationError(PLAN_NO_ROWS)
        cleaned["schedule"] = schedule
        return cleaned

    def service_kwargs(self):
        return {"schedule": self.cleaned_data["schedule"]}


class SettlementForm(ArrangementForm):
    kind = ArrangementKind.SETTLEMENT

    lump_sum = _money_field(_("Lump sum"), min_value=Decimal("0.01"))
    pay_by = forms.DateField(label=_("Paid by"), widget=DateInput)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        _dated(self.fields["pay_by"], today=self.today, days=MAX_DAYS_TO_PAY)
        self.fields["lump_sum"].help_text = _("The rest of the outstanding balance is the concession.")
        if not self.is_bound:
            self.initial.setdefault("pay_by", self.today + datetime.timedelta(days=7))

    def service_kwargs(self):
        return {"lump_sum": self.cleaned_data["lump_sum"], "pay_by": self.cleaned_data["pay_by"]}


class ExtensionForm(ArrangementForm):
    kind = ArrangementKind.EXTENSION

    new_due_on = forms.DateField(label=_("New date for the overdue amount"), widget=DateInput)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        _dated(self.fields["new_due_on"], today=self.today + datetime.timedelta(days=1), days=MAX_EXTENSION_DAYS - 1)
        self.fields["new_due_on"].help_text = _(
            "The penalty that would accrue on the overdue principal until then is the concession."
        )
        if not self.is_bound:
            self.initial.setdefault("new_due_on", self.today + datetime.timedelta(days=14))

    def service_kwargs(self):
        return {"new_due_on": self.cleaned_data["new_due_on"]}


class WaiverForm(ArrangementForm):
    kind = ArrangementKind.WAIVER

    waive_penalty = _money_field(_("Penalty waived"), required=False, min_value=Decimal("0"))
    waive_fees = _money_field(_("Fees waived"), required=False, min_value=Decimal("0"))
    waive_interest = _money_field(_("Interest waived"), required=False, min_value=Decimal("0"))
    pay_by = forms.DateField(label=_("The rest of the overdue amount paid by"), widget=DateInput)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        _dated(self.fields["pay_by"], today=self.today, days=MAX_DAYS_TO_PAY)
        for name, outstanding in (
            ("waive_penalty", self.balance.penalty),
            ("waive_fees", self.balance.fees),
            ("waive_interest", self.balance.interest),
        ):
            self.fields[name].widget.attrs["max"] = str(outstanding)
        if not self.is_bound:
            self.initial.setdefault("waive_penalty", self.balance.penalty)
            self.initial.setdefault("pay_by", self.today + datetime.timedelta(days=7))

    def service_kwargs(self):
        return {
            "waive_penalty": self.cleaned_data["waive_penalty"],
            "waive_fees": self.cleaned_data["waive_fees"],
            "waive_interest": self.cleaned_data["waive_interest"],
            "pay_by": self.cleaned_data["pay_by"],
        }


FORMS_BY_KIND: dict[str, type[ArrangementForm]] = {
    form.kind: form for form in (PlanForm, SettlementForm, ExtensionForm, WaiverForm)
}


class DecisionForm(forms.Form):
    decision = forms.ChoiceField(choices=[("approve", _("Approve")), ("reject", _("Reject"))])
    note = forms.CharField(label=_("Note"), required=False, max_length=300)


class CancelForm(forms.Form):
    note = forms.CharField(label=_("Why"), required=False, max_length=300)
