"""
Fixtures the issue-10 tests share (a module's own fixture of the same name wins):
a Monday morning in Shanghai (`morning`, used with `usefixtures`), a case in
arrears of the collector's team and its borrower's mobile.
"""

import datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine

from tests.collection.factories import case_in_arrears

SHANGHAI = ZoneInfo("Asia/Shanghai")
MORNING = datetime.datetime(2026, 3, 16, 10, 0, tzinfo=SHANGHAI)
NIGHT = datetime.datetime(2026, 3, 16, 23, 30, tzinfo=SHANGHAI)


@pytest.fixture
def morning():
    with time_machine.travel(MORNING, tick=False):
        yield MORNING


@pytest.fixture
def case(collector):
    case = case_in_arrears(collector=collector, days_past_due=20)
    if not case.borrower.time_zone:
        case.borrower.time_zone = "Asia/Shanghai"
        case.borrower.save(update_fields=["time_zone"])
    return case


@pytest.fixture
def mobile(case):
    return case.borrower.contact_points.get()
