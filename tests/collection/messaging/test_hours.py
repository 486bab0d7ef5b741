"""The next moment a message may go: inside the borrower's contact hours, in their zone."""

import datetime
from dataclasses import replace
from zoneinfo import ZoneInfo

from collection.compliance import CHINA, UNITED_STATES
from collection.messaging.hours import next_contact_moment, next_contact_moment_in_all

SHANGHAI = ZoneInfo("Asia/Shanghai")
NEW_YORK = ZoneInfo("America/New_York")


def at(zone, *args):
    return datetime.datetime(*args, tzinfo=zone)


def test_a_moment_inside_the_hours_is_kept():
    moment = at(SHANGHAI, 2026, 3, 16, 10, 0)
    assert next_contact_moment(profile=CHINA, time_zone="Asia/Shanghai", at=moment) == moment


def test_a_reminder_due_at_23_00_goes_at_08_00_the_next_morning():
    moment = next_contact_moment(profile=CHINA, time_zone="Asia/Shanghai", at=at(SHANGHAI, 2026, 3, 16, 23, 0))
    assert moment == at(SHANGHAI, 2026, 3, 17, 8, 0)


def test_before_the_window_opens_it_waits_for_the_same_morning():
    moment = next_contact_moment(profile=CHINA, time_zone="Asia/Shanghai", at=at(SHANGHAI, 2026, 3, 16, 6, 30))
    assert moment == at(SHANGHAI, 2026, 3, 16, 8, 0)


def test_the_window_closes_at_the_latest_hour_itself():
    # US hours end at 21:00: 21:00 sharp is already outside.
    moment = next_contact_moment(
        profile=UNITED_STATES, time_zone="America/New_York", at=at(NEW_YORK, 2026, 3, 16, 21, 0)
    )
    assert moment == at(NEW_YORK, 2026, 3, 17, 8, 0)


def test_the_hours_are_read_in_the_borrowers_zone_not_the_servers():
    # 12:00 UTC is 20:00 in Shanghai (inside) and 08:00 in New York (inside, just).
    noon_utc = datetime.datetime(2026, 3, 16, 12, 0, tzinfo=datetime.UTC)
    assert next_contact_moment(profile=CHINA, time_zone="Asia/Shanghai", at=noon_utc) == noon_utc
    # 03:00 UTC is 23:00 the day before in New York: next 08:00 there.
    night = datetime.datetime(2026, 3, 17, 3, 0, tzinfo=datetime.UTC)
    assert next_contact_moment(profile=UNITED_STATES, time_zone="America/New_York", at=night) == at(
        NEW_YORK, 2026, 3, 17, 8, 0
    )


def test_across_a_daylight_saving_change_the_opening_is_the_local_08_00():
    # New York moves to summer time on 8 March 2026 at 02:00.
    moment = next_contact_moment(profile=UNITED_STATES, time_zone="America/New_York", at=at(NEW_YORK, 2026, 3, 7, 22))
    assert moment.astimezone(NEW_YORK).replace(tzinfo=None) == datetime.datetime(2026, 3, 8, 8, 0)
    assert moment == datetime.datetime(2026, 3, 8, 12, 0, tzinfo=datetime.UTC)


def test_in_several_zones_the_moment_suits_every_one():
    # 22:30 in Shanghai is 09:30 in New York: Shanghai is closed, so wait for its 08:00 (19:00 in New York).
    moment = next_contact_moment_in_all(
        profile=UNITED_STATES,
        time_zones=["Asia/Shanghai", "America/New_York"],
        at=at(SHANGHAI, 2026, 3, 16, 22, 30),
    )
    assert moment == at(SHANGHAI, 2026, 3, 17, 8, 0)
    assert 8 <= moment.astimezone(NEW_YORK).hour < 21


def test_zones_whose_windows_never_meet_give_no_moment():
    # A portfolio allowing 09:00-17:00 only; Shanghai and New York (summer) are 12 hours apart.
    office_hours = replace(UNITED_STATES, earliest_contact=datetime.time(9), latest_contact=datetime.time(17))
    assert (
        next_contact_moment_in_all(
            profile=office_hours,
            time_zones=["Asia/Shanghai", "America/New_York"],
            at=at(SHANGHAI, 2026, 6, 16, 10, 0),
        )
        is None
    )
