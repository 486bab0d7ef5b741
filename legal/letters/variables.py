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


@dataclass(frozen=True)
class LetterVariable:
    name: str
    description: str | Promise
    example: str

    @property
    def top_level(self) -> str:
        return self.name.split(".", 1)[0].split("[", 1)[0]


LETTER_VARIABLES: tuple[LetterVariable, ...] = (
    LetterVariable("borrower.name", _("The borrower's full name"), "Wang Fang"),
    LetterVariable(
        "borrower.address_lines[]",
        _("The borrower's postal address, one line per item"),
        '{{ borrower.address_lines|join(", ") }}',
    ),
    LetterVariable("borrower.city", _("The borrower's city"), "Hangzhou"),
    LetterVariable("reference", _("The letter's reference: case number, kind and date"), "C-2026-000123/FD/20261203"),
    LetterVariable("case_number", _("The case number; the borrower quotes it with a payment"), "C-2026-000123"),
    LetterVariable("account_numbers[]", _("The numbers of the overdue credit accounts"), "ACC-100045"),
    LetterVariable(
        "accounts[]",
        _("Each overdue account: number, product, overdue, outstanding, days_past_due"),
        "{% for a in accounts %}{{ a.number }}{% endfor %}",
    ),
    LetterVariable("amounts.principal", _("Overdue principal"), "{{ amounts.principal|money(currency) }}"),
    LetterVariable("amounts.interest", _("Overdue interest"), "12.50"),
    LetterVariable("amounts.penalty", _("Overdue penalty (late-payment interest)"), "8.00"),
    LetterVariable("amounts.fees", _("Overdue fees"), "30.00"),
    LetterVariable("amounts.total", _("Everything overdue: principal, interest, penalty and fees"), "1,050.50"),
    LetterVariable("amounts.outstanding", _("The whole outstanding balance, overdue or not yet due"), "6,075.00"),
    LetterVariable("currency", _("The ISO 4217 currency of the amounts"), "CNY"),
    LetterVariable("days_past_due", _("Days past due of the oldest unpaid installment"), "45"),
    LetterVariable("oldest_due_on", _("Due date of the oldest unpaid installment"), "{{ oldest_due_on|date }}"),
    LetterVariable("deadline", _("The date by which the borrower must pay"), '{{ deadline|date("long") }}'),
    LetterVariable("deadline_days", _("Days between the letter date and the deadline"), "14"),
    LetterVariable("issued_on", _("The letter's date"), '{{ issued_on|date("long") }}'),
    LetterVariable("today", _("Today's date when the letter is generated"), "{{ today|date }}"),
    LetterVariable(
        "payment_channels[]",
        _("The lender's designated payment channels: name, instructions"),
        "{% for c in payment_channels %}{{ c.name }}: {{ c.instructions }}{% endfor %}",
    ),
    LetterVariable("lender.name", _("The lender's registered name"), "Arrears Demo Consumer Finance Co., Ltd."),
    LetterVariable("lender.address_lines[]", _("The lender's address, one line per item"), "100 Century Avenue"),
    LetterVariable("lender.phone", _("The lender's collections telephone number"), "400-800-1234"),
    LetterVariable("lender.email", _("The lender's collections e-mail address"), "collections@lender.example"),
    LetterVariable("lender.licence", _("The lender's licence"), "Consumer finance licence No. …"),
    LetterVariable("lender.signatory_name", _("Who signs the letter"), "Li Ming"),
    LetterVariable("lender.signatory_title", _("The signatory's title"), "Head of Collections"),
    LetterVariable("lender.law_firm", _("The law firm that signs lawyer's letters"), "Demo & Partners Law Firm"),
    LetterVariable(
        "arrangement",
        _(
            "The case's open arrangement, or nothing: kind, total_to_pay, concession, installments[] (number, due_on, "
            "amount)"
        ),
        "{% if arrangement %}{{ arrangement.total_to_pay|money(currency) }}{% endif %}",
    ),
    LetterVariable(
        "settlement.amount",
        _("What settles the debt in full: the open settlement's amount, else the balance less penalty and fees"),
        "5,900.00",
    ),
    LetterVariable("settlement.waived", _("What the settlement waives"), "175.00"),
    LetterVariable("settlement.valid_until", _("The last day the settlement offer may be accepted"), "2026-12-17"),
    LetterVariable("payoff.is_paid_off", _("Whether everything is paid (true or false)"), "true"),
    LetterVariable("payoff.paid_off_on", _("The day the last amount was paid, or nothing"), "2026-11-30"),
    LetterVariable("payoff.amount", _("What is still owed (zero when paid off)"), "0.00"),
    LetterVariable("assignment.assignee_name", _("Whom the debt is assigned to (notice of assignment)"), "…"),
    LetterVariable("assignment.assigned_on", _("The date of the assignment"), "2026-12-03"),
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
