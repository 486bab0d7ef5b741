"""The manager's forms: a segment's conditions and arms, a strategy's steps (drawn from each action's params spec)."""

from django import forms
from django.utils.translation import gettext_lazy as _

from collection.models import LatenessReason, Segment, Stage, StepTrigger, Strategy
from collection.strategies.actions import actions_available
from collection.strategies.services import StepDraft
from lending.models import Borrower, Bucket, CreditProduct

MAX_STEPS = 30


def _distinct(field: str) -> list[tuple[str, str]]:
    values = Borrower.objects.exclude(**{field: ""}).order_by(field).values_list(field, flat=True).distinct()
    return [(value, value) for value in values]


class SegmentForm(forms.ModelForm):
    buckets = forms.MultipleChoiceField(label=_("Buckets"), required=False, widget=forms.CheckboxSelectMultiple)
    product_ids = forms.MultipleChoiceField(label=_("Products"), required=False, widget=forms.SelectMultiple)
    provinces = forms.MultipleChoiceField(label=_("Provinces"), required=False, widget=forms.SelectMultiple)
    reasons = forms.MultipleChoiceField(
        label=_("Reasons for lateness"), required=False, choices=LatenessReason.choices, widget=forms.SelectMultiple
    )
    stages = forms.MultipleChoiceField(
        label=_("Stages"), required=False, choices=Stage.choices, widget=forms.CheckboxSelectMultiple
    )
    risk_grades = forms.MultipleChoiceField(label=_("Risk grades"), required=False, widget=forms.CheckboxSelectMultiple)

    class Meta:
        model = Segment
        fields = [
            "name",
            "is_active",
            "min_days_past_due",
            "max_days_past_due",
            "buckets",
            "product_ids",
            "min_balance",
            "max_balance",
            "provinces",
            "reasons",
            "stages",
            "risk_grades",
            "min_score",
            "max_score",
            "champion",
        ]

    def __init__(self, *args, is_catch_all: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["buckets"].choices = [
            (b.code, f"{b.code} · {b.label}") for b in Bucket.objects.order_by("min_days")
        ]
        self.fields["product_ids"].choices = [
            (str(product.pk), f"{product.name} ({product.code})") for product in CreditProduct.objects.order_by("name")
        ]
        self.fields["provinces"].choices = _distinct("province")
        self.fields["risk_grades"].choices = _distinct("risk_grade")
        # The challenger is not set here: it is started and stopped on the Champion/challenger pages, whose
        # services keep the experiment's record (experiments.experiment_start / experiment_stop).
        self.fields["champion"].queryset = Strategy.objects.order_by("name")
        self.fields["product_ids"].initial = [str(pk) for pk in (self.instance.product_ids or [])]
        self.is_catch_all = is_catch_all
        if is_catch_all:
            # The last segment takes every case the others leave: its conditions are not asked for.
            for name in self.condition_names():
                del self.fields[name]
            del self.fields["is_active"]

    @staticmethod
    def condition_names() -> list[str]:
        return [
            "min_days_past_due",
            "max_days_past_due",
            "buckets",
            "product_ids",
            "min_balance",
            "max_balance",
            "provinces",
            "reasons",
            "stages",
            "risk_grades",
            "min_score",
            "max_score",
        ]

    def clean_product_ids(self):
        return [int(pk) for pk in self.cleaned_data["product_ids"]]


class StrategyHeaderForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=100)
    description = forms.CharField(label=_("Description"), max_length=300, required=False)
    note = forms.CharField(
        label=_("What changed"),
        max_length=300,
        required=False,
        help_text=_("Saved with the new version, in its history."),
    )


def action_fields() -> list[dict]:
    """Each action with its settings, for the editor's step rows."""
    rows = []
    for action in actions_available():
        params = []
        for spec in action.params:
            params.append(
                {
                    "name": spec.name,
                    "label": spec.label,
                    "kind": spec.kind,
                    "choices": list(spec.choices()) if spec.choices else [],
                    "required": spec.required,
                    "default": spec.default,
                    "minimum": spec.minimum,
                    "maximum": spec.maximum,
                    "help_text": spec.help_text,
                }
            )
        rows.append({"code": action.code, "label": action.label, "params": params})
    return rows


def steps_from_post(data) -> list[StepDraft]:
    """The editor's step rows (steps-<n>-trigger/-days/-action/-<setting>), in their order on the page."""
    drafts = []
    count = min(int(data.get("steps-count") or 0), MAX_STEPS)
    for index in range(count):
        prefix = f"steps-{index}-"
        if (prefix + "action") not in data:
            continue
        action = data.get(prefix + "action", "")
        param_prefix = f"{prefix}{action}-"
        params = {key[len(param_prefix) :]: value for key, value in data.items() if key.startswith(param_prefix)}
        drafts.append(
            StepDraft(
                trigger=data.get(prefix + "trigger", StepTrigger.DAYS_PAST_DUE),
                trigger_days=data.get(prefix + "days", ""),
                action=action,
                params=params,
            )
        )
    return drafts


def steps_from_version(version) -> list[StepDraft]:
    if version is None:
        return []
    return [
        StepDraft(trigger=step.trigger, trigger_days=step.trigger_days, action=step.action, params=dict(step.params))
        for step in version.steps.order_by("position")
    ]


def steps_apply_operation(drafts: list[StepDraft], operation: str) -> list[StepDraft]:
    """The editor's buttons: add a step, remove or move one ("remove-2", "up-1", "down-0")."""
    drafts = list(drafts)
    if operation == "add" and len(drafts) < MAX_STEPS:
        previous = drafts[-1] if drafts else None
        days = (int(previous.trigger_days) + 1) if previous and str(previous.trigger_days).isdigit() else 1
        drafts.append(StepDraft(trigger=StepTrigger.DAYS_PAST_DUE, trigger_days=days, action="", params={}))
        return drafts
    verb, _sep, index = operation.partition("-")
    if not index.isdigit() or int(index) >= len(drafts):
        return drafts
    i = int(index)
    if verb == "remove":
        drafts.pop(i)
    elif verb == "up" and i > 0:
        drafts[i - 1], drafts[i] = drafts[i], drafts[i - 1]
    elif verb == "down" and i < len(drafts) - 1:
        drafts[i + 1], drafts[i] = drafts[i], drafts[i + 1]
    return drafts


def editor_rows(drafts: list[StepDraft], actions: list[dict]) -> list[dict]:
    """Each step row with every action's settings filled (the step's own values for its action, defaults else)."""
    rows = []
    for index, draft in enumerate(drafts):
        settings = []
        for action in actions:
            fields = []
            for param in action["params"]:
                value = draft.params.get(param["name"]) if draft.action == action["code"] else None
                if value is None:
                    value = param["default"] if param["default"] is not None else ""
                fields.append(
                    {**param, "value": str(value), "input": f"steps-{index}-{action['code']}-{param['name']}"}
                )
            settings.append({"code": action["code"], "fields": fields, "shown": draft.action == action["code"]})
        rows.append({"index": index, "position": index + 1, "draft": draft, "settings": settings})
    return rows
