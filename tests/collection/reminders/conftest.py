"""
Reminder fixtures: a borrower reachable by SMS (a primary, verified mobile
that consents) with an account whose one installment falls due on a given
day, in a given zone.
"""

import datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest

from tests.lending.factories import BorrowerFactory, ContactPointFactory, CreditAccountFactory, InstallmentFactory

SHANGHAI = ZoneInfo("Asia/Shanghai")
NEW_YORK = ZoneInfo("America/New_York")
DUE = datetime.date(2026, 3, 20)


def reminder_account(
    *,
    due_on=DUE,
    time_zone="Asia/Shanghai",
    province="上海市",
    verified=True,
    email=False,
    product=None,
    **account_fields,
):
    """An active account with one unpaid installment due `due_on`; its borrower's mobile is primary and verified."""
    borrower = BorrowerFactory(time_zone=time_zone, province=province)
    ContactPointFactory(borrower=borrower, is_verified=verified, consent_sms=True)
    if email:
        ContactPointFactory(
            borrower=borrower, kind="email", value=f"{borrower.external_id}@mail.example", consent_email=True
        )
    if product is not None:
        account_fields["product"] = product
    account = CreditAccountFactory(borrower=borrower, **account_fields)
    InstallmentFactory(account=account, number=1, due_on=due_on, principal_due=Decimal("500.00"))
    return account


@pytest.fixture
def shanghai_account(db):
    return reminder_account()


@pytest.fixture
def new_york_account(db):
    return reminder_account(time_zone="America/New_York", province="New York")


@pytest.fixture(autouse=True)
def message_templates(db):
    """A current text for every message kind, channel and language (the defaults' own, where installed)."""
    from django.utils import timezone

    from collection.models import MESSAGE_CHANNELS, MessageKind, MessageTemplate, MessageTemplateVersion

    for kind in MessageKind.values:
        for channel in MESSAGE_CHANNELS:
            for language in ("en", "zh-hans"):
                template, _ = MessageTemplate.objects.get_or_create(channel=channel, kind=kind, language=language)
                if template.current_version_id is None:
                    template.current_version = MessageTemplateVersion.objects.create(
                        template=template,
                        number=1,
                        subject="Your installment" if channel == "email" else "",
                        body="Your installment is due. Pay in the app.",
                        created_at=timezone.now(),
                    )
                    template.save(update_fields=["current_version"])
