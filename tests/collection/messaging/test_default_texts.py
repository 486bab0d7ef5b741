"""
The default templates (migration 0009): every kind on every channel in English
and Simplified Chinese; every one carries the US opt-out line in a US
message (an SMS: in its first segment) and no opt-out line in a Chinese one.
"""

import pytest
from django.utils import translation

from collection.compliance import CHINA, UNITED_STATES, opt_out_line
from collection.messaging.default_texts import TEXTS
from collection.messaging.rendering import message_render, template_problems
from collection.messaging.sms import sms_length
from collection.messaging.variables import message_worst_case_context
from collection.models import MESSAGE_CHANNELS, MessageKind, MessageTemplate

pytestmark = pytest.mark.django_db

LANGUAGES = ("en", "zh-hans")
EVERY_TEMPLATE = [
    (kind, channel, language) for kind in MessageKind for channel in MESSAGE_CHANNELS for language in LANGUAGES
]


def test_the_migration_installed_every_kind_channel_and_language():
    installed = set(
        MessageTemplate.objects.filter(current_version__number=1).values_list("kind", "channel", "language")
    )
    assert installed == {(kind.value, channel.value, language) for kind, channel, language in EVERY_TEMPLATE}
    assert set(TEXTS) == set(EVERY_TEMPLATE)


@pytest.mark.parametrize(("kind", "channel", "language"), EVERY_TEMPLATE)
def test_every_default_passes_the_editors_checks(kind, channel, language):
    subject, body = TEXTS[(kind, channel, language)]
    assert template_problems(channel=channel, language=language, body=body, subject=subject) == []


@pytest.mark.parametrize(("kind", "channel", "language"), EVERY_TEMPLATE)
def test_every_us_message_carries_the_opt_out_line_and_no_chinese_one_does(kind, channel, language):
    subject, body = TEXTS[(kind, channel, language)]
    context = message_worst_case_context(language=language)
    us = message_render(
        subject_source=subject,
        body_source=body,
        channel=channel,
        language=language,
        context=context,
        profile=UNITED_STATES,
    )
    with translation.override(language):
        line = opt_out_line(UNITED_STATES, channel)
    assert line
    assert us.body.endswith(line)
    if channel == "sms":
        assert sms_length(us.body).segments == 1
    china = message_render(
        subject_source=subject, body_source=body, channel=channel, language=language, context=context, profile=CHINA
    )
    assert china.opt_out_line == ""
    assert line not in china.body
    assert "STOP" not in china.body and "UNSUBSCRIBE" not in china.body


def test_the_chinese_sms_fit_one_ucs2_segment_with_the_chinese_opt_out_line():
    for kind in MessageKind:
        subject, body = TEXTS[(kind, "sms", "zh-hans")]
        rendered = message_render(
            subject_source=subject,
            body_source=body,
            channel="sms",
            language="zh-hans",
            context=message_worst_case_context(language="zh-hans"),
            profile=UNITED_STATES,
        )
        length = sms_length(rendered.body)
        assert (length.encoding, length.segments) == ("ucs2", 1), rendered.body
