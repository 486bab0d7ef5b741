"""The forms of the reminder pages: a reminder to add, and a bulk message to send."""

from django import forms
from django.utils.translation import gettext_lazy as _

from collection.models import MESSAGE_CHANNELS, Channel, MessageKind
from collection.reminders.services import MOST_DAYS, REMINDER_KINDS

CHANNEL_CHOICES = [(channel.value, channel.label) for channel in (Channel(value) for value in MESSAGE_CHANNELS)]


class ReminderRuleForm(forms.Form):
    offset_days = forms.IntegerField(
        label=_("Days from the due date"),
        min_value=-MOST_DAYS,
        max_value=MOST_DAYS,
        help_text=_("-3 is three days before, 0 the due date, 7 a week after."),
    )
    channel = forms.ChoiceField(label=_("Channel"), choices=CHANNEL_CHOICES)
    kind = forms.ChoiceField(
        label=_("Message"), choices=[(kind.value, kind.label) for kind in (MessageKind(k) for k in REMINDER_KINDS)]
    )


class BulkMessageForm(forms.Form):
    kind = forms.ChoiceField(label=_("Message"), choices=MessageKind.choices)
    channel = forms.ChoiceField(label=_("Channel"), choices=CHANNEL_CHOICES)
