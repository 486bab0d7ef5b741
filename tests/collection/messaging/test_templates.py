"""
Message templates: saving makes the next version (audited); a text that does
not parse, names an unknown variable, walks attributes or pushes the opt-out
line out of the first SMS segment is refused and nothing is saved.
"""

import pytest

from accounts.models import AuditEvent
from collection.compliance import CHINA
from collection.messaging.editing import MessageTemplateError, template_version_save
from collection.messaging.rendering import message_render
from collection.messaging.variables import MESSAGE_VARIABLES, message_sample_context
from collection.models import MessageKind, MessageTemplate
from tests.collection.messaging.factories import template_with_text

pytestmark = pytest.mark.django_db

DOCS = __import__("pathlib").Path(__file__).resolve().parents[3] / "docs" / "messages.md"


def template_of(channel="sms", language="en", kind=MessageKind.OVERDUE_REMINDER):
    return MessageTemplate.objects.get(channel=channel, kind=kind, language=language)


def test_saving_makes_the_next_version_current_and_audits_it(manager):
    template = template_of()
    version = template_version_save(
        template=template, body="{{ borrower_name }}, please pay {{ reference }}.", change_note="shorter", actor=manager
    )
    template.refresh_from_db()
    assert (version.number, template.current_version_id, version.created_by) == (2, version.pk, manager)
    assert template.versions.get(number=1).body != version.body
    event = AuditEvent.objects.get(action="collection.message_template.saved")
    assert event.data == {"kind": "overdue_reminder", "channel": "sms", "language": "en", "version": 2}


def test_saving_the_same_text_again_makes_no_version(manager):
    template = template_of()
    with pytest.raises(MessageTemplateError, match="Nothing changed since version 1"):
        template_version_save(template=template, body=template.current_version.body, actor=manager)
    assert template.versions.count() == 1


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ("{{ borrower_nam }}", "Unknown variables: borrower_nam"),
        ("Hello {{ borrower_name", "Line 1:"),
        ("ok\n{{ borrower_name|nosuchfilter }}", "Line 2:"),
        ("{{ lender.nothing }}", "nothing"),
        ("   ", "The text is empty."),
    ],
)
def test_a_wrong_text_is_refused_saying_what_and_where(manager, body, expected):
    template = template_of()
    with pytest.raises(MessageTemplateError) as refused:
        template_version_save(template=template, body=body, actor=manager)
    assert expected in refused.value.message
    assert template.versions.count() == 1
    assert not AuditEvent.objects.filter(action="collection.message_template.saved").exists()


def test_an_email_needs_a_subject(manager):
    with pytest.raises(MessageTemplateError) as refused:
        template_version_save(template=template_of(channel="email"), body="Dear {{ borrower_name }}", actor=manager)
    assert refused.value.field == "subject"


@pytest.mark.parametrize(
    "body",
    [
        "{% include 'base.html' %}",
        "{% import 'x' as y %}",
        "{{ lender.__class__ }}",
        "{{ borrower_name.__class__.__mro__ }}",
        "{{ payment_channels.__len__() }}",
        "{{ ''.__class__.__subclasses__() }}",
    ],
)
def test_the_sandbox_refuses_loading_and_attribute_walks(manager, body):
    template = template_of()
    with pytest.raises(MessageTemplateError):
        template_version_save(template=template, body=body, actor=manager)
    assert template.versions.count() == 1


def test_rendering_refuses_anything_but_plain_data():
    context = {**message_sample_context(language="en"), "borrower_name": MessageTemplate()}
    with pytest.raises(TypeError, match="plain data only"):
        message_render(
            subject_source="",
            body_source="{{ borrower_name }}",
            channel="sms",
            language="en",
            context=context,
            profile=CHINA,
        )


def test_an_sms_is_not_html_escaped():
    rendered = message_render(
        subject_source="",
        body_source="{{ lender.name }} & <{{ reference }}>",
        channel="sms",
        language="en",
        context={**message_sample_context(language="en"), "lender": {"name": "A & B"}},
        profile=CHINA,
    )
    assert rendered.body == "A & B & <C-2026-000123>"


def test_an_sms_that_would_push_the_opt_out_line_out_of_the_first_segment_is_refused(manager):
    template = template_of()
    # With a short name and amount it fits, but a long name, a six-figure amount and the US opt-out line do not.
    body = (
        "{{ borrower_name }}, your payment of {{ amount_due|money(currency) }} is now overdue: "
        "please pay it today. Thank you."
    )
    with pytest.raises(MessageTemplateError) as refused:
        template_version_save(template=template, body=body, actor=manager)
    message = refused.value.message
    assert "United States" in message
    assert "opt-out line must be in the first SMS segment" in message
    assert "GSM-7" in message
    assert template.versions.count() == 1


def test_a_chinese_sms_is_counted_in_ucs2_when_checked(manager):
    template = template_of(language="zh-hans")
    body = "{{ borrower_name }}您好，" + "请尽快还款。" * 8
    with pytest.raises(MessageTemplateError) as refused:
        template_version_save(template=template, body=body, actor=manager)
    assert "UCS-2" in refused.value.message
    # Shorter, it fits with the Chinese opt-out line.
    assert (
        template_version_save(template=template, body="{{ borrower_name }}您好，请尽快还款。", actor=manager).number
        == 2
    )


def test_the_text_of_a_factory_template_is_replaced():
    template = template_with_text(body="{{ borrower_name }}")
    assert template.current_version.body == "{{ borrower_name }}"


def test_docs_list_every_variable():
    docs = DOCS.read_text(encoding="utf-8")
    missing = [variable.name for variable in MESSAGE_VARIABLES if f"`{variable.name}`" not in docs]
    assert missing == []
