"""The priority formula: its parts as the case page shows them, and the SQL twin the nightly run uses."""

import datetime
import itertools
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest

from collection.models import Case, CaseStatus
from collection.priority import priorities_refresh, priority_parts, priority_refresh, priority_score
from tests.collection.factories import CaseFactory

pytestmark = pytest.mark.django_db

D = datetime.date
UTC = datetime.UTC
SHANGHAI = ZoneInfo("Asia/Shanghai")
TODAY = D(2026, 3, 10)


def test_the_parts_show_each_figure_with_its_points():
    case = CaseFactory.build(
        overdue_total=Decimal("12345.60"),
        currency="CNY",
        days_past_due=45,
        broken_promises=2,
        last_contact_at=datetime.datetime(2026, 3, 5, 10, 0, tzinfo=SHANGHAI),
    )

    parts = priority_parts(case, today=TODAY)

    assert [(part.code, part.value, part.points) for part in parts] == [
        ("overdue_amount", "12,345.60 CNY", 180),
        ("days_past_due", "45", 45),
        ("broken_promises", "2", 100),
        ("days_since_contact", "5 days", 40),
    ]
    assert [part.label for part in parts] == [
        "Overdue amount", "Days past due", "Broken promises", "Days since last contact",
    ]  # fmt: skip
    assert priority_score(case, today=TODAY) == 180 + 45 + 100 + 40


@pytest.mark.parametrize(
    ("overdue", "points"),
    [("0.00", 0), ("0.01", 20), ("999.99", 20), ("1000.00", 60), ("4999.99", 60), ("5000.00", 120),
     ("10000.00", 180), ("20000.00", 240), ("49999.99", 240), ("50000.00", 300), ("900000.00", 300)],
)  # fmt: skip
def test_the_overdue_amount_counts_by_bands(overdue, points):
    case = CaseFactory.build(overdue_total=Decimal(overdue))
    assert priority_parts(case, today=TODAY)[0].points == points


def test_days_past_due_count_a_point_a_day_up_to_180_and_broken_promises_up_to_three():
    case = CaseFactory.build(days_past_due=400, broken_promises=7)
    parts = priority_parts(case, today=TODAY)
    assert (parts[1].points, parts[2].points) == (180, 150)


@pytest.mark.parametrize(
    ("last_contact_at", "value", "points"),
    [
        (None, "never", 80),
        # 9 March 00:00 in Shanghai is 8 March 16:00 UTC: one day before the 10th.
        (datetime.datetime(2026, 3, 8, 16, 0, tzinfo=UTC), "1 day", 0),
        (datetime.datetime(2026, 3, 8, 15, 59, 59, tzinfo=UTC), "2 days", 20),
        (datetime.datetime(2026, 3, 7, 0, 0, tzinfo=SHANGHAI), "3 days", 20),
        (datetime.datetime(2026, 3, 6, 23, 0, tzinfo=SHANGHAI), "4 days", 40),
        (datetime.datetime(2026, 3, 2, 9, 0, tzinfo=SHANGHAI), "8 days", 60),
        (datetime.datetime(2026, 2, 24, 9, 0, tzinfo=SHANGHAI), "14 days", 60),
        (datetime.datetime(2026, 2, 23, 9, 0, tzinfo=SHANGHAI), "15 days", 80),
        (datetime.datetime(2026, 3, 10, 9, 0, tzinfo=SHANGHAI), "0 days", 0),
    ],
)
def test_days_since_the_last_contact_are_the_lenders_calendar_days(last_contact_at, value, points):
    case = CaseFactory.build(last_contact_at=last_contact_at)
    part = priority_parts(case, today=TODAY)[3]
    assert (part.value, part.points) == (value, points)


def test_the_nightly_sql_gives_every_case_the_same_priority_as_the_formula():
    contacts = [
        None,
        datetime.datetime(2026, 3, 8, 16, 0, tzinfo=UTC),
        datetime.datetime(2026, 3, 8, 15, 59, 59, tzinfo=UTC),
        datetime.datetime(2026, 3, 6, 15, 59, 59, tzinfo=UTC),
        datetime.datetime(2026, 3, 2, 12, 0, tzinfo=UTC),
        datetime.datetime(2026, 2, 23, 15, 59, 59, tzinfo=UTC),
        datetime.datetime(2026, 3, 11, 12, 0, tzinfo=UTC),  # after "today": no points
    ]
    amounts = ["0.00", "0.01", "999.99", "1000.00", "19999.99", "50000.00"]
    for overdue, contact, (days, broken) in itertools.product(amounts, contacts, [(0, 0), (31, 2), (250, 4)]):
        CaseFactory(
            overdue_total=Decimal(overdue),
            last_contact_at=contact,
            days_past_due=days,
            broken_promises=broken,
        )
    closed = CaseFactory(status=CaseStatus.CLOSED, closed_on=TODAY, priority=-1)

    changed = priorities_refresh(today=TODAY)

    cases = list(Case.objects.exclude(pk=closed.pk))
    scores = [priority_score(case, today=TODAY) for case in cases]
    assert [case.priority for case in cases] == scores
    assert changed == sum(1 for score in scores if score != 0)  # only the rows that change are written
    assert Case.objects.get(pk=closed.pk).priority == -1  # a closed case keeps its last priority
    assert priorities_refresh(today=TODAY) == 0


def test_refreshing_one_case_writes_its_new_priority():
    case = CaseFactory(overdue_total=Decimal("1500.00"), days_past_due=10, broken_promises=0, priority=0)
    case.broken_promises = 1
    case.save(update_fields=["broken_promises"])

    score = priority_refresh(case=case, today=TODAY)

    assert score == 60 + 10 + 50 + 80
    assert Case.objects.get(pk=case.pk).priority == score == case.priority
