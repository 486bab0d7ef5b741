"""documents.templating: the sandbox for templates that staff edit."""

import datetime
from decimal import Decimal

import pytest
from django.contrib.auth import get_user_model
from django.utils import translation
from markupsafe import Markup

from documents.templating import TemplateProblem, render_sandboxed, template_check


@pytest.mark.parametrize(
    "source",
    [
        "{{ x.__class__ }}",
        "{{ ''.__class__.__mro__ }}",
        "{{ x.__class__.__mro__[1].__subclasses__() }}",
        "{{ d.__init__.__globals__ }}",
        "{{ x|attr('__class__') }}",
    ],
)
def test_the_sandbox_refuses_attribute_walks(source):
    with pytest.raises(TemplateProblem) as caught:
        render_sandboxed(source, {"x": 1, "d": {"a": 1}})
    assert caught.value.lineno == 1


@pytest.mark.parametrize(
    "source, tag",
    [
        ("Dear {{ name }}\n{% include 'base.html' %}", "include"),
        ("{% import 'macros.html' as m %}", "import"),
        ("{% from 'macros.html' import x %}", "from ... import"),
        ("{% extends 'base.html' %}", "extends"),
    ],
)
def test_include_import_and_extends_are_refused_when_parsed(source, tag):
    for check in (lambda: render_sandboxed(source, {"name": "Li"}), lambda: template_check(source, {"name"})):
        with pytest.raises(TemplateProblem, match="is not allowed") as caught:
            check()
        assert f"{{% {tag} %}}" in caught.value.message
        assert caught.value.lineno == source.count("\n") + 1


def test_there_are_no_globals():
    with pytest.raises(TemplateProblem, match="'range' is undefined"):
        render_sandboxed("{% for i in range(10) %}{{ i }}{% endfor %}", {})


def test_a_model_instance_in_the_context_is_refused():
    user = get_user_model()(username="li")
    with pytest.raises(TypeError, match=r"context\['borrower'\].*plain data only"):
        render_sandboxed("{{ borrower.username }}", {"borrower": user})
    with pytest.raises(TypeError, match=r"context\['rows'\]\[1\]"):
        render_sandboxed("{{ rows }}", {"rows": ["a", user]})


@pytest.mark.parametrize("value", [1.5, object(), {1: "a"}, {"a"}, b"bytes"])
def test_other_non_plain_values_are_refused(value):
    with pytest.raises(TypeError):
        render_sandboxed("{{ v }}", {"v": value})


def test_plain_data_renders_and_html_is_escaped():
    context = {
        "name": "<script>alert(1)</script>",
        "safe": Markup("<b>not trusted</b>"),
        "account": {"number": "A-1", "installments": [{"n": 1}, {"n": 2}]},
        "paid": False,
        "nothing": None,
    }
    out = render_sandboxed(
        "{{ name }} {{ safe }} {{ account.number }}"
        "{% for i in account.installments %} #{{ i.n }}{% endfor %} {{ paid }} {{ nothing|default('-', true) }}",
        context,
    )
    assert out == "&lt;script&gt;alert(1)&lt;/script&gt; &lt;b&gt;not trusted&lt;/b&gt; A-1 #1 #2 False -"


def test_the_sandbox_is_immutable():
    with pytest.raises(TemplateProblem):
        render_sandboxed("{{ rows.append(1) }}{{ d.update({'a': 2}) }}", {"rows": [1], "d": {"a": 1}})


def test_strict_undefined_names_the_variable_and_its_line():
    with pytest.raises(TemplateProblem, match="'amount_due' is undefined") as caught:
        render_sandboxed("Dear {{ name }},\n\nYou owe {{ amount_due }}.", {"name": "Li"})
    assert caught.value.lineno == 3
    assert "line 3" in str(caught.value)


def test_a_syntax_error_is_a_template_problem_with_its_line():
    with pytest.raises(TemplateProblem) as caught:
        render_sandboxed("one\ntwo\n{% if %}", {})
    assert caught.value.lineno == 3


def test_an_unknown_filter_is_a_template_problem():
    with pytest.raises(TemplateProblem, match="No filter named 'pprint'"):
        render_sandboxed("{{ x|pprint }}", {"x": 1})


@pytest.mark.parametrize("language", ["en", "zh-hans"])
def test_money_is_grouped_in_english_and_chinese(language):
    with translation.override(language):
        assert render_sandboxed("{{ a|money('CNY') }}", {"a": Decimal("1234.5")}) == "1,234.50 CNY"
        assert render_sandboxed("{{ a|money('CNY') }}", {"a": 1234567}) == "1,234,567.00 CNY"
        assert render_sandboxed("{{ a|money }}", {"a": Decimal("0.125")}) == "0.13"


def test_money_refuses_what_is_not_an_amount():
    with pytest.raises(TemplateProblem, match="money"):
        render_sandboxed("{{ a|money('CNY') }}", {"a": "twelve"})
    with pytest.raises(TemplateProblem, match="money"):
        render_sandboxed("{{ a|money('CNY') }}", {"a": True})


def test_date_uses_the_active_languages_formats():
    context = {"due": datetime.date(2026, 3, 4)}
    with translation.override("en"):
        assert render_sandboxed("{{ due|date }}", context) == "03/04/2026"
        assert render_sandboxed("{{ due|date('long') }}", context) == "March 4, 2026"
    with translation.override("zh-hans"):
        assert render_sandboxed("{{ due|date('long') }}", context) == "2026年3月4日"


def test_the_whitelisted_text_filters():
    out = render_sandboxed(
        "{{ n|upper }} {{ n|lower }} {{ n|title }} {{ x|round(1) }} {{ missing|default('n/a') }}",
        {"n": "li NA", "x": Decimal("2.46")},
    )
    assert out == "LI NA li na Li Na 2.5 n/a"


def test_template_check_lists_undeclared_variables():
    source = "Dear {{ name }}, {{ amount|money(currency) }}{% for i in rows %}{{ i }}{% endfor %} {{ typo }}"
    assert template_check(source, {"name", "amount", "currency", "rows"}) == ["typo"]
    assert template_check(source, {"name", "amount", "currency", "rows", "typo"}) == []
    with pytest.raises(TemplateProblem):
        template_check("{{ name", {"name"})
