"""Reads of lending data, scoped to what the asking user may see."""

from django.db.models import Prefetch, Q, QuerySet

from accounts.permissions import Capability, user_can
from lending.models import Borrower, ContactPoint, CreditAccount, Installment, Payment, PaymentAllocation


def borrowers_visible_to(user) -> QuerySet[Borrower]:
    """Every borrower for staff who may browse lending data; nobody else sees any."""
    if not user_can(user, Capability.VIEW_LENDING):
        return Borrower.objects.none()
    return Borrower.objects.all()


def borrower_search(*, user, query: str = "") -> QuerySet[Borrower]:
    """
    Find borrowers by what a collector has at hand: the borrower's or an
    account's external id, the national id, a phone number or e-mail, or the
    start of the name. Newest first without a query.
    """
    borrowers = borrowers_visible_to(user)
    query = query.strip()
    if query:
        # Each alternative is an indexed lookup; no join that would need DISTINCT.
        borrowers = borrowers.filter(
            Q(external_id=query)
            | Q(national_id=query)
            | Q(name__startswith=query)
            | Q(id__in=CreditAccount.objects.filter(external_id=query).values("borrower_id"))
            | Q(id__in=ContactPoint.objects.filter(value=query).values("borrower_id"))
        )
    return borrowers.order_by("-id")


def accounts_visible_to(user) -> QuerySet[CreditAccount]:
    if not user_can(user, Capability.VIEW_LENDING):
        return CreditAccount.objects.none()
    return CreditAccount.objects.select_related("product", "borrower")


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
        "limit_changes__actor",
    )
