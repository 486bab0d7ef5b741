"""
Commission through the real placement and recall services (part A): a case
placed, paid while placed from two channels, recalled, paid again, a payment
reversed; the sweep and the month's statement see exactly the agency's part.
"""

import datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.utils import timezone

from collection.agencies.commission import batch_collected, commission_lines_attribute
from collection.agencies.placement import cases_place
from collection.agencies.recall import placement_recall
from collection.agencies.statements import statement_generate
from collection.models import CommissionKind, CommissionLine, RecallReason
from lending.models import Payment
from lending.services.calendar import lender_today
from tests.collection.agencies.commission_factories import paid, reversed_at
from tests.collection.agencies.factories import AgencyContractFactory
from tests.collection.factories import case_in_arrears

pytestmark = pytest.mark.django_db

SHANGHAI = ZoneInfo("Asia/Shanghai")


def test_placed_paid_recalled_paid_reversed(manager):
    with time_machine.travel(datetime.datetime(2026, 3, 10, 9, 0, tzinfo=SHANGHAI), tick=False) as clock:
        contract = AgencyContractFactory(tiers=[("M1", "0.0800"), ("", "0.1500")], flat_fee_per_case=Decimal("12.00"))
        case = case_in_arrears(days_past_due=20)
        before = paid_on_case(case, "30.00")
        clock.shift(datetime.timedelta(hours=1))
        batch = cases_place(case_ids=[case.pk], agency=contract.agency, actor=manager)
        clock.shift(datetime.timedelta(days=2))
        app = paid_on_case(case, "100.00")
        agency = paid_on_case(case, "50.00", Payment.Channel.AGENCY)
        clock.shift(datetime.timedelta(days=2))
        placement_recall(placement=batch.placements.get(), reason=RecallReason.MANUAL, actor=manager, note="Back")
        clock.shift(datetime.timedelta(hours=1))
        after = paid_on_case(case, "40.00")
        clock.shift(datetime.timedelta(minutes=5))

        assert commission_lines_attribute() == 2
        clock.shift(datetime.timedelta(days=1))
        reversed_at(agency, timezone.now())
        clock.shift(datetime.timedelta(minutes=5))  # the next sweep
        assert commission_lines_attribute() == 1
        statement = statement_generate(agency=contract.agency, month=lender_today(), actor=manager)

    lines = CommissionLine.objects.order_by("id")
    assert [(line.payment_id, line.kind, line.commission) for line in lines] == [
        (app.pk, CommissionKind.PAYMENT, Decimal("8.00")),
        (agency.pk, CommissionKind.PAYMENT, Decimal("4.00")),
        (agency.pk, CommissionKind.CLAWBACK, Decimal("-4.00")),
    ]
    assert not CommissionLine.objects.filter(payment__in=[before, after]).exists()
    assert batch_collected(batch)["collected"] == Decimal("100.00")

    assert (statement.line_count, statement.total_collected, statement.total_commission) == (
        3,
        Decimal("100.00"),
        Decimal("8.00"),
    )
    assert statement.flat_fees == Decimal("12.00")  # one case placed this month
    assert statement.total_due == Decimal("20.00")


def paid_on_case(case, amount, channel=Payment.Channel.APP):
    """A payment on the case's account received now."""
    return paid(None, amount, timezone.now(), channel=channel, account=case.case_accounts.get().account)
