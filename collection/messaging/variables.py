"""
What a message template may say: `MESSAGE_VARIABLES`, the one documented list
shown beside the editor and in docs/messages.md (a test keeps the two the
same), and the contexts a template is rendered with.

The context is plain data (documents/templating.py refuses anything else):
`message_context` builds it from a message's case or account when the message
is sent; `message_sample_context` is the invented borrower a template is
test-rendered against when it is saved; `message_worst_case_context` the
longest realistic values, against which an SMS must still carry its opt-out
line in the first segment.
"""

import datetime
from dataclasses import dataclass
from decimal import Decimal

from django.conf import settings
from django.db.models import Min, Sum
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from collection.models import CaseAccount, MessageKind, PromiseStatus, PromiseToPay
from documents.templating import TemplateVariable
from lending.models import Installment
from lending.services.calendar import lender_today

ZERO = Decimal("0.00")


MESSAGE_VARIABLES: tuple[TemplateVariable, ...] = (
    TemplateVariable("borrower_name", _("The borrower's full name"), "Wang Fang"),
    TemplateVariable(
        "reference",
        _("What the borrower quotes with a payment: the case number, or the account number before a case"),
        "C-2026-000123",
    ),
    TemplateVariable("case_number", _("The case number (blank before the account is in a case)"), "C-2026-000123"),
    TemplateVariable("account_number", _("The account number, masked to its last four characters"), "****0045"),
    TemplateVariable("amount_due", _("The amount to pay now (the installment, or everything overdue)"), "1,012.50"),
    TemplateVariable("amount_overdue", _("Everything overdue (0 before the due date)"), "{{ amount_overdue|money }}"),
    TemplateVariable("currency", _("The ISO 4217 currency of the amounts"), "{{ amount_due|money(currency) }}"),
    TemplateVariable("due_date", _("The installment's due date, or the oldest unpaid one"), "{{ due_date|date }}"),
    TemplateVariable("days_to_due", _("Days from today to the due date (0 on the day, negative after)"), "3"),
    TemplateVariable("days_past_due", _("Days past due of the oldest unpaid installment"), "15"),
    TemplateVariable(
        "promise_amount",
        _("The amount of the borrower's latest promise to pay (pending, or broken for a missed-promise message)"),
        "{{ promise_amount|money(currency) }}",
    ),
    TemplateVariable("promise_due_date", _("The date the borrower promised to pay by"), "{{ promise_due_date|date }}"),
    TemplateVariable(
        "payment_channels[]",
        _("The lender's designated payment channels: name, instructions"),
        "{% for c in payment_channels %}{{ c.name }}: {{ c.instructions }}{% endfor %}",
    ),
    TemplateVariable("lender.name", _("The lender's name"), "Arrears Demo Consumer Finance Co., Ltd."),
    TemplateVariable("lender.short_name", _("The lender's short name, for SMS signatures"), "Arrears Demo"),
    TemplateVariable("lender.phone", _("The lender's telephone number"), "400-800-1234"),
    TemplateVariable("lender.email", _("The lender's e-mail address"), "collections@lender.example"),
    TemplateVariable(
        "opt_out_instructions",
        _("How to stop these messages; where the jurisdiction requires it the line is added at the end anyway"),
        "Reply STOP to opt out.",
    ),
    TemplateVariable("today", _("Today's date when the message is sent"), "{{ today|date }}"),
)
MESSAGE_VARIABLE_NAMES = frozenset(variable.top_level for variable in MESSAGE_VARIABLES)


def lender_text(value, language: str):
    """A setting's text in `language`: a dict keyed by language (English when missing), or the value itself."""
    if isinstance(value, dict):
        return value.get(language) or value.get("en") or next(iter(value.values()), "")
    return value


def lender_particulars(language: str) -> dict:
    lender = settings.ARREARS_LENDER
    name = lender_text(lender.get("name", ""), language)
    return {
        "name": name,
        "short_name": lender_text(lender.get("short_name", ""), language) or name,
        "phone": lender.get("phone", ""),
        "email": lender.get("email", ""),
    }


def payment_channels(language: str, reference: str) -> list[dict]:
    """The lender's designated payment channels, the reference filled into each instruction."""
    return [
        {
            "name": lender_text(channel.get("name", ""), language),
            "instructions": lender_text(channel.get("instructions", ""), language).replace("{reference}", reference),
        }
        for channel in settings.ARREARS_LENDER.get("payment_channels", [])
    ]


def masked_account_number(number: str) -> str:
    """An account number as a message may show it: its last four characters."""
    return "****" + number[-4:] if number else ""


def _installment_amount_unpaid(account_id: int, due_on: datetime.date) -> Decimal:
    figures = Installment.objects.filter(account_id=account_id, due_on=due_on).aggregate(
        due=Sum("principal_due") + Sum("interest_due") + Sum("fee_due") + Sum("penalty_accrued"),
        paid=Sum("principal_paid") + Sum("interest_paid") + Sum("fee_paid") + Sum("penalty_paid"),
    )
    return max((figures["due"] or ZERO) - (figures["paid"] or ZERO), ZERO)


def _next_due_on(account_id: int, today: datetime.date) -> datetime.date | None:
    return (
        Installment.objects.filter(account_id=account_id, paid_off_on__isnull=True, due_on__gte=today)
        .aggregate(first=Min("due_on"))
        .get("first")
    )


def message_context(message, *, opt_out_instructions: str = "", today: datetime.date | None = None) -> dict:
    """
    The facts of `message` as its template sees them: from its case (amounts
    overdue, the case number) or, before a case, its account and the
    installment it reminds of. A few queries; run at send time.
    """
    today = today or lender_today()
    language = message.language
    case, account = message.case, message.account
    if account is None and case is not None:
        member = CaseAccount.objects.filter(case=case, left_on__isnull=True).select_related("account").first()
        account = member.account if member else None
    account_number = masked_account_number(account.external_id) if account is not None else ""
    due_on = message.installment_due_on
    if case is not None:
        reference = case.number
        overdue, currency, days_past_due = case.overdue_total, case.currency, case.days_past_due
        if due_on is None:
            due_on = (
                CaseAccount.objects.filter(case=case, left_on__isnull=True)
                .aggregate(oldest=Min("account__oldest_unpaid_due_on"))
                .get("oldest")
            )
        amount_due = overdue
    else:
        reference = account.external_id if account is not None else ""
        currency = account.product.currency if account is not None else ""
        overdue = account.overdue_total if account is not None else ZERO
        days_past_due = account.days_past_due if account is not None else 0
        if due_on is None and account is not None:
            due_on = _next_due_on(account.pk, today)
        amount_due = _installment_amount_unpaid(account.pk, due_on) if account is not None and due_on else ZERO
    promise = _promise_of(case, message.kind) if case is not None else None
    if promise is not None and message.kind in PROMISE_KINDS:
        # A message about a promise speaks of the promise: its amount and its date.
        amount_due, due_on = promise.amount, promise.due_on
    return {
        "borrower_name": message.borrower.name,
        "reference": reference,
        "case_number": case.number if case is not None else "",
        "account_number": account_number,
        "amount_due": amount_due,
        "amount_overdue": overdue or ZERO,
        "currency": currency,
        "due_date": due_on,
        "days_to_due": (due_on - today).days if due_on else 0,
        "days_past_due": days_past_due,
        "promise_amount": promise.amount if promise is not None else ZERO,
        "promise_due_date": promise.due_on if promise is not None else None,
        "payment_channels": payment_channels(language, reference),
        "lender": lender_particulars(language),
        "opt_out_instructions": opt_out_instructions,
        "today": today,
    }


PROMISE_KINDS = (MessageKind.PROMISE_REMINDER, MessageKind.BROKEN_PROMISE)


def _promise_of(case, kind: str):
    """The case's pending promise (its earliest part), or for a missed-promise message the latest broken one."""
    promises = PromiseToPay.objects.filter(case_id=case.pk)
    if kind == MessageKind.BROKEN_PROMISE:
        broken = promises.filter(status=PromiseStatus.BROKEN).order_by("-due_on", "-id").first()
        if broken is not None:
            return broken
    return promises.filter(status=PromiseStatus.PENDING).order_by("due_on", "id").first()


def message_sample_context(*, language: str, opt_out_instructions: str = "", today=None) -> dict:
    """A context of the same shape with invented figures, to test-render a template when it is saved."""
    today = today or lender_today()
    reference = "C-2026-000123"
    return {
        "borrower_name": "王芳" if language.startswith("zh") else "Wang Fang",
        "reference": reference,
        "case_number": reference,
        "account_number": "****0045",
        "amount_due": Decimal("1012.50"),
        "amount_overdue": Decimal("1012.50"),
        "currency": "CNY",
        "due_date": today + datetime.timedelta(days=3),
        "days_to_due": 3,
        "days_past_due": 15,
        "promise_amount": Decimal("500.00"),
        "promise_due_date": today + datetime.timedelta(days=2),
        "payment_channels": payment_channels(language, reference),
        "lender": lender_particulars(language),
        "opt_out_instructions": opt_out_instructions,
        "today": today,
    }


def message_worst_case_context(*, language: str, opt_out_instructions: str = "", today=None) -> dict:
    """
    The longest values a real message carries: a long name, a six-figure
    amount, three-digit days past due, a long case number. An SMS whose
    opt-out line still fits its first segment with these fits with any borrower's.
    """
    context = message_sample_context(language=language, opt_out_instructions=opt_out_instructions, today=today)
    context.update(
        {
            "borrower_name": "欧阳建国" if language.startswith("zh") else "Alexandra Montgomery-Fitzgerald",
            "reference": "C-2026-999999",
            "case_number": "C-2026-999999",
            "amount_due": Decimal("888888.88"),
            "amount_overdue": Decimal("888888.88"),
            "days_to_due": -999,
            "days_past_due": 999,
            "promise_amount": Decimal("888888.88"),
        }
    )
    context["payment_channels"] = payment_channels(language, context["reference"])
    return context


@dataclass(frozen=True)
class MessageFilter:
    name: str
    description: str | Promise
    example: str


# The filters of documents/templating.py, as the editor explains them.
MESSAGE_FILTERS: tuple[MessageFilter, ...] = (
    MessageFilter("money", _("An amount with two decimals and the currency"), "{{ amount_due|money(currency) }}"),
    MessageFilter("date", _("A date, short or long, in the borrower's language"), '{{ due_date|date("long") }}'),
    MessageFilter(
        "upper / lower / title / capitalize / trim", _("Change the case of a text"), "{{ borrower_name|title }}"
    ),
    MessageFilter("default", _("A text to show when a value is empty"), '{{ case_number|default("-") }}'),
    MessageFilter("join", _("The items of a list, with a separator"), '{{ payment_channels|join(", ") }}'),
    MessageFilter("length", _("How many items a list has"), "{{ payment_channels|length }}"),
    MessageFilter("round", _("A number rounded"), "{{ days_past_due|round }}"),
)
