"""
Reads of lending data, scoped to what the asking user may see.

Lending knows nothing of the apps to its right, yet they decide which
borrowers a collector may open (those of the cases they may see). So such an
app registers a borrower scope at start-up (`borrower_scope_register`, in its
AppConfig.ready()): a function `(user, borrowers) -> borrowers` that narrows
the borrowers a user sees. Every read below goes through all of them.
"""

from collections.abc import Callable

from django.db.models import Prefetch, Q, QuerySet

from accounts.permissions import Capability, user_can
from lending.masking import sees_full_personal_data
from lending.models import (
    Borrower,
    ContactPoint,
    CreditAccount,
    CreditLimitChange,
    Installment,
    Payment,
    PaymentAllocation,
)

BorrowerScope = Callable[[object, QuerySet[Borrower]], QuerySet[Borrower]]

_borrower_scopes: dict[str, BorrowerScope] = {}


def borrower_scope_register(key: str, scope: BorrowerScope) -> None:
    """Narrow the borrowers every lending read shows a user; `key` makes registering twice harmless."""
    _borrower_scopes[key] = scope


def borrowers_visible_to(user) -> QuerySet[Borrower]:
    """The borrowers of staff who may browse lending data, narrowed by every registered scope."""
    if not user_can(user, Capability.VIEW_LENDING):
        return Borrower.objects.none()
    borrowers = Borrower.objects.all()
    for scope in _borrower_scopes.values():
        borrowers = scope(user, borrowers)
    return borrowers


def search_by_personal_data_allowed(user) -> bool:
    """Only who sees national ids and phones whole may look a borrower up by them (and is audited)."""
    return sees_full_personal_data(user)


def borrower_search(*, user, query: str = "") -> QuerySet[Borrower]:
    """
    Find borrowers by what a collector has at hand: the borrower's or an
    account's external id, or the start of the name; staff who see personal
    data whole also by the national id, a phone number or e-mail (for anyone
    else a guessed national id or phone must confirm nothing). Newest first
    without a query.
    """
    borrowers = borrowers_visible_to(user)
    query = query.strip()
    if query:
        # Each alternative is an indexed lookup; no join that would need DISTINCT.
        match = (
            Q(external_id=query)
            | Q(name__startswith=query)
            | Q(id__in=CreditAccount.objects.filter(external_id=query).values("borrower_id"))
        )
        if search_by_personal_data_allowed(user):
            match |= Q(national_id=query) | Q(id__in=ContactPoint.objects.filter(value=query).values("borrower_id"))
        borrowers = borrowers.filter(match)
    return borrowers.order_by("-id")


def accounts_visible_to(user) -> QuerySet[CreditAccount]:
    """The accounts of the borrowers the user may see."""
    if not user_can(user, Capability.VIEW_LENDING):
        return CreditAccount.objects.none()
    accounts = CreditAccount.objects.select_related("product", "borrower")
    if _borrower_scopes:
        accounts = accounts.filter(borrower__in=borrowers_visible_to(user))
    return accounts


def borrowers_with_details(*, user) -> QuerySet[Borrower]:
    """Borrowers with their contact points and accounts: three queries for one borrower."""
    return borrowers_visible_to(user).prefetch_related(
        "contact_points",
        Prefetch("accounts", queryset=CreditAccount.objects.select_related("product").order_by("opened_on")),
    )


def accounts_with_details(*, user) -> QuerySet[CreditAccount]:
    """Accounts with their schedule, payments (and what each paid) and limit history."""
    return accounts_visible_to(user).prefetch_related(
        Prefetch("installments", queryset=Installment.objects.order_by("due_on", "number")),
        Prefetch(
            "payments",
            queryset=Payment.objects.order_by("-received_at", "-id").prefetch_related(
                Prefetch(
                    "allocations",
                    queryset=PaymentAllocation.objects.select_related("installment").order_by(
                        "installment__due_on", "installment__number", "id"
                    ),
                )
            ),
        ),
        Prefetch("limit_changes", queryset=CreditLimitChange.objects.select_related("actor", "delivery")),
        "line_restrictions",
    )
