"""
The letter's layout and context: what the PDF of a letter shows, in English
and in Chinese, its fonts and page numbers, and what a hostile template can
not do (read files, reach the network, walk into objects).
"""

import datetime
import logging
import subprocess
from decimal import Decimal

import pytest
from django.utils import formats
from django.utils.translation import override

from documents.templating import TemplateProblem, plain_data
from legal.letters.batches import letters_split
from legal.letters.context import letter_context
from legal.letters.defaults import letter_templates_install_defaults
from legal.letters.layout import letter_article_html, letter_pdf, page_number_style
from legal.models import LetterKind, LetterTemplate, LetterTemplateVersion
from tests.collection.factories import case_in_arrears
from tests.lending.factories import BorrowerFactory, ContactPointFactory

pytestmark = pytest.mark.django_db

ISSUED_ON = datetime.date(2026, 12, 3)


def pdf_text(pdf: bytes, tmp_path) -> str:
    path = tmp_path / "letter.pdf"
    path.write_bytes(pdf)
    return subprocess.run(["pdftotext", str(path), "-"], capture_output=True, check=True, text=True).stdout


def pdf_fonts(pdf: bytes, tmp_path) -> str:
    path = tmp_path / "fonts.pdf"
    path.write_bytes(pdf)
    return subprocess.run(["pdffonts", str(path)], capture_output=True, check=True, text=True).stdout


def default_version(kind, language) -> LetterTemplateVersion:
    letter_templates_install_defaults()
    return LetterTemplate.objects.select_related("current_version").get(kind=kind, language=language).current_version


def draft(body: str, *, subject="Letter", kind=LetterKind.FORMAL_DEMAND, language="en") -> LetterTemplateVersion:
    """An unsaved version, as the editor's preview renders it."""
    template = LetterTemplate.objects.get(kind=kind, language=language)
    return LetterTemplateVersion(template=template, number=0, subject=subject, body=body)


def letter_alone_pdf(case, version, **context_kwargs) -> bytes:
    language = version.template.language
    context = letter_context(case=case, issued_on=ISSUED_ON, language=language, **context_kwargs)
    article = letter_article_html(case=case, template_version=version, context=context)
    return letter_pdf(article, language=language)[0]


@pytest.fixture
def english_case():
    borrower = BorrowerFactory(name="Wang Fang", language="en")
    ContactPointFactory(borrower=borrower, kind="home_address", value="12 West Lake Road\nHangzhou 310000")
    return case_in_arrears(days_past_due=40, borrower=borrower)


@pytest.fixture
def chinese_case():
    borrower = BorrowerFactory(name="张伟", language="zh-hans")
    ContactPointFactory(borrower=borrower, kind="home_address", value="浙江省杭州市西湖区文三路100号")
    return case_in_arrears(days_past_due=40, borrower=borrower)


# --- What the letter says -----------------------------------------------------------


def test_an_english_letter_shows_the_names_amounts_and_dates(english_case, tmp_path):
    text = pdf_text(letter_alone_pdf(english_case, default_version(LetterKind.FORMAL_DEMAND, "en")), tmp_path)
    assert "Wang Fang" in text
    assert "12 West Lake Road" in text
    assert "Formal demand for payment" in text
    assert english_case.number in text
    # The amounts table and the body, with the currency.
    assert "1,000.00 CNY" in text
    assert "12.50 CNY" in text
    assert "1,012.50 CNY" in text
    assert "6,075.00 CNY" in text
    # The letter's date, the deadline (14 days later) and the oldest unpaid due date.
    assert "Dec. 3, 2026" in text
    assert "Dec. 17, 2026" in text
    oldest = english_case.case_accounts.get().account.oldest_unpaid_due_on
    with override("en"):
        assert formats.date_format(oldest, "DATE_FORMAT") in text
    # The designated channels, with the case number to quote, and the signature.
    assert "Bank transfer" in text
    assert f"quote {english_case.number}" in text
    assert "Head of Collections" in text


def test_a_chinese_letter_shows_the_names_amounts_and_dates_in_an_embedded_cjk_font(chinese_case, tmp_path):
    pdf = letter_alone_pdf(chinese_case, default_version(LetterKind.FORMAL_DEMAND, "zh-hans"))
    text = pdf_text(pdf, tmp_path)
    assert "催收函" in text
    assert "张伟" in text
    assert "浙江省杭州市西湖区文三路100号" in text
    assert "1,012.50 CNY" in text
    assert "1,000.00 CNY" in text
    assert "2026年12月3日" in text
    assert "2026年12月17日" in text
    assert "银行转账" in text
    assert "示范消费金融有限公司" in text
    fonts = [line for line in pdf_fonts(pdf, tmp_path).splitlines() if "WenQuanYi" in line]
    assert fonts, "the Chinese text is printed in WenQuanYi Micro Hei"
    # name type encoding emb sub uni: embedded, as a subset.
    assert all(line.split()[-5:-3] == ["yes", "yes"] for line in fonts)


@pytest.mark.parametrize("language", ["en", "zh-hans"])
def test_every_default_template_renders_for_a_real_case(language, english_case, tmp_path):
    letter_templates_install_defaults()
    for template in LetterTemplate.objects.filter(language=language).select_related("current_version"):
        text = pdf_text(letter_alone_pdf(english_case, template.current_version, kind=template.kind), tmp_path)
        assert "Wang Fang" in text, template.kind
        assert template.current_version.subject[:4] in text, template.kind


def test_the_payoff_certificate_has_no_demand(english_case, tmp_path):
    text = pdf_text(letter_alone_pdf(english_case, default_version(LetterKind.PAYOFF_CERTIFICATE, "en")), tmp_path)
    assert "Payoff certificate" in text
    assert "Total overdue" not in text
    assert "Please pay by" not in text


def test_values_are_escaped_in_the_letter(english_case):
    english_case.borrower.name = "<b>Wang</b>"
    english_case.borrower.save()
    context = letter_context(case=english_case, issued_on=ISSUED_ON, language="en")
    html = letter_article_html(
        case=english_case, template_version=default_version(LetterKind.FORMAL_DEMAND, "en"), context=context
    )
    assert "<b>Wang</b>" not in html
    assert "&lt;b&gt;Wang&lt;/b&gt;" in html
    assert html.startswith(f'<article class="letter" id="letter-{english_case.pk}"')


# --- Page numbers -----------------------------------------------------------------------

LONG_BODY = "".join(
    f"<p>Paragraph {n}: {{{{ borrower.name }}}} owes {{{{ amounts.total|money(currency) }}}}.</p>" for n in range(30)
)


def test_a_two_page_letter_is_numbered_page_x_of_two(english_case, tmp_path):
    letter_templates_install_defaults()
    text = pdf_text(letter_alone_pdf(english_case, draft(LONG_BODY)), tmp_path)
    assert "Page 1 of 2" in text
    assert "Page 2 of 2" in text
    assert "Page 3" not in text


def test_letters_laid_out_together_are_each_numbered_on_their_own(english_case, chinese_case, tmp_path):
    letter_templates_install_defaults()
    long_one = draft(LONG_BODY)
    short_one = default_version(LetterKind.OVERDUE_NOTICE, "en")
    articles = [
        letter_article_html(
            case=case, template_version=version, context=letter_context(case=case, issued_on=ISSUED_ON, language="en")
        )
        for case, version in ((english_case, long_one), (chinese_case, short_one))
    ]
    parts = letters_split(articles, language="en", anchors=[f"letter-{english_case.pk}", f"letter-{chinese_case.pk}"])

    assert [pages for _pdf, pages in parts] == [2, 1]
    long_pages = pdf_text(parts[0][0], tmp_path).split("\f")
    assert "Page 1 of 2" in long_pages[0] and "Wang Fang" in long_pages[0]
    assert "Page 2 of 2" in long_pages[1]
    short_text = pdf_text(parts[1][0], tmp_path)
    assert "Page 1 of 1" in short_text and "张伟" in short_text
    assert "Page 3" not in short_text + "".join(long_pages) and "of 2" not in short_text


def test_the_page_number_keeps_the_sentence_and_cannot_break_out_of_its_style(monkeypatch):
    from legal.letters import layout

    monkeypatch.setattr(layout, "gettext", lambda text: '第 %(page)s 页 共 %(pages)s 页 "</style><p>\\')
    stated = page_number_style(3)
    assert stated.startswith('@page letter { @bottom-center { content: "第 " counter(page) " 页 共 " "3" " 页 \\22 ')
    assert "<" not in stated and '"</' not in stated and "\\5c " in stated
    assert 'counter(page) " 页 共 " counter(pages) " 页' in page_number_style(None)


# --- A hostile template -------------------------------------------------------------------


@pytest.mark.parametrize(
    "body",
    [
        "{% load static %}",
        "{% debug %}",
        "{{ request }}",
        "{{ settings.SECRET_KEY }}",
        "{{ borrower.__class__ }}",
        "{{ ''.__class__.__mro__ }}",
        "{{ borrower.name.__class__.__mro__[1].__subclasses__() }}",
        "{{ payment_channels.append(1) }}",
        "{{ borrower.name.format.__globals__ }}",
        "{% include 'base.html' %}",
    ],
)
def test_a_template_cannot_load_dump_or_walk(english_case, body):
    letter_templates_install_defaults()
    context = letter_context(case=english_case, issued_on=ISSUED_ON, language="en")
    with pytest.raises(TemplateProblem):
        letter_article_html(case=english_case, template_version=draft(f"<p>{body}</p>"), context=context)


@pytest.mark.parametrize(
    "markup, url",
    [
        ('<img src="file:///etc/passwd">', "file:///etc/passwd"),
        ('<link rel="stylesheet" href="http://169.254.169.254/latest/meta-data/">', "http://169.254.169.254/"),
        ('<img src="http://127.0.0.1:8000/admin/">', "http://127.0.0.1:8000/"),
        ("<p style=\"background: url('file:///etc/shadow')\">x</p>", "file:///etc/shadow"),
    ],
)
def test_a_template_fetches_nothing_outside_the_static_files(english_case, tmp_path, caplog, markup, url):
    letter_templates_install_defaults()
    with caplog.at_level(logging.WARNING, logger="documents.pdf"):
        pdf = letter_alone_pdf(english_case, draft(f"<p>Dear {{{{ borrower.name }}}}</p>{markup}"))
    refusals = [r.getMessage() for r in caplog.records if r.name == "documents.pdf"]
    assert any(url in message and "refused" in message for message in refusals)
    text = pdf_text(pdf, tmp_path)
    assert "Wang Fang" in text
    assert "root:" not in text


def test_the_letter_shell_fetches_only_our_own_static_files(english_case, caplog):
    with caplog.at_level(logging.WARNING, logger="documents.pdf"):
        letter_alone_pdf(english_case, default_version(LetterKind.FORMAL_DEMAND, "en"))
    assert [r for r in caplog.records if r.name == "documents.pdf"] == []


# --- The context ---------------------------------------------------------------------------


def test_the_context_is_plain_data_summed_over_the_accounts(english_case, django_assert_max_num_queries):
    from collection.models import CaseAccount
    from tests.lending.factories import account_with_schedule

    extra = account_with_schedule(borrower=english_case.borrower, opened_on=datetime.date(2026, 1, 1))
    extra.overdue_principal = Decimal("200.00")
    extra.overdue_penalty = Decimal("3.10")
    extra.overdue_fees = Decimal("20.00")
    extra.outstanding_balance = Decimal("1000.00")
    extra.days_past_due = 70
    extra.save()
    CaseAccount.objects.create(case=english_case, account=extra, joined_on=english_case.opened_on)
    left = account_with_schedule(borrower=english_case.borrower, opened_on=datetime.date(2026, 1, 1))
    left.overdue_principal = Decimal("999.00")
    left.save()
    CaseAccount.objects.create(case=english_case, account=left, joined_on=english_case.opened_on, left_on=ISSUED_ON)

    with django_assert_max_num_queries(5):
        context = letter_context(case=english_case, issued_on=ISSUED_ON, language="en", deadline_days=10)

    assert plain_data(context) is not None  # nothing the sandbox would refuse
    assert context["amounts"] == {
        "principal": Decimal("1200.00"),
        "interest": Decimal("12.50"),
        "penalty": Decimal("3.10"),
        "fees": Decimal("20.00"),
        "outstanding": Decimal("7075.00"),
        "total": Decimal("1235.60"),
    }
    assert context["days_past_due"] == 70
    assert len(context["account_numbers"]) == 2 and left.external_id not in context["account_numbers"]
    assert context["deadline"] == datetime.date(2026, 12, 13)
    assert context["borrower"]["address_lines"] == ["12 West Lake Road", "Hangzhou 310000"]
    assert context["payment_channels"][0]["instructions"].endswith(f"quote {english_case.number}")
    assert context["settlement"]["amount"] == Decimal("7075.00") - Decimal("3.10") - Decimal("20.00")
    assert context["arrangement"] is None
    assert context["payoff"]["is_paid_off"] is False


def test_the_context_carries_the_open_arrangement(english_case):
    from django.utils import timezone

    from collection.models import Arrangement, ArrangementInstallment

    arrangement = Arrangement.objects.create(
        case=english_case,
        kind="repayment_plan",
        status="active",
        currency="CNY",
        balance_at_start=Decimal("6075.00"),
        total_to_pay=Decimal("6000.00"),
        concession=Decimal("75.00"),
        requested_at=timezone.now(),
    )
    for number in (2, 1):
        ArrangementInstallment.objects.create(
            arrangement=arrangement,
            number=number,
            due_on=ISSUED_ON + datetime.timedelta(days=30 * number),
            amount=Decimal("3000.00"),
        )
    context = letter_context(case=english_case, issued_on=ISSUED_ON, language="en")
    assert context["arrangement"]["total_to_pay"] == Decimal("6000.00")
    assert [item["number"] for item in context["arrangement"]["installments"]] == [1, 2]


def test_the_arrangement_confirmation_lists_the_installments(english_case, tmp_path):
    from django.utils import timezone

    from collection.models import Arrangement, ArrangementInstallment

    arrangement = Arrangement.objects.create(
        case=english_case,
        kind="repayment_plan",
        status="active",
        currency="CNY",
        balance_at_start=Decimal("6075.00"),
        total_to_pay=Decimal("6000.00"),
        requested_at=timezone.now(),
    )
    ArrangementInstallment.objects.create(
        arrangement=arrangement, number=1, due_on=datetime.date(2027, 1, 5), amount=Decimal("3000.00")
    )
    pdf = letter_alone_pdf(english_case, default_version(LetterKind.ARRANGEMENT_CONFIRMATION, "en"))
    text = pdf_text(pdf, tmp_path)
    text = " ".join(text.split())  # the body wraps wherever the line ends
    assert "6,000.00 CNY" in text
    assert "Payment 1: 3,000.00 CNY by Jan. 5, 2027" in text
