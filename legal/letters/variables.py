"""
The variables a letter template may use: the one list shown beside the editor
and in docs/letters.md (a test keeps the two the same), and the names
`template_version_save` checks a template against.

Each entry names a value of `legal.letters.context.letter_context`; a dotted
name is a key of a dict (`borrower.name`), a name ending in `[]` a list the
template loops over (`{% for channel in payment_channels %}`).
"""

from dataclasses import dataclass

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from documents.templating import TemplateVariable

LETTER_VARIABLES: tuple[TemplateVariable, ...] = (
    TemplateVariable("borrower.name", _("The borrower's full name"), "Wang Fang"),
    TemplateVariable(
        "borrower.address_lines[]",
        _("The borrower's postal address, one line per item"),
        '{{ borrower.address_lines|join(", ") }}',
    ),
    TemplateVariable("borrower.city", _("The borrower's city"), "Hangzhou"),
    TemplateVariable("reference", _("The letter's reference: case number, kind and date"), "C-2026-000123/FD/20261203"),
    TemplateVariable("case_number", _("The case number; the borrower quotes it with a payment"), "C-2026-000123"),
    TemplateVariable("account_numbers[]", _("The numbers of the overdue credit accounts"), "ACC-100045"),
    TemplateVariable(
        "accounts[]",
        _("Each overdue account: number, product, overdue, outstanding, days_past_due"),
        "{% for a in accounts %}{{ a.number }}{% endfor %}",
    ),
    TemplateVariable("amounts.principal", _("Overdue principal"), "{{ amounts.principal|money(currency) }}"),
    TemplateVariable("amounts.interest", _("Overdue interest"), "12.50"),
    TemplateVariable("amounts.penalty", _("Overdue penalty (late-payment interest)"), "8.00"),
    TemplateVariable("amounts.fees", _("Overdue fees"), "30.00"),
    TemplateVariable("amounts.total", _("Everything overdue: principal, interest, penalty and fees"), "1,050.50"),
    TemplateVariable("amounts.outstanding", _("The whole outstanding balance, overdue or not yet due"), "6,075.00"),
    TemplateVariable("currency", _("The ISO 4217 currency of the amounts"), "CNY"),
    TemplateVariable("days_past_due", _("Days past due of the oldest unpaid installment"), "45"),
    TemplateVariable("oldest_due_on", _("Due date of the oldest unpaid installment"), "{{ oldest_due_on|date }}"),
    TemplateVariable("deadline", _("The date by which the borrower must pay"), '{{ deadline|date("long") }}'),
    TemplateVariable("deadline_days", _("Days between the letter date and the deadline"), "14"),
    TemplateVariable("issued_on", _("The letter's date"), '{{ issued_on|date("long") }}'),
    TemplateVariable("today", _("Today's date when the letter is generated"), "{{ today|date }}"),
    TemplateVariable(
        "payment_channels[]",
        _("The lender's designated payment channels: name, instructions"),
        "{% for c in payment_channels %}{{ c.name }}: {{ c.instructions }}{% endfor %}",
    ),
    TemplateVariable("lender.name", _("The lender's registered name"), "Arrears Demo Consumer Finance Co., Ltd."),
    TemplateVariable("lender.address_lines[]", _("The lender's address, one line per item"), "100 Century Avenue"),
    TemplateVariable("lender.phone", _("The lender's collections telephone number"), "400-800-1234"),
    TemplateVariable("lender.email", _("The lender's collections e-mail address"), "collections@lender.example"),
    TemplateVariable("lender.licence", _("The lender's licence"), "Consumer finance licence No. …"),
    TemplateVariable("lender.signatory_name", _("Who signs the letter"), "Li Ming"),
    TemplateVariable("lender.signatory_title", _("The signatory's title"), "Head of Collections"),
    TemplateVariable("lender.law_firm", _("The law firm that signs lawyer's letters"), "Demo & Partners Law Firm"),
    TemplateVariable(
        "arrangement",
        _(
            "The case's open arrangement, or nothing: kind, total_to_pay, concession, installments[] (number, due_on, "
            "amount)"
        ),
        "{% if arrangement %}{{ arrangement.total_to_pay|money(currency) }}{% endif %}",
    ),
    TemplateVariable(
        "settlement.amount",
        _("What settles the debt in full: the open settlement's amount, else the balance less penalty and fees"),
        "5,900.00",
    ),
    TemplateVariable("settlement.waived", _("What the settlement waives"), "175.00"),
    TemplateVariable("settlement.valid_until", _("The last day the settlement offer may be accepted"), "2026-12-17"),
    TemplateVariable("payoff.is_paid_off", _("Whether everything is paid (true or false)"), "true"),
    TemplateVariable("payoff.paid_off_on", _("The day the last amount was paid, or nothing"), "2026-11-30"),
    TemplateVariable("payoff.amount", _("What is still owed (zero when paid off)"), "0.00"),
    TemplateVariable("assignment.assignee_name", _("Whom the debt is assigned to (notice of assignment)"), "…"),
    TemplateVariable("assignment.assigned_on", _("The date of the assignment"), "2026-12-03"),
)


def variable_names() -> set[str]:
    """The top-level names a template may use (what `template_check` is given)."""
    return {variable.top_level for variable in LETTER_VARIABLES}


@dataclass(frozen=True)
class LetterFilter:
    name: str
    description: str | Promise
    example: str


# The filters documents.templating offers, as shown beside the editor (docs/letters.md has the full table).
LETTER_FILTERS: tuple[LetterFilter, ...] = (
    LetterFilter("money", _("An amount with two decimals and the currency"), "{{ amounts.total|money(currency) }}"),
    LetterFilter("date", _("A date, short or long, in the letter's language"), '{{ deadline|date("long") }}'),
    LetterFilter(
        "upper / lower / title / capitalize / trim", _("Change the case of a text"), "{{ borrower.name|upper }}"
    ),
    LetterFilter("default", _("A text to show when a value is empty"), '{{ borrower.city|default("-") }}'),
    LetterFilter("join", _("The items of a list, with a separator"), '{{ account_numbers|join(", ") }}'),
    LetterFilter("length", _("How many items a list has"), "{{ accounts|length }}"),
    LetterFilter("round", _("A number rounded"), "{{ days_past_due|round }}"),
)
