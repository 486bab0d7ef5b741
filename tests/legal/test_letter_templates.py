"""Letter templates: the defaults, versioning, the documented variables, and the editor's pages."""

import re
from pathlib import Path

import pytest
from django.urls import reverse

from accounts.models import AuditEvent
from legal.letters.default_texts import DEFAULT_TEXTS
from legal.letters.defaults import letter_templates_install_defaults
from legal.letters.templates_service import (
    TEMPLATE_UNCHANGED,
    TEMPLATE_UNKNOWN_VARIABLES,
    LetterTemplateError,
    template_version_save,
)
from legal.letters.variables import LETTER_VARIABLES
from legal.models import LetterKind, LetterTemplate, LetterTemplateVersion
from tests.collection.factories import case_in_arrears

pytestmark = pytest.mark.django_db

DOCS = Path(__file__).resolve().parents[2] / "docs" / "letters.md"


def template_of(kind=LetterKind.FORMAL_DEMAND, language="en") -> LetterTemplate:
    letter_templates_install_defaults()
    return LetterTemplate.objects.select_related("current_version").get(kind=kind, language=language)


# --- The defaults ---------------------------------------------------------------


@pytest.fixture(autouse=True)
def _defaults():
    # The data migration installed them, but a transactional (browser) test earlier in the run flushes them.
    letter_templates_install_defaults()


def test_the_migration_installs_every_kind_in_both_languages_as_version_one():
    from importlib import import_module

    from django.apps import apps

    LetterTemplate.objects.update(current_version=None)
    LetterTemplateVersion.objects.all().delete()
    LetterTemplate.objects.all().delete()
    import_module("legal.migrations.0002_default_letter_templates").install(apps, None)

    templates = LetterTemplate.objects.select_related("current_version")
    assert {(t.kind, t.language) for t in templates} == {
        (kind, language) for kind in LetterKind.values for language in ("en", "zh-hans")
    }
    assert {t.current_version.number for t in templates} == {1}
    assert all(t.current_version.created_by is None for t in templates)


def test_installing_the_defaults_again_changes_nothing():
    versions = LetterTemplateVersion.objects.count()
    assert letter_templates_install_defaults() == 0
    assert LetterTemplateVersion.objects.count() == versions


def test_installing_replaces_a_missing_template_only():
    LetterTemplate.objects.filter(kind=LetterKind.PAYOFF_CERTIFICATE, language="zh-hans").update(current_version=None)
    LetterTemplateVersion.objects.filter(
        template__kind=LetterKind.PAYOFF_CERTIFICATE, template__language="zh-hans"
    ).delete()
    LetterTemplate.objects.filter(kind=LetterKind.PAYOFF_CERTIFICATE, language="zh-hans").delete()
    assert letter_templates_install_defaults() == 1
    template = LetterTemplate.objects.get(kind=LetterKind.PAYOFF_CERTIFICATE, language="zh-hans")
    assert template.current_version.subject == "结清证明"


def test_the_chinese_defaults_are_in_the_register_of_chinese_collection_letters():
    subjects = {kind: subject for kind, (subject, _body) in DEFAULT_TEXTS["zh-hans"].items()}
    assert subjects[LetterKind.OVERDUE_NOTICE] == "逾期还款通知书"
    assert subjects[LetterKind.FORMAL_DEMAND] == "催收函"
    assert subjects[LetterKind.LAWYERS_LETTER] == "律师函"
    assert subjects[LetterKind.PAYOFF_CERTIFICATE] == "结清证明"
    assert subjects[LetterKind.ASSIGNMENT_NOTICE] == "债权转让通知书"


@pytest.mark.parametrize("language", ["en", "zh-hans"])
def test_the_final_notice_and_the_lawyers_letter_mention_legal_action(language):
    words = {"en": "legal proceedings", "zh-hans": "提起诉讼"}[language]
    for kind in (LetterKind.FINAL_NOTICE, LetterKind.LAWYERS_LETTER):
        assert words in DEFAULT_TEXTS[language][kind][1]
    assert words not in DEFAULT_TEXTS[language][LetterKind.OVERDUE_NOTICE][1]


# --- Versioning -------------------------------------------------------------------


def test_saving_makes_the_next_version_current_and_leaves_the_old_one(manager):
    template = template_of()
    first = template.current_version
    old_subject, old_body = first.subject, first.body

    version = template_version_save(
        template=template,
        subject="Demand {{ case_number }}",
        body="<p>Dear {{ borrower.name }}, pay {{ amounts.total|money(currency) }}.</p>",
        change_note="shorter",
        actor=manager,
    )

    assert version.number == 2
    template.refresh_from_db()
    assert template.current_version == version
    first.refresh_from_db()
    assert (first.number, first.subject, first.body) == (1, old_subject, old_body)
    assert (version.created_by, version.change_note) == (manager, "shorter")
    event = AuditEvent.objects.get(action="legal.letter_template.saved")
    assert (event.actor, event.data["version"], event.data["kind"]) == (manager, 2, "formal_demand")


def test_an_unknown_variable_is_refused_and_nothing_is_saved(manager):
    template = template_of()
    with pytest.raises(LetterTemplateError) as refused:
        template_version_save(
            template=template, subject="Demand", body="<p>{{ request }} {{ settings }}</p>", actor=manager
        )
    assert str(refused.value) == TEMPLATE_UNKNOWN_VARIABLES.format(names="request, settings")
    assert refused.value.field == "body"
    assert template.versions.count() == 1
    assert not AuditEvent.objects.filter(action="legal.letter_template.saved").exists()


def test_a_syntax_error_is_refused_with_its_line(manager):
    template = template_of()
    with pytest.raises(LetterTemplateError) as refused:
        template_version_save(
            template=template, subject="Demand", body="<p>one</p>\n<p>two</p>\n{% if %}\n", actor=manager
        )
    assert refused.value.lineno == 3
    assert template.versions.count() == 1


def test_an_unknown_key_of_a_known_variable_is_refused(manager):
    template = template_of()
    with pytest.raises(LetterTemplateError) as refused:
        template_version_save(template=template, subject="Demand", body="{{ borrower.national_id }}", actor=manager)
    assert "national_id" in str(refused.value)


def test_saving_the_same_text_again_makes_no_version(manager):
    template = template_of()
    current = template.current_version
    with pytest.raises(LetterTemplateError) as refused:
        template_version_save(template=template, subject=current.subject, body=current.body, actor=manager)
    assert str(refused.value) == TEMPLATE_UNCHANGED.format(number=1)
    assert template.versions.count() == 1


@pytest.mark.parametrize(
    "body",
    [
        "{% load static %}",
        "{% debug %}",
        "{{ borrower.__class__ }}",
        "{{ ''.__class__.__mro__ }}",
        "{% include 'base.html' %}",
    ],
)
def test_a_template_cannot_load_dump_or_walk_attributes(manager, body):
    template = template_of()
    with pytest.raises(LetterTemplateError):
        template_version_save(template=template, subject="Demand", body=body, actor=manager)
    assert template.versions.count() == 1


# --- The documented variables ----------------------------------------------------


def test_docs_list_every_variable():
    docs = DOCS.read_text(encoding="utf-8")
    missing = [v.name for v in LETTER_VARIABLES if f"`{v.name}`" not in docs]
    assert missing == []


def test_every_default_template_uses_documented_variables_only(manager):
    from documents.templating import template_check
    from legal.letters.variables import variable_names

    for texts in DEFAULT_TEXTS.values():
        for subject, body in texts.values():
            assert template_check(subject, variable_names()) == []
            assert template_check(body, variable_names()) == []


# --- The editor's pages ------------------------------------------------------------


@pytest.fixture
def preview_case(legal_officer):
    return case_in_arrears(days_past_due=120, stage="legal")


def test_the_list_shows_every_template_with_its_version(client, manager, django_assert_max_num_queries):
    client.force_login(manager)
    with django_assert_max_num_queries(8):
        response = client.get(reverse("legal:template_list"))
    assert response.status_code == 200
    html = response.content.decode()
    assert html.count('data-template="') == 16
    assert 'data-template="lawyers_letter:zh-hans"' in html
    assert "Lawyer&#x27;s letter" in html or "Lawyer's letter" in html
    assert "installed default" in html


def test_the_list_shows_who_saved_the_current_version(client, manager):
    template = template_of()
    template_version_save(template=template, subject="Demand", body="<p>{{ borrower.name }}</p>", actor=manager)
    client.force_login(manager)
    html = client.get(reverse("legal:template_list")).content.decode()
    row = re.search(r'<tr[^>]*data-template="formal_demand:en".*?</tr>', html, re.S).group(0)
    assert ">2<" in row
    assert str(manager) in row


@pytest.mark.parametrize("url_name", ["legal:template_list"])
def test_the_list_refuses_post(client, manager, url_name):
    client.force_login(manager)
    assert client.post(reverse(url_name)).status_code == 405


@pytest.mark.parametrize("who", ["collector", "team_lead", "outsider", "agency_agent"])
def test_the_editor_is_forbidden_without_the_capability(client, request, who):
    user = request.getfixturevalue(who)
    template = template_of()
    client.force_login(user)
    assert client.get(reverse("legal:template_list")).status_code == 403
    assert client.get(reverse("legal:template_edit", args=[template.pk])).status_code == 403
    response = client.post(
        reverse("legal:template_edit", args=[template.pk]), {"subject": "x", "body": "y", "change_note": "z"}
    )
    assert response.status_code == 403
    assert client.post(reverse("legal:template_preview", args=[template.pk]), {}).status_code == 403
    assert template.versions.count() == 1


def test_a_visitor_is_sent_to_the_login_page(client):
    response = client.get(reverse("legal:template_list"))
    assert response.status_code == 302
    assert reverse("accounts:login") in response["Location"]


def test_an_unknown_template_is_404(client, manager):
    client.force_login(manager)
    assert client.get(reverse("legal:template_edit", args=[999999])).status_code == 404
    assert client.get(reverse("legal:template_version", args=[template_of().pk, 99])).status_code == 404


@pytest.mark.parametrize("who", ["manager", "legal_officer"])
def test_the_editor_shows_the_text_variables_and_history(client, request, who, django_assert_max_num_queries):
    client.force_login(request.getfixturevalue(who))
    template = template_of(LetterKind.LAWYERS_LETTER, "zh-hans")
    with django_assert_max_num_queries(10):
        response = client.get(reverse("legal:template_edit", args=[template.pk]))
    assert response.status_code == 200
    html = response.content.decode()
    assert "律师函" in html  # the subject in its field
    assert "<code>borrower.name</code>" in html
    assert "<code>money</code>" in html
    assert 'data-version="1"' in html
    assert reverse("legal:template_preview", args=[template.pk]) in html


def test_saving_from_the_editor_makes_version_two(client, legal_officer):
    template = template_of()
    client.force_login(legal_officer)
    response = client.post(
        reverse("legal:template_edit", args=[template.pk]),
        {"subject": "Formal demand {{ case_number }}", "body": "<p>{{ borrower.name }}</p>", "change_note": "short"},
        follow=True,
    )
    assert response.redirect_chain[-1][0] == reverse("legal:template_edit", args=[template.pk])
    assert "Version 2 of" in response.content.decode()
    template.refresh_from_db()
    assert template.current_version.number == 2
    assert template.current_version.created_by == legal_officer


def test_the_editor_shows_a_template_problem_with_its_line(client, manager):
    template = template_of()
    client.force_login(manager)
    response = client.post(
        reverse("legal:template_edit", args=[template.pk]),
        {"subject": "Demand", "body": "<p>ok</p>\n{{ borrower.name|nosuchfilter }}", "change_note": "x"},
    )
    assert response.status_code == 200
    assert "Line 2:" in response.content.decode()
    assert template.versions.count() == 1


def test_an_old_version_can_be_read(client, manager):
    template = template_of()
    old_body = template.current_version.body
    template_version_save(template=template, subject="New", body="<p>{{ borrower.name }}</p>", actor=manager)
    client.force_login(manager)
    response = client.get(reverse("legal:template_version", args=[template.pk, 1]))
    assert response.status_code == 200
    html = response.content.decode()
    assert "Formal demand for payment" in html
    assert "Despite our earlier reminders" in html and "Despite our earlier reminders" in old_body
    assert client.post(reverse("legal:template_version", args=[template.pk, 1])).status_code == 405


def test_the_preview_renders_a_real_case_as_a_pdf_and_stores_nothing(client, legal_officer, preview_case):
    from legal.models import Document

    template = template_of()
    client.force_login(legal_officer)
    response = client.post(
        reverse("legal:template_preview", args=[template.pk]),
        {"subject": "Demand", "body": "<p>Dear {{ borrower.name }}</p>", "case_number": preview_case.number},
        HTTP_HX_REQUEST="true",
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert preview_case.number in html
    pdf_url = re.search(r'<iframe[^>]*src="([^"]+)"', html).group(1)
    pdf = client.get(pdf_url)
    assert pdf.status_code == 200
    assert pdf["Content-Type"] == "application/pdf"
    assert pdf.content.startswith(b"%PDF")
    assert pdf["X-Frame-Options"] == "SAMEORIGIN"
    assert Document.objects.count() == 0
    assert template.versions.count() == 1


def test_the_preview_defaults_to_an_open_case_the_user_may_see(client, legal_officer, preview_case):
    case_in_arrears(days_past_due=10)  # early stage: not the legal officer's
    template = template_of()
    client.force_login(legal_officer)
    html = client.post(
        reverse("legal:template_preview", args=[template.pk]), {"subject": "Demand", "body": "<p>x</p>"}
    ).content.decode()
    assert preview_case.number in html


def test_the_preview_does_not_show_a_case_outside_the_users_scope(client, legal_officer, preview_case):
    hidden = case_in_arrears(days_past_due=10)  # early stage
    template = template_of()
    client.force_login(legal_officer)
    html = client.post(
        reverse("legal:template_preview", args=[template.pk]),
        {"subject": "Demand", "body": "<p>{{ borrower.name }}</p>", "case_number": hidden.number},
    ).content.decode()
    assert f"No case you may see has the number “{hidden.number}”" in html
    assert "<iframe" not in html


def test_the_preview_pdf_is_only_for_the_user_who_made_it(client, legal_officer, manager, preview_case):
    template = template_of()
    client.force_login(legal_officer)
    html = client.post(
        reverse("legal:template_preview", args=[template.pk]),
        {"subject": "Demand", "body": "<p>x</p>", "case_number": preview_case.number},
    ).content.decode()
    pdf_url = re.search(r'<iframe[^>]*src="([^"]+)"', html).group(1)
    client.force_login(manager)
    assert client.get(pdf_url).status_code == 404
    assert client.get(reverse("legal:template_preview_pdf", args=[template.pk, "nonsense"])).status_code == 404


def test_the_preview_shows_a_problem_instead_of_a_letter(client, manager, preview_case):
    template = template_of()
    client.force_login(manager)
    html = client.post(
        reverse("legal:template_preview", args=[template.pk]),
        {"subject": "Demand", "body": "<p>a</p>\n<p>{{ borrower.__class__ }}</p>", "case_number": preview_case.number},
    ).content.decode()
    assert "Line 2:" in html
    assert "<iframe" not in html


def test_the_preview_refuses_get(client, manager):
    client.force_login(manager)
    assert client.get(reverse("legal:template_preview", args=[template_of().pk])).status_code == 405


def test_the_navigation_offers_letter_templates_to_editors_only(client, manager, collector):
    client.force_login(manager)
    assert reverse("legal:template_list") in client.get("/").content.decode()
    client.force_login(collector)
    assert reverse("legal:template_list") not in client.get("/").content.decode()
