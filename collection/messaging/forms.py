"""Forms of the message-template editor and of the case page's "Send a message"."""

from django import forms
from django.utils.translation import gettext_lazy as _

from collection.models import MESSAGE_CHANNELS, Channel, MessageKind, MessageTemplateVersion


class MessageTemplateVersionForm(forms.Form):
    subject = forms.CharField(
        label=_("Subject"),
        required=False,
        max_length=MessageTemplateVersion._meta.get_field("subject").max_length,
        widget=forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "true"}),
    )
    body = forms.CharField(
        label=_("Text"),
        strip=False,
        widget=forms.Textarea(attrs={"rows": 10, "spellcheck": "true", "class": "code"}),
        help_text=_("Plain text with {{ variables }} and filters from the list beside the editor."),
    )
    change_note = forms.CharField(
        label=_("What changed"),
        max_length=MessageTemplateVersion._meta.get_field("change_note").max_length,
        help_text=_("Kept with the version, for whoever reads the history."),
    )

    def __init__(self, *args, channel: str, **kwargs):
        super().__init__(*args, **kwargs)
        if channel != Channel.EMAIL:
            del self.fields["subject"]
        else:
            self.fields["subject"].required = True


class MessagePreviewForm(forms.Form):
    """What the preview renders: the text being edited (not yet saved) and the case it is drawn from."""

    subject = forms.CharField(required=False, max_length=200)
    body = forms.CharField(required=False, strip=False)
    case_number = forms.CharField(
        label=_("Preview with case"),
        required=False,
        max_length=40,
        widget=forms.TextInput(attrs={"placeholder": "C-2026-000123", "autocomplete": "off"}),
        help_text=_("Empty: an open case you may see."),
    )


class MessageSendForm(forms.Form):
    """A collector's own message from the case page: which message, by which channel."""

    kind = forms.ChoiceField(label=_("Message"), choices=MessageKind.choices)
    channel = forms.ChoiceField(
        label=_("Channel"), choices=[(channel.value, channel.label) for channel in MESSAGE_CHANNELS]
    )
    # Drawn with the form, so that posting it twice sends one message.
    idempotency_key = forms.CharField(widget=forms.HiddenInput, max_length=120)

    def clean_idempotency_key(self):
        key = self.cleaned_data["idempotency_key"]
        if not key.startswith("manual:"):
            raise forms.ValidationError(_("This form has expired: open it again."))
        return key
