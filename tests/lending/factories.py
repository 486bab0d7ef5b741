"""Factories for lending data: products, borrowers, accounts with their schedules."""

import datetime
from decimal import Decimal

import factory

from lending.models import Borrower, ContactPoint, CreditAccount, CreditProduct, Installment
from lending.phones import borrower_number_e164
from lending.services.marks import PHONE_KINDS


def add_months(day: datetime.date, months: int) -> datetime.date:
    """The same day of the month `months` later, clamped to the month's last day."""
    month_index = day.month - 1 + months
    year, month = day.year + month_index // 12, month_index % 12 + 1
    for candidate in (day.day, 30, 29, 28):
        try:
            return datetime.date(year, month, min(day.day, candidate))
        except ValueError:
            continue
    raise ValueError(day)


class CreditProductFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = CreditProduct
        django_get_or_create = ("code",)

    code = factory.Sequence(lambda n: f"inst-6m-{n}")
    name = "6-month installments"
    kind = CreditProduct.Kind.INSTALLMENT
    currency = "CNY"
    annual_interest_rate = Decimal("0.1500")
    daily_penalty_rate = Decimal("0.000500")
    late_fee = Decimal("30.00")
    grace_days = 3
    charges_cap_annual_rate = Decimal("0.2400")


class BorrowerFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Borrower
        django_get_or_create = ("external_id",)

    external_id = factory.Sequence(lambda n: f"B{n:08d}")
    name = factory.Faker("name", locale="zh_CN")
    national_id = factory.Sequence(lambda n: f"110101199001{n:06d}")
    date_of_birth = datetime.date(1990, 1, 1)
    province = "北京市"
    city = "北京市"
    district = "东城区"


class ContactPointFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ContactPoint

    external_id = factory.Sequence(lambda n: f"CP{n:08d}")
    borrower = factory.SubFactory(BorrowerFactory)
    kind = ContactPoint.Kind.MOBILE
    value = factory.Sequence(lambda n: f"138{n:08d}")
    # As intake stores it: the number in E.164, read in the borrower's country.
    number_e164 = factory.LazyAttribute(
        lambda point: borrower_number_e164(point.value, point.borrower) if point.kind in PHONE_KINDS else ""
    )
    is_primary = True
    consent_sms = True


class CreditAccountFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = CreditAccount
        django_get_or_create = ("external_id",)

    external_id = factory.Sequence(lambda n: f"A{n:08d}")
    borrower = factory.SubFactory(BorrowerFactory)
    product = factory.SubFactory(CreditProductFactory)
    opened_on = datetime.date(2026, 1, 15)
    credit_limit = Decimal("10000.00")
    available_credit = Decimal("4000.00")


class InstallmentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Installment

    account = factory.SubFactory(CreditAccountFactory)
    number = factory.Sequence(lambda n: n + 1)
    lent_on = factory.LazyAttribute(lambda installment: installment.account.opened_on)
    due_on = factory.LazyAttribute(lambda installment: add_months(installment.account.opened_on, installment.number))
    principal_due = Decimal("1000.00")
    interest_due = Decimal("12.50")


def account_with_schedule(*, months=6, principal=Decimal("1000.00"), interest=Decimal("12.50"), **account_fields):
    """An account with `months` monthly installments, the first due a month after it opened."""
    account = CreditAccountFactory(**account_fields)
    for number in range(1, months + 1):
        InstallmentFactory(
            account=account,
            number=number,
            due_on=add_months(account.opened_on, number),
            principal_due=principal,
            interest_due=interest,
        )
    return account
