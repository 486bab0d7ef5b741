"""
The queues' filters. Every filter narrows the queryset the view already
scoped to the user (collection.selectors.cases_visible_to); none of them
widens it. Closed cases stay out unless the status filter asks for them.
"""

import datetime

import django_filters
from django import forms
from django.db.models import Exists, OuterRef, Q
from django.forms.utils import flatatt
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext_lazy as _

from collection.models import Case, CaseAccount, CaseStatus, LatenessReason, Stage, case_id_from_number
from collection.services.next_case import due_now
from lending.models import Bucket, CreditProduct

# Legal's warning period for limitation expiries (legal.limitation.WARNING_DAYS says the same).
LIMITATION_WARNING_DAYS = 90


def bucket_choices():
    return [(code, code) for code in Bucket.objects.order_by("min_days").values_list("code", flat=True)]


class QuickSelect(forms.Select):
    """
    A select written in Python: Django renders each option through a
    template, which on a queue page costs more than all of its rows.
    """

    def render(self, name, value, attrs=None, renderer=None):
        selected = set(self.format_value(value))
        options = format_html_join(
            "",
            '<option value="{}"{}>{}</option>',
            ((choice, " selected" if str(choice) in selected else "", label) for choice, label in self.choices),
        )
        return format_html(
            '<select name="{}"{}>{}</select>', name, flatatt(self.build_attrs(self.attrs, attrs)), options
        )


def _checkbox(label):
    # A ticked box narrows the queue; an empty one leaves it alone.
    return django_filters.BooleanFilter(label=label, widget=forms.CheckboxInput, method="filter_flag")


class CaseQueueFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(
        label=_("Case number or borrower"),
        method="filter_search",
        widget=forms.TextInput(
            attrs={
                "type": "search",
                "size": 22,
                "placeholder": _("C-2026-000123 or a name"),
                "data-shortcut": "/",
                "aria-keyshortcuts": "/",
            }
        ),
    )
    # Choices read from the database are read once per page, in __init__ (validating and rendering
    # a ModelChoiceFilter would read them twice).
    team = django_filters.ChoiceFilter(label=_("Team"), field_name="team", empty_label=_("Any"), widget=QuickSelect)
    bucket = django_filters.ChoiceFilter(label=_("Bucket"), empty_label=_("Any"), widget=QuickSelect)
    days_past_due = django_filters.RangeFilter(
        label=_("Days past due"),
        widget=django_filters.widgets.RangeWidget(attrs={"type": "number", "min": 0, "style": "width: 5em"}),
    )
    stage = django_filters.ChoiceFilter(
        label=_("Stage"), choices=Stage.choices, empty_label=_("Any"), widget=QuickSelect
    )
    status = django_filters.ChoiceFilter(
        label=_("Status"),
        choices=CaseStatus.choices,
        empty_label=_("Any open"),
        method="filter_status",
        widget=QuickSelect,
    )
    product = django_filters.ChoiceFilter(
        label=_("Product"), empty_label=_("Any"), method="filter_product", widget=QuickSelect
    )
    province = django_filters.CharFilter(
        label=_("Province"), field_name="borrower__province", widget=forms.TextInput(attrs={"size": 8})
    )
    city = django_filters.CharFilter(
        label=_("City"), field_name="borrower__city", widget=forms.TextInput(attrs={"size": 8})
    )
    reason = django_filters.ChoiceFilter(
        label=_("Reason"), choices=LatenessReason.choices, empty_label=_("Any"), widget=QuickSelect
    )
    overdue_total = django_filters.RangeFilter(
        label=_("Overdue between"),
        widget=django_filters.widgets.RangeWidget(
            attrs={"type": "number", "min": 0, "step": "0.01", "style": "width: 7em"}
        ),
    )
    broken_promise = _checkbox(_("Broken promise"))
    promise_due_today = _checkbox(_("Promise due today"))
    next_action_due = _checkbox(_("Next action due"))
    limitation_soon = _checkbox(_("Limitation expires within 90 days"))
    no_contact_days = django_filters.NumberFilter(
        label=_("No contact in (days)"),
        method="filter_no_contact",
        min_value=1,
        widget=forms.NumberInput(attrs={"min": 1, "style": "width: 4.5em"}),
    )

    class Meta:
        model = Case
        fields = []

    def __init__(self, data=None, *args, teams=None, now=None, **kwargs):
        """`teams`: the teams the user may pick among (None: no team filter)."""
        # Always bound, so that a page without filters still leaves the closed cases out.
        super().__init__(data if data is not None else {}, *args, **kwargs)
        self.now = now or timezone.now()
        if teams is None:
            del self.filters["team"]
        else:
            self.filters["team"].extra["choices"] = [(team.pk, team.name) for team in teams]
        self.filters["bucket"].extra["choices"] = bucket_choices()
        self.filters["product"].extra["choices"] = list(
            CreditProduct.objects.order_by("name").values_list("pk", "name")
        )

    def filter_queryset(self, queryset):
        # Only open cases unless the status filter asks for closed ones.
        if self.form.cleaned_data.get("status") != CaseStatus.CLOSED:
            queryset = queryset.exclude(status=CaseStatus.CLOSED)
        return super().filter_queryset(queryset)

    def filter_status(self, queryset, name, value):
        return queryset.filter(status=value)

    def filter_search(self, queryset, name, value):
        value = value.strip()
        if not value:
            return queryset
        case_id = case_id_from_number(value)
        if case_id is not None:
            return queryset.filter(pk=case_id)
        # The start of the name: an indexed prefix search (lending's borrower_name_prefix_idx).
        return queryset.filter(borrower__name__startswith=value)

    def filter_product(self, queryset, name, value):
        current = CaseAccount.objects.filter(case=OuterRef("pk"), left_on__isnull=True, account__product_id=value)
        return queryset.filter(Exists(current))

    def filter_flag(self, queryset, name, value):
        if not value:
            return queryset
        if name == "broken_promise":
            return queryset.filter(has_broken_promise=True)
        if name == "promise_due_today":
            # Due dates are the lender's dates.
            return queryset.filter(promise_due_on=timezone.localdate(self.now, timezone.get_default_timezone()))
        if name == "next_action_due":
            return queryset.filter(due_now(self.now))
        if name == "limitation_soon":
            # Expired periods too: written by legal (legal/limitation/) on Case.limitation_expires_on.
            today = timezone.localdate(self.now, timezone.get_default_timezone())
            return queryset.filter(limitation_expires_on__lte=today + datetime.timedelta(days=LIMITATION_WARNING_DAYS))
        raise ValueError(name)

    def filter_no_contact(self, queryset, name, value):
        since = self.now - datetime.timedelta(days=int(value))
        return queryset.filter(Q(last_contact_at__isnull=True) | Q(last_contact_at__lt=since))
