"""
Commission: the tier in force (by bucket at placement, by days since
placement), payments attributed while a case is placed and only then, from any
channel, the clawback of a reversed payment, and a sweep that is idempotent.
"""

import datetime
from decimal import Decimal

import pytest
from django.conf import settings
from django.utils import timezone

from collection.agencies.commission import (
    batch_collected,
    commission_lines_attribute,
    commission_lines_sweep,
    commission_of,
    tier_for,
    tier_text,
)
from collection.models import CommissionKind, CommissionLine, CommissionTier, TierBasis
from collection.nightly.steps import nightly_steps
from collection.tasks import commission_attribute_task
from lending.models import Payment
from lending.services.calendar import local_date
from tests.collection.agencies.commission_factories import paid, placed_at, recalled, reversed_at
from tests.collection.agencies.factories import AgencyContractFactory, placed_case

pytestmark = pytest.mark.django_db

DAYS_TIERS = [(0, 30, "0.0500"), (31, 60, "0.1000"), (61, None, "0.2000")]


def ago(**delta) -> datetime.datetime:
    return timezone.now() - datetime.timedelta(**delta)


def lines_of(payment, kind=None):
    lines = CommissionLine.objects.filter(payment=payment)
    return lines.filter(kind=kind) if kind else lines


# --- Tiers ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("bucket", "expected"),
    [
        ("M1", (Decimal("0.1000"), "bucket:M1")),
        ("M3", (Decimal("0.1000"), "bucket:M3")),
        ("M4", (Decimal("0.2000"), "bucket:other")),
        ("M7", (Decimal("0.2000"), "bucket:other")),
    ],
)
def test_a_bucket_tier_is_the_bucket_at_placement_else_the_any_other_tier(bucket, expected):
    placement = placed_case(bucket=bucket)

    assert tier_for(placement=placement, on=placement.placed_on) == expected
    # The bucket at placement decides, not the case's bucket today.
    placement.case.bucket = "M6"
    assert tier_for(placement=placement, on=placement.placed_on + datetime.timedelta(days=80)) == expected


def test_no_bucket_tier_and_no_any_other_tier_is_rate_zero_tier_none():
    contract = AgencyContractFactory(tiers=[("M1", "0.1000")])
    placement = placed_case(contract=contract, bucket="M5")

    assert tier_for(placement=placement, on=placement.placed_on) == (Decimal("0"), "none")


@pytest.mark.parametrize(
    ("days", "rate", "code"),
    [
        (0, "0.0500", "days:0-30"),
        (30, "0.0500", "days:0-30"),
        (31, "0.1000", "days:31-60"),
        (60, "0.1000", "days:31-60"),
        (61, "0.2000", "days:61+"),
        (400, "0.2000", "days:61+"),
    ],
)
def test_a_days_tier_covers_its_from_and_to_days_inclusive(days, rate, code):
    contract = AgencyContractFactory(tier_basis=TierBasis.DAYS_PLACED, tiers=DAYS_TIERS)
    placement = placed_case(contract=contract)

    on = placement.placed_on + datetime.timedelta(days=days)

    assert tier_for(placement=placement, on=on) == (Decimal(rate), code)


def test_a_day_no_days_tier_covers_is_rate_zero():
    contract = AgencyContractFactory(tier_basis=TierBasis.DAYS_PLACED, tiers=[(0, 30, "0.05"), (45, 90, "0.1")])
    placement = placed_case(contract=contract)

    assert tier_for(placement=placement, on=placement.placed_on + datetime.timedelta(days=40)) == (Decimal("0"), "none")
    assert tier_for(placement=placement, on=placement.placed_on + datetime.timedelta(days=91)) == (Decimal("0"), "none")


def test_tier_codes_read_for_the_reader():
    assert [tier_text(code) for code in ("bucket:M2", "bucket:other", "days:31-60", "days:61+", "none")] == [
        "M2",
        "Other buckets",
        "Days 31–60",
        "Day 61 on",
        "No tier",
    ]


def test_commission_rounds_half_up_to_the_cent():
    assert commission_of(Decimal("12.25"), Decimal("0.1000")) == Decimal("1.23")  # half-even would give 1.22
    assert commission_of(Decimal("33.35"), Decimal("0.1500")) == Decimal("5.00")
    assert commission_of(Decimal("0.05"), Decimal("0.1000")) == Decimal("0.01")


# --- Attribution -----------------------------------------------------------------


def test_a_payment_while_placed_gets_one_line_at_the_tier_in_force():
    placement = placed_at(ago(days=5), bucket="M2")
    payment = paid(placement, "12.25", ago(days=2))

    assert commission_lines_attribute() == 1

    line = lines_of(payment).get()
    assert (line.kind, line.placement, line.agency_id) == (CommissionKind.PAYMENT, placement, placement.agency_id)
    assert (line.amount, line.rate, line.commission, line.tier) == (
        Decimal("12.25"),
        Decimal("0.1000"),
        Decimal("1.23"),
        "bucket:M2",
    )
    assert (line.occurred_at, line.currency, line.statement) == (payment.received_at, "CNY", None)


def test_a_days_tier_is_the_one_in_force_on_the_day_the_payment_was_received():
    contract = AgencyContractFactory(tier_basis=TierBasis.DAYS_PLACED, tiers=DAYS_TIERS)
    placement = placed_at(ago(days=80), contract=contract, days_past_due=100)
    early = paid(placement, "100.00", placement.placed_at + datetime.timedelta(days=10))
    middle = paid(placement, "100.00", placement.placed_at + datetime.timedelta(days=40))
    late = paid(placement, "100.00", placement.placed_at + datetime.timedelta(days=70))

    commission_lines_attribute()

    assert [lines_of(p).get().commission for p in (early, middle, late)] == [
        Decimal("5.00"),
        Decimal("10.00"),
        Decimal("20.00"),
    ]


def test_a_payment_before_the_placement_is_not_the_agencys():
    placement = placed_at(ago(days=5))
    before = paid(placement, "50.00", placement.placed_at - datetime.timedelta(seconds=1))
    at_placement = paid(placement, "60.00", placement.placed_at)

    assert commission_lines_attribute() == 1
    assert not lines_of(before).exists()
    assert lines_of(at_placement).get().amount == Decimal("60.00")


def test_a_payment_after_the_recall_is_not_the_agencys():
    placement = placed_at(ago(days=10))
    during = paid(placement, "50.00", ago(days=6))
    recall_moment = ago(days=4)
    recalled(placement, recall_moment)
    at_recall = paid(placement, "60.00", recall_moment)
    after = paid(placement, "70.00", ago(days=1))

    assert commission_lines_attribute() == 1
    assert lines_of(during).exists()
    assert not lines_of(at_recall).exists()
    assert not lines_of(after).exists()


def test_a_payment_received_during_the_placement_counts_when_recorded_after_the_recall():
    placement = placed_at(ago(days=10))
    recalled(placement, ago(days=4))
    late_record = paid(placement, "80.00", ago(days=6))  # received while placed, reaches us after the recall

    commission_lines_attribute()

    assert lines_of(late_record).get().placement == placement


def test_placed_again_with_another_agency_the_payment_is_the_new_placements():
    first = placed_at(ago(days=10))
    first_payment = paid(first, "10.00", ago(days=9))
    recalled(first, ago(days=6))
    second = placed_at(ago(days=5), case=first.case)
    second_payment = paid(second, "20.00", ago(days=3))

    commission_lines_attribute()

    assert lines_of(first_payment).get().agency == first.agency
    assert lines_of(second_payment).get().agency == second.agency
    assert first.agency != second.agency


@pytest.mark.parametrize("channel", Payment.Channel.values)
def test_a_payment_from_any_channel_counts(channel):
    placement = placed_at(ago(days=5))
    payment = paid(placement, "40.00", ago(days=1), channel=channel)

    commission_lines_attribute()

    assert lines_of(payment).get().commission == Decimal("4.00")


def test_a_payment_on_an_account_that_had_left_the_case_is_not_the_agencys():
    placement = placed_at(ago(days=5))
    member = placement.case.case_accounts.get()
    member.left_on = local_date(ago(days=3))
    member.save(update_fields=["left_on"])
    payment = paid(placement, "40.00", ago(days=1))

    assert commission_lines_attribute() == 0
    assert not lines_of(payment).exists()


def test_payments_after_until_wait_for_a_later_sweep():
    placement = placed_at(ago(days=5))
    payment = paid(placement, "40.00", ago(days=1))

    assert commission_lines_attribute(until=ago(days=2)) == 0
    assert commission_lines_attribute() == 1
    assert lines_of(payment).exists()


def test_the_sweep_twice_writes_nothing_the_second_time():
    placement = placed_at(ago(days=5))
    paid(placement, "40.00", ago(days=2))
    reversed_at(paid(placement, "30.00", ago(days=2)), ago(days=1))
    # The reversed payment was never attributed before its reversal: it gets no line, so nothing to claw back.

    first = commission_lines_sweep()
    second = commission_lines_sweep()

    assert first == {"commission_lines": 1, "commission_clawbacks": 0}
    assert second == {"commission_lines": 0, "commission_clawbacks": 0}
    assert CommissionLine.objects.count() == 1


def test_the_sweep_is_set_based_its_queries_do_not_grow_with_the_payments(django_assert_max_num_queries):
    contract = AgencyContractFactory()
    for index in range(12):
        placement = placed_at(ago(days=5), contract=contract)
        paid(placement, "10.00", ago(days=2 + index % 2))

    with django_assert_max_num_queries(8):
        assert commission_lines_attribute() == 12


# --- Clawback -------------------------------------------------------------------


def test_a_reversed_payment_claws_back_exactly_its_commission():
    placement = placed_at(ago(days=10), bucket="M2")
    payment = paid(placement, "12.25", ago(days=5))
    commission_lines_attribute()
    # The contract's rate changes afterwards: the clawback negates what was paid, it does not recompute.
    CommissionTier.objects.filter(contract=placement.contract).update(rate=Decimal("0.5"))
    payment = reversed_at(payment, ago(days=1))

    assert commission_lines_attribute() == 1

    original = lines_of(payment, CommissionKind.PAYMENT).get()
    clawback = lines_of(payment, CommissionKind.CLAWBACK).get()
    assert (clawback.amount, clawback.commission) == (-original.amount, -original.commission)
    assert (clawback.amount, clawback.commission) == (Decimal("-12.25"), Decimal("-1.23"))
    assert (clawback.rate, clawback.tier, clawback.placement, clawback.agency) == (
        original.rate,
        original.tier,
        placement,
        placement.agency,
    )
    assert clawback.occurred_at == payment.reversed_at
    assert commission_lines_attribute() == 0
    assert lines_of(payment).count() == 2


def test_a_payment_reversed_after_the_recall_is_still_clawed_back():
    placement = placed_at(ago(days=10))
    payment = paid(placement, "100.00", ago(days=8))
    commission_lines_attribute()
    recalled(placement, ago(days=5))

    reversed_at(payment, ago(days=2))
    commission_lines_attribute()

    assert lines_of(payment, CommissionKind.CLAWBACK).get().commission == Decimal("-10.00")


# --- Wiring -----------------------------------------------------------------------


def test_the_nightly_step_runs_after_lending_and_the_lifecycle():
    names = [step.name for step in nightly_steps()]

    assert names.index("lending") < names.index("lifecycle") < names.index("commission")


def test_the_nightly_step_sweeps_up_to_the_end_of_its_day():
    from collection.agencies.commission import commission_nightly_step

    placement = placed_at(ago(days=5))
    payment = paid(placement, "40.00", ago(days=1))

    assert commission_nightly_step(local_date(ago(days=3))) == {"commission_lines": 0, "commission_clawbacks": 0}
    assert commission_nightly_step(local_date(timezone.now())) == {"commission_lines": 1, "commission_clawbacks": 0}
    assert lines_of(payment).exists()


def test_the_task_sweeps_and_beat_runs_it_every_five_minutes_on_the_default_queue():
    placement = placed_at(ago(days=5))
    paid(placement, "40.00", ago(days=1))

    assert commission_attribute_task() == 1
    assert commission_attribute_task() == 0
    entry = settings.CELERY_BEAT_SCHEDULE["commission-attribute"]
    assert entry == {
        "task": "collection.tasks.commission_attribute_task",
        "schedule": 300,
        "options": {"queue": "default"},
    }


def test_a_batch_collected_net_of_clawbacks():
    placement = placed_at(ago(days=10))
    neighbour = placed_at(ago(days=10), batch=placement.batch, contract=placement.contract)
    paid(placement, "100.00", ago(days=8))
    paid(neighbour, "50.00", ago(days=8))
    reversed_payment = paid(placement, "20.00", ago(days=5))
    commission_lines_attribute()
    reversed_at(reversed_payment, ago(days=4))
    commission_lines_attribute()

    totals = batch_collected(placement.batch)

    assert totals == {
        "collected": Decimal("150.00"),
        "commission": Decimal("15.00"),
        "payments": 3,
        "clawbacks": 1,
        "currency": "CNY",
    }
