"""Factories for collection: a case over a delinquent account, its contacts, promises and holds."""

import datetime
from decimal import Decimal

import factory
from django.utils import timezone

from collection.models import (
    AnsweredBy,
    Case,
    CaseAccount,
    Channel,
    ContactAttempt,
    Hold,
    HoldKind,
    Outcome,
    Portfolio,
    PromiseToPay,
)
from tests.lending.factories import BorrowerFactory, ContactPointFactory, account_with_schedule


class PortfolioFactory(factory.django.DjangoModelFactory):
    """The default portfolio (a data migration makes one; transactional tests flush it)."""

    class Meta:
        model = Portfolio
        django_get_or_create = ("code",)

    code = "default"
    name = "Default portfolio"
    jurisdiction = "cn"
    is_default = True


class CaseFactory(factory.django.DjangoModelFactory):
    """An open case with no accounts; use `case_in_arrears` for a case over a real overdue account."""

    class Meta:
        model = Case

    borrower = factory.SubFactory(BorrowerFactory)
    portfolio = factory.SubFactory(PortfolioFactory)
    opened_on = datetime.date(2026, 3, 1)
    days_past_due = 15
    bucket = "M1"
    overdue_principal = Decimal("1000.00")
    overdue_interest = Decimal("12.50")
    overdue_total = Decimal("1012.50")
    outstanding_balance = Decimal("6075.00")
    currency = "CNY"


def case_in_arrears(*, days_past_due=15, opened_on=None, collector=None, team=None, **case_fields) -> Case:
    """
    A borrower with a mobile (consent to SMS), a six-month account whose first
    installment is `days_past_due` days overdue today, and an open case over it.
    """
    today = timezone.localdate()
    first_due = today - datetime.timedelta(days=days_past_due)
    borrower = case_fields.pop("borrower", None) or BorrowerFactory()
    ContactPointFactory(borrower=borrower)
    opened = first_due - datetime.timedelta(days=31)
    account = account_with_schedule(borrower=borrower, opened_on=opened)
    # Move the schedule so the first installment falls due exactly `days_past_due` days ago.
    for installment in account.installments.order_by("number"):
        installment.due_on = first_due + datetime.timedelta(days=30 * (installment.number - 1))
        installment.save(update_fields=["due_on"])
    account.days_past_due = days_past_due
    account.oldest_unpaid_due_on = first_due
    account.overdue_principal = Decimal("1000.00")
    account.overdue_interest = Decimal("12.50")
    account.outstanding_balance = Decimal("6075.00")
    account.save()
    case = CaseFactory(
        borrower=borrower,
        opened_on=opened_on or first_due + datetime.timedelta(days=1),
        days_past_due=days_past_due,
        assigned_to=collector,
        team=team if team is not None else getattr(collector, "team", None),
        **case_fields,
    )
    CaseAccount.objects.create(case=case, account=account, joined_on=case.opened_on)
    return case


class ContactAttemptFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ContactAttempt

    case = factory.SubFactory(CaseFactory)
    borrower = factory.LazyAttribute(lambda contact: contact.case.borrower)
    channel = Channel.CALL
    answered_by = AnsweredBy.BORROWER
    outcome = Outcome.RIGHT_PARTY_CONTACT
    occurred_at = factory.LazyFunction(timezone.now)


class PromiseToPayFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = PromiseToPay

    case = factory.SubFactory(CaseFactory)
    amount = Decimal("500.00")
    currency = "CNY"
    due_on = factory.LazyFunction(lambda: timezone.localdate() + datetime.timedelta(days=3))
    created_at = factory.LazyFunction(timezone.now)


class HoldFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Hold

    case = factory.SubFactory(CaseFactory)
    kind = HoldKind.DISPUTE
    started_at = factory.LazyFunction(timezone.now)
