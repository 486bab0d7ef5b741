"""Generating one letter: from the service and from the case page; the guard; the same day twice; download."""

import hashlib
import subprocess

import pytest
from django.urls import reverse

from collection.models import CaseEvent, ContactRefusal, EventKind, HoldKind
from collection.timeline import event_text
from legal.letters import services
from legal.letters.services import letter_generate
from legal.models import Document, LetterKind, LetterTemplate
from tests.collection.factories import HoldFactory, PortfolioFactory, case_in_arrears
from tests.legal.factories import LetterTemplateFactory, LetterTemplateVersionFactory
from tests.lending.factories import ContactPointFactory

pytestmark = pytest.mark.django_db

BODY_EN = "<p>Dear {{ borrower.name }}, please pay {{ amounts.total|money(currency) }} by {{ deadline|date }}.</p>"
BODY_ZH = "<p>{{ borrower.name }}：请于{{ deadline|date }}前支付{{ amounts.total|money(currency) }}。</p>"


def templates_for(kind, *, en=True, zh=True):
    """Our versions of `kind` over the defaults (a data migration installs them); a language left out has none."""
    versions = {}
    for language, wanted in (("en", en), ("zh-hans", zh)):
        if not wanted:
            LetterTemplate.objects.filter(kind=kind, language=language).update(current_version=None)
    if en:
        versions["en"] = LetterTemplateVersionFactory(
            template=LetterTemplateFactory(kind=kind, language="en"), subject="Notice", body=BODY_EN
        )
    if zh:
        versions["zh-hans"] = LetterTemplateVersionFactory(
            template=LetterTemplateFactory(kind=kind, language="zh-hans"), subject="通知", body=BODY_ZH
        )
    return versions


def pdf_text(content: bytes, tmp_path) -> str:
    path = tmp_path / "letter.pdf"
    path.write_bytes(content)
    return subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True, check=True, text=True).stdout


def read(document) -> bytes:
    with document.file.open("rb") as stored:
        return stored.read()


def borrower_case(*, language="en", name="Alice Walker", **fields):
    case = case_in_arrears(days_past_due=40, **fields)
    borrower = case.borrower
    borrower.language, borrower.name = language, name
    borrower.save(update_fields=["language", "name"])
    ContactPointFactory(
        borrower=borrower, kind="home_address", value="1 Main Street, Springfield", number_e164="", consent_sms=False
    )
    return case


# --- The service -------------------------------------------------------------------------------


def test_it_generates_and_stores_the_letter(collector, tmp_path, monkeypatch):
    refreshed = []
    monkeypatch.setattr("legal.limitation.case_limitation_refresh", lambda *, case: refreshed.append(case.pk))
    versions = templates_for(LetterKind.FORMAL_DEMAND)
    case = borrower_case()

    document = letter_generate(case=case, kind=LetterKind.FORMAL_DEMAND, actor=collector)

    content = read(document)
    text = pdf_text(content, tmp_path)
    assert "Alice Walker" in text
    assert "1,012.50" in text  # the overdue total, principal and interest
    assert document.sha256 == hashlib.sha256(content).hexdigest()
    assert document.size == len(content) and document.pages == 1
    assert document.template_version == versions["en"] and document.language == "en"
    assert document.created_by == collector and document.existing is False
    assert document.facts["amounts"]["total"] == "1012.50"
    assert refreshed == [case.pk]  # a demand restarts the limitation period
    event = CaseEvent.objects.get(case=case, kind=EventKind.LETTER)
    assert event.code == "letter_generated"
    number = versions["en"].number
    assert event.data == {
        "kind": "formal_demand",
        "document": document.pk,
        "language": "en",
        "version": number,
        "batch": None,
    }
    assert event_text(event) == f"Letter generated: Formal demand (English, template version {number})"


def test_the_borrowers_language_picks_the_template(collector, tmp_path):
    versions = templates_for(LetterKind.FORMAL_DEMAND)
    case = borrower_case(language="zh-hans", name="王小明")

    document = letter_generate(case=case, kind=LetterKind.FORMAL_DEMAND, actor=collector)

    assert document.language == "zh-hans" and document.template_version == versions["zh-hans"]
    assert "王小明" in pdf_text(read(document), tmp_path)


def test_it_falls_back_to_the_other_language(collector):
    versions = templates_for(LetterKind.SETTLEMENT_OFFER, zh=False)
    case = borrower_case(language="zh-hans")

    document = letter_generate(case=case, kind=LetterKind.SETTLEMENT_OFFER, actor=collector)

    assert document.language == "en" and document.template_version == versions["en"]


def test_no_template_is_refused_and_nothing_written(collector):
    templates_for(LetterKind.LAWYERS_LETTER, en=False, zh=False)
    case = borrower_case()
    with pytest.raises(services.LetterError) as refused:
        letter_generate(case=case, kind=LetterKind.LAWYERS_LETTER, actor=collector)
    assert refused.value.code == services.NO_TEMPLATE
    assert Document.objects.count() == 0 and not CaseEvent.objects.filter(kind=EventKind.LETTER).exists()


def test_a_settlement_offer_does_not_restart_the_limitation_period(collector, monkeypatch):
    refreshed = []
    monkeypatch.setattr("legal.limitation.case_limitation_refresh", lambda *, case: refreshed.append(case.pk))
    templates_for(LetterKind.SETTLEMENT_OFFER)
    letter_generate(case=borrower_case(), kind=LetterKind.SETTLEMENT_OFFER, actor=collector)
    assert refreshed == []


def test_the_same_day_twice_returns_the_first_letter(collector, monkeypatch):
    templates_for(LetterKind.FORMAL_DEMAND)
    case = borrower_case()
    first = letter_generate(case=case, kind=LetterKind.FORMAL_DEMAND, actor=collector)

    second = letter_generate(case=case, kind=LetterKind.FORMAL_DEMAND, actor=collector)

    assert second.pk == first.pk and second.existing is True
    assert Document.objects.count() == 1
    assert CaseEvent.objects.filter(case=case, kind=EventKind.LETTER).count() == 1


def test_a_race_on_the_same_day_meets_the_unique_key(collector, tmp_path):
    """Two requests that both found no letter: the second insert meets the key and gets the first letter."""
    templates_for(LetterKind.FORMAL_DEMAND)
    case = borrower_case()
    first = letter_generate(case=case, kind=LetterKind.FORMAL_DEMAND, actor=collector)
    draft = services.letter_draft(case=case, kind=LetterKind.FORMAL_DEMAND, issued_on=first.issued_on, actor=collector)
    content, pages = services.letter_render(draft)

    document, created = services.letter_store(draft=draft, content=content, pages=pages, actor=collector)

    assert created is False and document.pk == first.pk
    assert Document.objects.count() == 1
    stored = list((tmp_path / "media" / "legal" / "letters").rglob("*.pdf"))
    assert len(stored) == 1  # the second file was removed again


def test_a_cease_contact_hold_refuses_a_demand_and_records_it(collector):
    templates_for(LetterKind.FORMAL_DEMAND)
    case = borrower_case()
    HoldFactory(case=case, kind=HoldKind.CEASE_CONTACT)

    with pytest.raises(services.compliance.ContactRefused) as refused:
        letter_generate(case=case, kind=LetterKind.FORMAL_DEMAND, actor=collector)

    assert refused.value.verdict.rule == "cease_contact"
    row = ContactRefusal.objects.get(case=case)
    assert row.action == "letter.formal_demand" and row.channel == "letter" and row.actor == collector
    assert Document.objects.count() == 0


def test_a_cease_contact_hold_lets_a_legally_required_notice_through(collector):
    templates_for(LetterKind.ASSIGNMENT_NOTICE)
    case = borrower_case()
    HoldFactory(case=case, kind=HoldKind.CEASE_CONTACT)

    document = letter_generate(case=case, kind=LetterKind.ASSIGNMENT_NOTICE, actor=collector)

    assert document.kind == LetterKind.ASSIGNMENT_NOTICE
    assert not ContactRefusal.objects.exists()


def test_a_lawyers_letter_on_a_time_barred_us_debt_is_refused(collector):
    templates_for(LetterKind.LAWYERS_LETTER)
    us = PortfolioFactory(code="us", name="US portfolio", jurisdiction="us", is_default=False)
    case = borrower_case(portfolio=us)
    account = case.case_accounts.get().account
    account.installments.update(due_on="2020-01-15")
    account.oldest_unpaid_due_on = "2020-01-15"
    account.save(update_fields=["oldest_unpaid_due_on"])

    with pytest.raises(services.compliance.ContactRefused) as refused:
        letter_generate(case=case, kind=LetterKind.LAWYERS_LETTER, actor=collector)

    assert refused.value.verdict.rule == "time_barred"
    assert ContactRefusal.objects.get(case=case).rule == "time_barred"
    assert Document.objects.count() == 0


# --- The case page -----------------------------------------------------------------------------


def case_page(client, user, case):
    client.force_login(user)
    return client.get(reverse("collection:case_detail", args=[case.pk]))


def test_the_case_page_shows_the_letters_and_the_form(client, collector):
    templates_for(LetterKind.FORMAL_DEMAND)
    case = borrower_case(collector=collector)
    document = letter_generate(case=case, kind=LetterKind.FORMAL_DEMAND, actor=collector)

    page = case_page(client, collector, case).content.decode()

    assert 'id="case-letters"' in page
    assert reverse("legal:letter_download", args=[document.pk]) in page
    assert reverse("legal:letter_generate", args=[case.pk]) in page
    assert "Formal demand" in page and "English" in page


def test_the_section_is_hidden_from_a_field_agent(client, field_agent):
    from django.utils import timezone

    from collection.models import FieldVisit

    case = borrower_case()
    FieldVisit.objects.create(
        case=case, agent=field_agent, address="1 Main Street", reason="Skip trace", requested_at=timezone.now()
    )

    response = case_page(client, field_agent, case)

    assert response.status_code == 200
    assert 'id="case-letters"' not in response.content.decode()


def test_the_section_costs_at_most_two_queries(rf, collector, django_assert_max_num_queries):
    from legal.views.letters import letters_section_context

    templates_for(LetterKind.FORMAL_DEMAND)
    case = borrower_case(collector=collector)
    for kind in (LetterKind.FORMAL_DEMAND,):
        letter_generate(case=case, kind=kind, actor=collector)
    request = rf.get("/")
    request.user = collector
    with django_assert_max_num_queries(2):
        context = letters_section_context(request, case)
        assert len(context["letters"]) == 1
        str(context["letters"][0].created_by)


def test_generate_from_the_case_page(client, collector):
    templates_for(LetterKind.FORMAL_DEMAND)
    case = borrower_case(collector=collector)
    client.force_login(collector)

    response = client.post(reverse("legal:letter_generate", args=[case.pk]), {"kind": "formal_demand"}, follow=True)

    assert response.redirect_chain[-1][0].startswith(reverse("collection:case_detail", args=[case.pk]))
    assert "Formal demand generated (1 page)." in response.content.decode()
    assert Document.objects.filter(case=case).count() == 1


def test_generate_twice_from_the_case_page_says_so(client, collector):
    templates_for(LetterKind.FORMAL_DEMAND)
    case = borrower_case(collector=collector)
    client.force_login(collector)
    url = reverse("legal:letter_generate", args=[case.pk])
    client.post(url, {"kind": "formal_demand"})

    response = client.post(url, {"kind": "formal_demand"}, follow=True)

    assert "was already generated today" in response.content.decode()
    assert Document.objects.filter(case=case).count() == 1


def test_a_refusal_shows_the_guards_reason(client, collector):
    templates_for(LetterKind.FORMAL_DEMAND)
    case = borrower_case(collector=collector)
    HoldFactory(case=case, kind=HoldKind.CEASE_CONTACT)
    client.force_login(collector)

    response = client.post(reverse("legal:letter_generate", args=[case.pk]), {"kind": "formal_demand"}, follow=True)

    refusal = ContactRefusal.objects.get(case=case)
    assert "The letter was not generated" in response.content.decode()
    assert refusal.reason.split(".")[0] in response.content.decode()
    assert Document.objects.count() == 0


def test_generate_rejects_get(client, collector):
    case = borrower_case(collector=collector)
    client.force_login(collector)
    assert client.get(reverse("legal:letter_generate", args=[case.pk])).status_code == 405


def test_generate_is_404_for_an_outsider(client, outsider):
    case = borrower_case()
    client.force_login(outsider)
    assert client.post(reverse("legal:letter_generate", args=[case.pk]), {"kind": "formal_demand"}).status_code == 404


def test_generate_is_403_without_the_right(client, field_agent):
    case = borrower_case()
    client.force_login(field_agent)
    assert client.post(reverse("legal:letter_generate", args=[case.pk]), {"kind": "formal_demand"}).status_code == 403


def test_download_streams_the_file(client, collector):
    templates_for(LetterKind.FORMAL_DEMAND)
    case = borrower_case(collector=collector)
    document = letter_generate(case=case, kind=LetterKind.FORMAL_DEMAND, actor=collector)
    client.force_login(collector)

    response = client.get(reverse("legal:letter_download", args=[document.pk]))

    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert document.filename in response["Content-Disposition"]
    assert b"".join(response.streaming_content) == read(document)


def test_download_is_404_for_an_outsider(client, collector, outsider):
    templates_for(LetterKind.FORMAL_DEMAND)
    case = borrower_case(collector=collector)
    document = letter_generate(case=case, kind=LetterKind.FORMAL_DEMAND, actor=collector)
    client.force_login(outsider)
    assert client.get(reverse("legal:letter_download", args=[document.pk])).status_code == 404


def test_download_rejects_post(client, collector):
    templates_for(LetterKind.FORMAL_DEMAND)
    case = borrower_case(collector=collector)
    document = letter_generate(case=case, kind=LetterKind.FORMAL_DEMAND, actor=collector)
    client.force_login(collector)
    assert client.post(reverse("legal:letter_download", args=[document.pk])).status_code == 405
