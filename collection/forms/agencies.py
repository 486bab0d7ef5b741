"""
The manager's forms for agencies: the agency, its status, an evaluation, a
member, and a contract with its commission tiers (a formset; rates typed in
per cent). They check the shape of what was typed; collection/agencies/services.py
holds the rules (tiers that cover the basis, dates, rates).
"""

from decimal import Decimal

from django import forms
from django.contrib.auth import get_user_model
from django.utils.translation import gettext_lazy as _

from accounts.roles import Role
from collection.agencies.services import TierDraft, placeable_bucket_codes
from collection.forms.widgets import DateInput
from collection.models import Agency, AgencyContract, AgencyField, AgencyStatus, EvaluationOutcome, TierBasis
from lending.models import Borrower, CreditProduct

HUNDRED = Decimal(100)


class AgencyForm(forms.ModelForm):
    class Meta:
        model = Agency
        fields = [
            "code",
            "name",
            "licence_number",
            "registration_number",
            "contact_name",
            "contact_phone",
            "contact_email",
            "address",
        ]


class AgencyStatusForm(forms.Form):
    status = forms.ChoiceField(label=_("New status"), choices=AgencyStatus.choices)
    note = forms.CharField(label=_("Why"), max_length=300, required=False)


class EvaluationForm(forms.Form):
    evaluated_on = forms.DateField(label=_("Evaluated on"), widget=DateInput())
    outcome = forms.ChoiceField(label=_("Outcome"), choices=EvaluationOutcome.choices)
    notes = forms.CharField(
        label=_("Notes"),
        required=False,
        max_length=4000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("What was reviewed: compliance, complaints, results, the conditions set."),
    )


class UserChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, user):
        full_name = user.get_full_name()
        return f"{full_name} ({user.get_username()})" if full_name else user.get_username()


class MemberLinkForm(forms.Form):
    user = UserChoiceField(
        label=_("User"),
        queryset=get_user_model().objects.none(),
        help_text=_("Users of the agency role, made by an administrator in the admin site."),
    )
    is_supervisor = forms.TypedChoiceField(
        label=_("Role at the agency"),
        choices=[("0", _("Agent")), ("1", _("Supervisor"))],
        coerce=lambda value: value == "1",
        initial="0",
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["user"].queryset = (
            get_user_model().objects.filter(role=Role.AGENCY_AGENT, is_active=True).order_by("username")
        )


def _provinces() -> list[tuple[str, str]]:
    values = Borrower.objects.exclude(province="").order_by("province").values_list("province", flat=True).distinct()
    return [(value, value) for value in values]


class ContractForm(forms.ModelForm):
    regions = forms.MultipleChoiceField(
        label=_("Regions"),
        required=False,
        widget=forms.SelectMultiple(attrs={"size": 8}),
        help_text=_("The provinces the agency may work. None chosen: every region."),
    )
    other_regions = forms.CharField(
        label=_("Other regions"),
        required=False,
        max_length=500,
        help_text=_("Provinces no borrower lives in yet, separated by commas."),
    )
    products = forms.ModelMultipleChoiceField(
        label=_("Products"),
        required=False,
        queryset=CreditProduct.objects.none(),
        widget=forms.SelectMultiple(attrs={"size": 5}),
        help_text=_("None chosen: every product."),
    )
    visible_fields = forms.MultipleChoiceField(
        label=_("Borrower details the agency sees"),
        required=False,
        choices=AgencyField.choices,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("The borrower's name and the amounts always show; the national id never does."),
    )

    class Meta:
        model = AgencyContract
        fields = [
            "reference",
            "starts_on",
            "ends_on",
            "currency",
            "tier_basis",
            "flat_fee_per_case",
            "placement_days",
            "max_caseload",
            "regions",
            "products",
            "visible_fields",
            "notes",
        ]
        widgets = {
            "starts_on": DateInput(),
            "ends_on": DateInput(),
            "notes": forms.Textarea(attrs={"rows": 2}),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        known = _provinces()
        names = {value for value, _label in known}
        saved = list(self.instance.regions or []) if self.instance.pk else []
        self.fields["regions"].choices = known + [(region, region) for region in saved if region not in names]
        self.fields["regions"].initial = saved
        self.fields["products"].queryset = CreditProduct.objects.order_by("name")
        self.fields["visible_fields"].initial = list(self.instance.visible_fields or [])

    def clean(self):
        cleaned = super().clean()
        others = [part.strip() for part in (cleaned.get("other_regions") or "").replace("，", ",").split(",")]
        cleaned["regions"] = sorted({*(cleaned.get("regions") or []), *(part for part in others if part)})
        return cleaned

    def contract(self) -> AgencyContract:
        """The instance with the typed values, unsaved (contract_save saves it with its tiers)."""
        contract = self.save(commit=False)
        contract.regions = self.cleaned_data["regions"]
        contract.visible_fields = list(self.cleaned_data["visible_fields"])
        return contract


class TierForm(forms.Form):
    bucket = forms.ChoiceField(label=_("Bucket at placement"), required=False)
    min_days = forms.IntegerField(label=_("From day"), required=False, min_value=0, max_value=3650)
    max_days = forms.IntegerField(label=_("To day"), required=False, min_value=0, max_value=3650)
    rate_percent = forms.DecimalField(
        label=_("Rate (%)"), required=False, min_value=0, max_value=100, max_digits=6, decimal_places=2
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["bucket"].choices = [("", _("any other bucket"))] + [
            (code, code) for code in placeable_bucket_codes()
        ]

    def is_blank(self) -> bool:
        data = self.cleaned_data
        return data.get("rate_percent") is None and data.get("min_days") is None and not data.get("bucket")

    def clean(self):
        cleaned = super().clean()
        if not self.errors and not self.is_blank() and cleaned.get("rate_percent") is None:
            self.add_error("rate_percent", _("Give the tier its rate."))
        return cleaned


class BaseTierFormSet(forms.BaseFormSet):
    def drafts(self, basis: str) -> list[TierDraft]:
        """The filled rows as tiers of `basis` (a bucket tier's days and a day tier's bucket are ignored)."""
        drafts = []
        for form in self.forms:
            if (self.can_delete and self._should_delete_form(form)) or form.is_blank():
                continue
            data = form.cleaned_data
            rate = (data["rate_percent"] / HUNDRED).quantize(Decimal("0.0001"))
            if basis == TierBasis.BUCKET:
                drafts.append(TierDraft(rate=rate, bucket=data.get("bucket") or ""))
            else:
                drafts.append(TierDraft(rate=rate, min_days=data.get("min_days"), max_days=data.get("max_days")))
        return drafts


TierFormSet = forms.formset_factory(TierForm, formset=BaseTierFormSet, extra=4, can_delete=True, max_num=30)


def tier_initial(contract: AgencyContract | None) -> list[dict]:
    if contract is None or contract.pk is None:
        return []
    return [
        {
            "bucket": tier.bucket,
            "min_days": tier.min_days,
            "max_days": tier.max_days,
            "rate_percent": (tier.rate * HUNDRED).quantize(Decimal("0.01")),
        }
        for tier in contract.tiers.order_by("min_days", "bucket", "id")
    ]
