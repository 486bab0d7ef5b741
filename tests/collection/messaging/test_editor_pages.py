"""The message-template editor's pages: managers only, the list in few queries, saving, the live preview."""

import re

import pytest
from django.urls import reverse

from collection.models import MessageKind, MessageTemplate, OutboundMessage
from tests.collection.factories import case_in_arrears

pytestmark = pytest.mark.django_db


def template_of(channel="sms", language="en", kind=MessageKind.OVERDUE_REMINDER):
    return MessageTemplate.objects.get(channel=channel, kind=kind, language=language)


def test_the_list_shows_every_template_by_kind_channel_and_language(client, manager, django_assert_max_num_queries):
    client.force_login(manager)
    with django_assert_max_num_queries(8):
        response = client.get(reverse("collection:message_template_list"))
    assert response.status_code == 200
    html = response.content.decode()
    assert html.count('data-template="') == 36
    assert 'data-template="payment_demand:sms:zh-hans"' in html
    assert "Request to pay the overdue amount" in html
    assert "In-app message" in html


def test_the_list_query_count_does_not_grow_with_saved_versions(client, manager, django_assert_max_num_queries):
    from collection.messaging.editing import template_version_save

    for language in ("en", "zh-hans"):
        template_version_save(template=template_of(language=language), body="{{ reference }}", actor=manager)
    client.force_login(manager)
    with django_assert_max_num_queries(8):
        html = client.get(reverse("collection:message_template_list")).content.decode()
    assert str(manager) in html


def test_the_list_refuses_post(client, manager):
    client.force_login(manager)
    assert client.post(reverse("collection:message_template_list")).status_code == 405


@pytest.mark.parametrize("who", ["collector", "team_lead", "outsider", "agency_agent", "legal_officer"])
def test_the_editor_is_forbidden_without_the_capability(client, request, who):
    client.force_login(request.getfixturevalue(who))
    template = template_of()
    assert client.get(reverse("collection:message_template_list")).status_code == 403
    assert client.get(reverse("collection:message_template_edit", args=[template.pk])).status_code == 403
    response = client.post(
        reverse("collection:message_template_edit", args=[template.pk]), {"body": "x", "change_note": "z"}
    )
    assert response.status_code == 403
    assert client.post(reverse("collection:message_template_preview", args=[template.pk]), {}).status_code == 403
    assert template.versions.count() == 1


def test_a_visitor_is_sent_to_the_login_page(client):
    response = client.get(reverse("collection:message_template_list"))
    assert response.status_code == 302
    assert reverse("accounts:login") in response["Location"]


def test_an_unknown_template_is_404(client, manager):
    client.force_login(manager)
    assert client.get(reverse("collection:message_template_edit", args=[999999])).status_code == 404
    assert client.get(reverse("collection:message_template_version", args=[template_of().pk, 9])).status_code == 404


def test_the_editor_shows_the_text_variables_and_history(client, manager, django_assert_max_num_queries):
    client.force_login(manager)
    template = template_of(language="zh-hans")
    with django_assert_max_num_queries(10):
        response = client.get(reverse("collection:message_template_edit", args=[template.pk]))
    assert response.status_code == 200
    html = response.content.decode()
    assert "请尽快还款" in html
    assert "<code>borrower_name</code>" in html
    assert "<code>payment_channels[]</code>" in html
    assert "<code>money</code>" in html
    assert 'data-version="1"' in html
    assert 'name="subject"' not in html  # an SMS has no subject
    assert reverse("collection:message_template_preview", args=[template.pk]) in html


def test_the_email_editor_has_a_subject(client, manager):
    client.force_login(manager)
    html = client.get(reverse("collection:message_template_edit", args=[template_of(channel="email").pk])).content
    assert b'name="subject"' in html


def test_saving_from_the_editor_makes_version_two(client, manager):
    template = template_of()
    client.force_login(manager)
    response = client.post(
        reverse("collection:message_template_edit", args=[template.pk]),
        {"body": "{{ borrower_name }}, please pay {{ reference }}.", "change_note": "short"},
        follow=True,
    )
    assert response.redirect_chain[-1][0] == reverse("collection:message_template_edit", args=[template.pk])
    assert "Version 2 of" in response.content.decode()
    template.refresh_from_db()
    assert (template.current_version.number, template.current_version.created_by) == (2, manager)


def test_the_editor_shows_why_a_text_was_refused(client, manager):
    template = template_of()
    client.force_login(manager)
    response = client.post(
        reverse("collection:message_template_edit", args=[template.pk]),
        {"body": "ok\n{{ borrower_name|nosuchfilter }}", "change_note": "x"},
    )
    assert response.status_code == 200
    assert "Line 2:" in response.content.decode()
    assert template.versions.count() == 1


def test_an_old_version_can_be_read(client, manager):
    from collection.messaging.editing import template_version_save

    template = template_of()
    template_version_save(template=template, body="{{ reference }}", actor=manager)
    client.force_login(manager)
    response = client.get(reverse("collection:message_template_version", args=[template.pk, 1]))
    assert response.status_code == 200
    assert "days overdue" in response.content.decode()


def test_a_template_can_be_taken_out_of_use_and_back(client, manager):
    template = template_of()
    client.force_login(manager)
    client.post(reverse("collection:message_template_active", args=[template.pk]), {"active": "0"})
    template.refresh_from_db()
    assert not template.is_active
    client.post(reverse("collection:message_template_active", args=[template.pk]), {"active": "1"})
    template.refresh_from_db()
    assert template.is_active


@pytest.fixture
def preview_case(collector):
    return case_in_arrears(days_past_due=30)


def preview(client, template, **data):
    return client.post(
        reverse("collection:message_template_preview", args=[template.pk]), data, HTTP_HX_REQUEST="true"
    ).content.decode()


def test_the_preview_renders_a_real_case_with_length_and_segments_and_stores_nothing(client, manager, preview_case):
    template = template_of(language="zh-hans")
    client.force_login(manager)
    html = preview(
        client, template, body="{{ borrower_name }}您好，请还款{{ reference }}", case_number=preview_case.number
    )
    assert preview_case.number in html
    body = re.search(r'data-testid="preview-body"[^>]*>(.*?)</pre>', html, re.S).group(1)
    assert preview_case.borrower.name in body
    expected = len(f"{preview_case.borrower.name}您好，请还款{preview_case.number}")
    assert f"{expected} characters (UCS-2), 1 segment" in html
    assert "one segment holds 70" in html
    # The default portfolio is China's: no opt-out line.
    assert "requires no opt-out line" in html
    assert OutboundMessage.objects.count() == 0


def test_the_preview_names_the_problem(client, manager, preview_case):
    client.force_login(manager)
    html = preview(client, template_of(), body="{{ nothing_such }}", case_number=preview_case.number)
    assert "Unknown variables: nothing_such" in html


def test_the_preview_says_when_no_case_has_the_number(client, manager):
    client.force_login(manager)
    html = preview(client, template_of(), body="{{ reference }}", case_number="C-2026-999999")
    assert "No case you may see has the number" in html


def test_the_navigation_offers_the_templates_to_managers_only(manager, collector):
    from accounts.navigation import nav_group_items_for

    assert "message_templates" in [item["key"] for item in nav_group_items_for(manager, "automation")]
    assert "message_templates" not in [item["key"] for item in nav_group_items_for(collector, "automation")]
