"""
What a letter knows about its case: plain data only (str, int, Decimal, date,
bool, None, lists and dicts), because the sandbox (documents.templating)
refuses anything else — a template must never reach a model or its methods.
legal.letters.variables documents every key.

The reads are few and fixed whatever the number of accounts: the case with its
borrower, its accounts (with their products), the borrower's postal address
and the case's open arrangement (with its installments).
"""

import datetime
from decimal import Decimal

from django.conf import settings
from django.db.models import Prefetch, Q

from collection.models import (
    Arrangement,
    ArrangementInstallment,
    ArrangementKind,
    ArrangementStatus,
    Case,
    CaseAccount,
    CaseStatus,
    case_id_from_number,
)
from lending.models import ContactPoint
from lending.services.calendar import lender_today

ZERO = Decimal("0.00")
OPEN_ARRANGEMENT = (ArrangementStatus.PENDING_APPROVAL, ArrangementStatus.ACTIVE)
# A short code per kind for the letter's reference (C-2026-000123/FD/20261203).
KIND_CODES = {
    "overdue_notice": "ON",
    "formal_demand": "FD",
    "final_notice": "FN",
    "lawyers_letter": "LL",
    "settlement_offer": "SO",
    "arrangement_confirmation": "AC",
    "payoff_certificate": "PC",
    "assignment_notice": "AN",
}


def lender_text(value, language: str):
    """A setting's text in `language`: a dict keyed by language (English when missing), or the value itself."""
    if isinstance(value, dict):
        return value.get(language) or value.get("en") or next(iter(value.values()), "")
    return value


def lender_particulars(language: str) -> dict:
    """The lender's name, address, telephone, licence and signatory from settings.ARREARS_LENDER."""
    lender = settings.ARREARS_LENDER
    return {
        "name": lender_text(lender.get("name", ""), language),
        "address_lines": list(lender_text(lender.get("address_lines", []), language)),
        "phone": lender.get("phone", ""),
        "email": lender.get("email", ""),
        "licence": lender_text(lender.get("licence", ""), language),
        "signatory_name": lender_text(lender.get("signatory_name", ""), language),
        "signatory_title": lender_text(lender.get("signatory_title", ""), language),
        "law_firm": lender_text(lender.get("law_firm", ""), language),
    }


def payment_channels(language: str, reference: str) -> list[dict]:
    """The lender's designated payment channels, the case number filled into each instruction."""
    return [
        {
            "name": lender_text(channel.get("name", ""), language),
            "instructions": lender_text(channel.get("instructions", ""), language).replace("{reference}", reference),
        }
        for channel in settings.ARREARS_LENDER.get("payment_channels", [])
    ]


def letter_reference(case: Case, issued_on: datetime.date, kind: str | None = None) -> str:
    parts = [case.number, KIND_CODES.get(kind or "", ""), f"{issued_on:%Y%m%d}"]
    return "/".join(part for part in parts if part)


def _address_lines(borrower, points: list[ContactPoint]) -> list[str]:
    for point in points:
        lines = [line.strip() for line in point.value.replace("\r", "").split("\n") if line.strip()]
        if lines:
            return lines
    # No postal address on file: the place the lender's core system sent.
    place = " ".join(part for part in (borrower.province, borrower.city, borrower.district) if part)
    return [place] if place else []


def _arrangement_data(arrangement: Arrangement | None) -> dict | None:
    if arrangement is None:
        return None
    return {
        "kind": arrangement.kind,
        "status": arrangement.status,
        "total_to_pay": arrangement.total_to_pay,
        "concession": arrangement.concession,
        "balance_at_start": arrangement.balance_at_start,
        "installments": [
            {"number": item.number, "due_on": item.due_on, "amount": item.amount}
            for item in arrangement.installments.all()
        ],
    }


def letter_context(
    *, case: Case, issued_on: datetime.date, language: str, deadline_days: int = 14, kind: str | None = None
) -> dict:
    """
    The whole plain-data context of a letter to `case`'s borrower, dated
    `issued_on`, in `language`; `kind` only adds its code to the reference.
    """
    borrower = case.borrower
    memberships = getattr(case, "letter_memberships", None)
    if memberships is None:
        memberships = list(_memberships_current().filter(case=case))
    accounts = [membership.account for membership in memberships]
    points = _postal_points(borrower)
    arrangements = getattr(case, "letter_arrangements", None)
    if arrangements is None:
        arrangement = _arrangements_open().filter(case=case).first()
    else:
        arrangement = arrangements[0] if arrangements else None

    if accounts:
        amounts = {
            "principal": sum((a.overdue_principal for a in accounts), ZERO),
            "interest": sum((a.overdue_interest for a in accounts), ZERO),
            "penalty": sum((a.overdue_penalty for a in accounts), ZERO),
            "fees": sum((a.overdue_fees for a in accounts), ZERO),
            "outstanding": sum((a.outstanding_balance for a in accounts), ZERO),
        }
        oldest_due_on = min((a.oldest_unpaid_due_on for a in accounts if a.oldest_unpaid_due_on), default=None)
        days_past_due = max(a.days_past_due for a in accounts)
        currency = accounts[0].product.currency
    else:
        # A closed case has no account left in it: the figures the nightly run last wrote on the case.
        amounts = {
            "principal": case.overdue_principal,
            "interest": case.overdue_interest,
            "penalty": case.overdue_penalty,
            "fees": case.overdue_fees,
            "outstanding": case.outstanding_balance,
        }
        oldest_due_on = None
        days_past_due = case.days_past_due
        currency = case.currency
    amounts["total"] = amounts["principal"] + amounts["interest"] + amounts["penalty"] + amounts["fees"]

    deadline = issued_on + datetime.timedelta(days=deadline_days)
    settlement_arrangement = arrangement if arrangement and arrangement.kind == ArrangementKind.SETTLEMENT else None
    if settlement_arrangement is not None:
        settlement_amount = settlement_arrangement.total_to_pay
    else:
        # The standing offer: the balance with the penalty and fees waived.
        settlement_amount = max(amounts["outstanding"] - amounts["penalty"] - amounts["fees"], ZERO)
    paid_off = case.is_closed and amounts["outstanding"] <= ZERO
    reference = letter_reference(case, issued_on, kind)
    lender = settings.ARREARS_LENDER

    return {
        "borrower": {
            "name": borrower.name,
            "address_lines": _address_lines(borrower, points),
            "city": borrower.city,
        },
        "reference": reference,
        "case_number": case.number,
        "account_numbers": [account.external_id for account in accounts],
        "accounts": [
            {
                "number": account.external_id,
                "product": account.product.name,
                "overdue": account.overdue_total,
                "outstanding": account.outstanding_balance,
                "days_past_due": account.days_past_due,
            }
            for account in accounts
        ],
        "amounts": amounts,
        "currency": currency,
        "days_past_due": days_past_due,
        "oldest_due_on": oldest_due_on,
        "deadline": deadline,
        "deadline_days": deadline_days,
        "issued_on": issued_on,
        "today": lender_today(),
        "payment_channels": payment_channels(language, case.number),
        "lender": lender_particulars(language),
        "arrangement": _arrangement_data(arrangement),
        "settlement": {
            "amount": settlement_amount,
            "waived": max(amounts["outstanding"] - settlement_amount, ZERO),
            "valid_until": deadline,
        },
        "payoff": {
            "is_paid_off": paid_off,
            "paid_off_on": case.closed_on if paid_off else None,
            "amount": ZERO if paid_off else amounts["outstanding"],
        },
        "assignment": {
            "assignee_name": lender_text(lender.get("assignee_name", ""), language),
            "assigned_on": issued_on,
        },
    }


def _installments_ordered():
    return ArrangementInstallment.objects.order_by("number")


def _memberships_current():
    memberships = CaseAccount.objects.filter(left_on__isnull=True).select_related("account__product")
    return memberships.order_by("joined_on", "id")


def _arrangements_open():
    return (
        Arrangement.objects.filter(status__in=OPEN_ARRANGEMENT)
        .prefetch_related(Prefetch("installments", queryset=_installments_ordered()))
        .order_by("-requested_at", "-id")
    )


POSTAL_KINDS = (ContactPoint.Kind.HOME_ADDRESS, ContactPoint.Kind.WORK_ADDRESS)


def _postal_points(borrower) -> list[ContactPoint]:
    """The borrower's own postal addresses, the primary first; from the prefetched contact points when there are."""
    prefetched = getattr(borrower, "_prefetched_objects_cache", {}).get("contact_points")
    if prefetched is None:
        return list(
            ContactPoint.objects.filter(
                borrower_id=borrower.pk, owner=ContactPoint.Owner.BORROWER, kind__in=POSTAL_KINDS
            ).order_by("-is_primary", "kind", "id")
        )
    own = ContactPoint.Owner.BORROWER
    points = [point for point in prefetched if point.owner == own and point.kind in POSTAL_KINDS]
    return sorted(points, key=lambda point: (not point.is_primary, point.kind, point.pk))


def letter_context_prefetches() -> tuple[Prefetch, ...]:
    """
    What letter_context reads of a case, as prefetches for Case querysets: a
    batch reads them for its whole chunk in a few queries, not three a letter.
    (With the borrower's contact points prefetched too, the addresses come from them.)
    """
    return (
        Prefetch("case_accounts", queryset=_memberships_current(), to_attr="letter_memberships"),
        Prefetch("arrangements", queryset=_arrangements_open(), to_attr="letter_arrangements"),
    )


def letter_preview_case(user, case_number: str = ""):
    """
    The case a preview is drawn from: the one `case_number` names if the user
    may see it, else (no number given) an open case they may see; None if none.
    """
    from collection.selectors.cases import cases_visible_to

    cases = cases_visible_to(user, Case.objects.select_related("borrower"))
    if case_number.strip():
        case_id = case_id_from_number(case_number)
        return cases.filter(pk=case_id).first() if case_id else None
    has_accounts = Q(case_accounts__left_on__isnull=True)
    return cases.filter(has_accounts).exclude(status=CaseStatus.CLOSED).order_by("id").first()


def letter_sample_context(*, language: str, issued_on: datetime.date | None = None) -> dict:
    """
    A context of the same shape as letter_context with invented figures: what a
    template is test-rendered against when it is saved, so a filter given the
    wrong kind of value or an unknown key is caught before any letter is made.
    """
    issued_on = issued_on or lender_today()
    deadline = issued_on + datetime.timedelta(days=14)
    amounts = {
        "principal": Decimal("1000.00"),
        "interest": Decimal("12.50"),
        "penalty": Decimal("8.00"),
        "fees": Decimal("30.00"),
        "outstanding": Decimal("6075.00"),
    }
    amounts["total"] = amounts["principal"] + amounts["interest"] + amounts["penalty"] + amounts["fees"]
    number = "C-2026-000123"
    return {
        "borrower": {"name": "Wang Fang", "address_lines": ["1 Sample Road", "Hangzhou"], "city": "Hangzhou"},
        "reference": f"{number}/FD/{issued_on:%Y%m%d}",
        "case_number": number,
        "account_numbers": ["ACC-100045"],
        "accounts": [
            {
                "number": "ACC-100045",
                "product": "Pay later",
                "overdue": amounts["total"],
                "outstanding": amounts["outstanding"],
                "days_past_due": 45,
            }
        ],
        "amounts": amounts,
        "currency": "CNY",
        "days_past_due": 45,
        "oldest_due_on": issued_on - datetime.timedelta(days=45),
        "deadline": deadline,
        "deadline_days": 14,
        "issued_on": issued_on,
        "today": issued_on,
        "payment_channels": payment_channels(language, number),
        "lender": lender_particulars(language),
        "arrangement": {
            "kind": ArrangementKind.REPAYMENT_PLAN.value,
            "status": ArrangementStatus.ACTIVE.value,
            "total_to_pay": amounts["outstanding"],
            "concession": ZERO,
            "balance_at_start": amounts["outstanding"],
            "installments": [
                {"number": n, "due_on": issued_on + datetime.timedelta(days=30 * n), "amount": Decimal("2025.00")}
                for n in (1, 2, 3)
            ],
        },
        "settlement": {"amount": Decimal("6037.00"), "waived": Decimal("38.00"), "valid_until": deadline},
        "payoff": {"is_paid_off": True, "paid_off_on": issued_on, "amount": ZERO},
        "assignment": {
            "assignee_name": lender_text(settings.ARREARS_LENDER.get("assignee_name", ""), language),
            "assigned_on": issued_on,
        },
    }
