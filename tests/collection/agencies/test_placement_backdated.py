"""A placement back-dated to an earlier day starts at the beginning of that day: the payments since are the agency's."""

import datetime

import pytest
from django.utils import timezone

from collection.agencies.commission import commission_lines_attribute
from collection.agencies.placement import cases_place
from collection.models import CommissionLine
from lending.services.calendar import LENDER_TZ
from tests.collection.agencies.commission_factories import paid
from tests.collection.agencies.placement_fixtures import agency, cases_of, contract  # noqa: F401

pytestmark = pytest.mark.django_db


def test_a_back_dated_placement_starts_at_the_beginning_of_its_day(agency, cases_of, manager):  # noqa: F811
    (case,) = cases_of(1)
    placed_on = timezone.localdate() - datetime.timedelta(days=10)
    batch = cases_place(case_ids=[case.pk], agency=agency, actor=manager, placed_on=placed_on)
    placement = batch.placements.get()
    assert placement.placed_at == datetime.datetime.combine(placed_on, datetime.time.min, tzinfo=LENDER_TZ)
    assert placement.recall_due_on == placed_on + datetime.timedelta(days=placement.contract.placement_days)
    # A payment received five days ago, after the back-dated start, is the agency's.
    paid(placement, "100.00", timezone.now() - datetime.timedelta(days=5))
    assert commission_lines_attribute() == 1
    assert CommissionLine.objects.get().placement == placement


def test_a_placement_of_today_starts_now(agency, cases_of, manager):  # noqa: F811
    (case,) = cases_of(1)
    before = timezone.now()
    placement = cases_place(case_ids=[case.pk], agency=agency, actor=manager).placements.get()
    assert before <= placement.placed_at <= timezone.now()
