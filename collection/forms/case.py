"""
The case page's forms. They check the shape of what was typed; the rules
(contact hours, windows, holds, amounts against the balance) are the
services', whose CollectionError the view puts back on the named field.

Contact points are offered with their numbers masked: nobody needs the
whole number to choose "the mobile" or "his sister's phone".
"""

import json
import re

from django import forms
from django.core.validators import FileExtensionValidator
from django.utils.translation import gettext_lazy as _

from collection.forms.widgets import DateInput
from collection.models import AnsweredBy, Channel, Direction, HoldKind, LatenessReason, Outcome
from collection.services.contacts import (
    CONTACT_MOST_SECONDS,
    HARDSHIP_REVIEW_AFTER_DAYS,
    MESSAGE_CHANNELS,
    NOTE_MOST_CHARACTERS,
    OUTCOMES_BY_ANSWER,
    PLACEABLE_HOLD_KINDS,
)
from collection.services.promises import PROMISE_SERIES_MOST_PARTS, lender_today, promise_last_day
from lending.masking import mask_contact_value
from lending.models import ContactPoint

DURATION_INVALID = _("Type the duration as minutes:seconds (3:25) or as seconds (205).")
PART_INCOMPLETE = _("Give both the amount and the date of this part.")
EVIDENCE_TOO_LARGE = _("The evidence file may be at most {megabytes} MB.")
PROMISE_NEEDS_AN_AMOUNT = _("Give the amount and the date.")

EVIDENCE_MOST_BYTES = 10 * 1024 * 1024
EVIDENCE_EXTENSIONS = ["pdf", "jpg", "jpeg", "png", "heic", "webp"]
DURATION_PATTERN = re.compile(r"^\s*(?:(\d{1,3}):([0-5]?\d)|(\d{1,5}))\s*$")


# --- Contact points, masked -------------------------------------------------------------------


def contact_point_label(point: ContactPoint) -> str:
    label = f"{point.get_kind_display()} {mask_contact_value(point)}"
    if point.is_third_party:
        who = point.third_party_name or point.get_relation_display()
        return f"{label} — {who} ({point.get_relation_display()}, {_('locate only')})"
    return label


# --- Evidence ---------------------------------------------------------------------------------


def _evidence_field():
    return forms.FileField(
        label=_("Evidence"),
        required=False,
        validators=[FileExtensionValidator(EVIDENCE_EXTENSIONS)],
        help_text=_("PDF or photo, at most 10 MB."),
    )


def _evidence_clean(evidence):
    if evidence and evidence.size > EVIDENCE_MOST_BYTES:
        raise forms.ValidationError(EVIDENCE_TOO_LARGE.format(megabytes=EVIDENCE_MOST_BYTES // (1024 * 1024)))
    return evidence


# --- Contacts ---------------------------------------------------------------------------------


class ContactLogForm(forms.Form):
    """One contact or attempt. `contact_points` are the borrower's (already loaded for the page)."""

    prefix = "contact"

    channel = forms.ChoiceField(label=_("Channel"), choices=Channel.choices, initial=Channel.CALL)
    direction = forms.ChoiceField(label=_("Direction"), choices=Direction.choices, initial=Direction.OUTBOUND)
    contact_point = forms.ChoiceField(label=_("Number or address"), required=False)
    answered_by = forms.ChoiceField(label=_("Who answered"), choices=AnsweredBy.choices, initial=AnsweredBy.BORROWER)
    outcome = forms.ChoiceField(label=_("Outcome"), choices=Outcome.choices, initial=Outcome.RIGHT_PARTY_CONTACT)
    duration = forms.CharField(
        label=_("Duration"),
        required=False,
        max_length=9,
        help_text=_("minutes:seconds"),
        widget=forms.TextInput(attrs={"inputmode": "numeric", "placeholder": "0:00", "size": 6}),
    )
    notes = forms.CharField(
        label=_("Notes"), required=False, max_length=NOTE_MOST_CHARACTERS, widget=forms.Textarea(attrs={"rows": 2})
    )

    def __init__(self, *args, contact_points=(), **kwargs):
        super().__init__(*args, **kwargs)
        # For case.js: who can have answered with each outcome, so that choosing "No answer" sets "Nobody".
        fits = {outcome: [] for outcome in Outcome.values}
        for answered_by, outcomes in OUTCOMES_BY_ANSWER.items():
            for outcome in outcomes:
                fits[outcome].append(str(answered_by))
        self.fields["outcome"].widget.attrs["data-answered-by"] = json.dumps(fits)
        self.fields["channel"].widget.attrs["data-message-channels"] = json.dumps(sorted(MESSAGE_CHANNELS))
        self.contact_points = {str(point.pk): point for point in contact_points}
        own = [(str(point.pk), contact_point_label(point)) for point in contact_points if not point.is_third_party]
        third = [(str(point.pk), contact_point_label(point)) for point in contact_points if point.is_third_party]
        choices = [("", _("— none (in-app) —")), *own]
        if third:
            choices.append((_("Third parties (locate only)"), third))
        self.fields["contact_point"].choices = choices
        if own and not self.is_bound:
            self.initial.setdefault("contact_point", own[0][0])

    def clean_contact_point(self):
        value = self.cleaned_data.get("contact_point")
        return self.contact_points.get(value) if value else None

    def clean_duration(self):
        text = (self.cleaned_data.get("duration") or "").strip()
        if not text:
            return 0
        match = DURATION_PATTERN.match(text)
        if not match:
            raise forms.ValidationError(DURATION_INVALID)
        minutes, seconds, only_seconds = match.groups()
        total = int(only_seconds) if only_seconds is not None else int(minutes) * 60 + int(seconds)
        if total > CONTACT_MOST_SECONDS:
            raise forms.ValidationError(DURATION_INVALID)
        return total


# --- Promises ---------------------------------------------------------------------------------


class PromiseForm(forms.Form):
    """
    A promise: the first row is the amount and date; rows 2 to 6, when
    filled in, make it a series. `contact` links it to the call that took it.
    """

    prefix = "promise"

    amount = forms.DecimalField(label=_("Amount"), max_digits=14, decimal_places=2, required=False)
    due_on = forms.DateField(label=_("By"), required=False, widget=DateInput)
    currency = forms.CharField(widget=forms.HiddenInput, max_length=3)
    contact = forms.IntegerField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args, case, **kwargs):
        super().__init__(*args, **kwargs)
        self.case = case
        today, last = lender_today(), promise_last_day()
        self.initial.setdefault("currency", case.currency)
        for number in range(2, PROMISE_SERIES_MOST_PARTS + 1):
            self.fields[f"amount_{number}"] = forms.DecimalField(
                label=_("Amount of part %(number)d") % {"number": number},
                max_digits=14,
                decimal_places=2,
                required=False,
            )
            self.fields[f"due_on_{number}"] = forms.DateField(
                label=_("Date of part %(number)d") % {"number": number}, required=False, widget=DateInput
            )
        for name, field in self.fields.items():
            if name.startswith("due_on"):
                field.widget.attrs.update({"min": today.isoformat(), "max": last.isoformat()})
            elif name.startswith("amount"):
                field.widget.attrs.update({"min": "0.01", "step": "0.01", "inputmode": "decimal"})

    def part_names(self):
        """(amount field, date field) of every row, the first row first."""
        names = [("amount", "due_on")]
        names += [(f"amount_{number}", f"due_on_{number}") for number in range(2, PROMISE_SERIES_MOST_PARTS + 1)]
        return names

    def extra_rows(self):
        return [(self[amount], self[due_on]) for amount, due_on in self.part_names()[1:]]

    def extra_rows_open(self) -> bool:
        """Whether the rows of a series were used (they stay open to show what was typed)."""
        if not self.is_bound:
            return False
        names = [name for pair in self.part_names()[1:] for name in pair]
        return any(self.data.get(self.add_prefix(name)) for name in names)

    def linked_contact(self):
        """The id of the contact this promise was taken on, if any."""
        if self.is_bound:
            return self.data.get(self.add_prefix("contact")) or None
        return self.initial.get("contact")

    def clean(self):
        cleaned = super().clean()
        parts = []
        for amount_name, due_on_name in self.part_names():
            amount, due_on = cleaned.get(amount_name), cleaned.get(due_on_name)
            if amount_name in self.errors or due_on_name in self.errors:
                continue
            if amount is None and due_on is None:
                continue
            if amount is None or due_on is None:
                self.add_error(amount_name if amount is None else due_on_name, PART_INCOMPLETE)
                continue
            parts.append((amount, due_on))
        if not parts and not self.errors:
            self.add_error("amount", PROMISE_NEEDS_AN_AMOUNT)
        cleaned["parts"] = parts
        return cleaned


# --- Holds, hardship, notes, the reason ---------------------------------------------------------


class HoldForm(forms.Form):
    prefix = "hold"

    kind = forms.ChoiceField(
        label=_("Kind"),
        choices=[(kind.value, kind.label) for kind in PLACEABLE_HOLD_KINDS],
        initial=HoldKind.DISPUTE,
    )
    reason = forms.CharField(label=_("Why"), max_length=2000, widget=forms.Textarea(attrs={"rows": 2}))
    review_on = forms.DateField(label=_("Review on"), required=False, widget=DateInput)
    evidence = _evidence_field()

    def clean_evidence(self):
        return _evidence_clean(self.cleaned_data.get("evidence"))


class HardshipForm(forms.Form):
    prefix = "hardship"

    reason = forms.ChoiceField(
        label=_("Reason for lateness"), choices=LatenessReason.choices, initial=LatenessReason.LOST_INCOME
    )
    description = forms.CharField(
        label=_("What the borrower said"), max_length=2000, widget=forms.Textarea(attrs={"rows": 2})
    )
    review_on = forms.DateField(label=_("Review on"), required=False, widget=DateInput)
    evidence = _evidence_field()

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["review_on"].help_text = _("Empty: in %(days)d days.") % {"days": HARDSHIP_REVIEW_AFTER_DAYS}

    def clean_evidence(self):
        return _evidence_clean(self.cleaned_data.get("evidence"))


class NoteForm(forms.Form):
    prefix = "note"

    text = forms.CharField(label=_("Note"), max_length=NOTE_MOST_CHARACTERS, widget=forms.Textarea(attrs={"rows": 3}))


class ReasonForm(forms.Form):
    prefix = "reason"

    reason = forms.ChoiceField(label=_("Reason for lateness"), choices=LatenessReason.choices)


class HoldReleaseForm(forms.Form):
    prefix = "release"

    note = forms.CharField(label=_("How it was resolved"), max_length=300)
