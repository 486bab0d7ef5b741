"""
The compliance guard (collection/compliance.py): each rule in both profiles,
at its edges. docs/compliance.md names the test that proves each rule.

Times are given in the borrower's zone through the `at` argument; the week
used is Monday 9 – Sunday 15 March 2026 (US daylight saving time began on
Sunday 8 March, so New York is UTC-4 and Los Angeles UTC-7 that week).
"""

import datetime
import itertools
import re
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.conf import settings
from django.db import connection
from django.test.utils import CaptureQueriesContext

from collection import compliance
from collection.compliance import (
    CHINA,
    UNITED_STATES,
    ContactRefused,
    Rule,
    contact_check,
    contact_points_verdicts,
    contact_require,
    opt_out_line,
    opt_out_line_required,
    portfolio_limits_errors,
    profile_for,
    visit_report_check,
    visit_report_require,
)
from collection.compliance.facts import CaseFacts, primary_zone
from collection.errors import CollectionError
from collection.models import AnsweredBy, Case, CaseAccount, Channel, Direction, HoldKind, Outcome
from collection.services.contacts import contact_log
from lending.models import ContactPoint, PhoneNumberMark
from lending.services import phone_number_mark
from lending.services.marks import PHONE_KINDS
from tests.collection import test_portfolios
from tests.collection.factories import CaseFactory, ContactAttemptFactory, HoldFactory, PortfolioFactory
from tests.lending.factories import BorrowerFactory, ContactPointFactory, CreditAccountFactory

pytestmark = pytest.mark.django_db

SHANGHAI = ZoneInfo("Asia/Shanghai")
NEW_YORK = ZoneInfo("America/New_York")
LOS_ANGELES = ZoneInfo("America/Los_Angeles")
TUESDAY = datetime.date(2026, 3, 10)


def at(day, hour=10, minute=0, second=0, zone=SHANGHAI):
    """An aware moment on `day` (a date or a day of March 2026) in `zone`."""
    if isinstance(day, int):
        day = datetime.date(2026, 3, day)
    return datetime.datetime(day.year, day.month, day.day, hour, minute, second, tzinfo=zone)


# --- Cases, points and attempts -------------------------------------------------------------------


@pytest.fixture
def us_portfolio(db):
    return PortfolioFactory(code="us-cards", name="US cards", jurisdiction="us", is_default=False)


# Where a borrower of each zone the tests use lives, and how their numbers start: a borrower's
# zone, address and numbers agree unless a test says otherwise (when they disagree, every zone counts).
PLACES = {
    "America/New_York": ("New York", "+1 212 555 "),
    "America/Los_Angeles": ("California", "+1 213 555 "),
    "America/Chicago": ("Illinois", "+1 312 555 "),
    "Europe/London": ("", "+44 7700 90"),
}
_line_numbers = itertools.count(1000)


def _borrower(time_zone, borrower_fields):
    borrower_fields.setdefault("province", PLACES.get(time_zone, ("北京市",))[0])
    return BorrowerFactory(time_zone=time_zone, **borrower_fields)


def local_number(borrower) -> str | None:
    """A new number of the borrower's own place (None: the factory's Chinese mobile)."""
    prefix = PLACES.get(borrower.time_zone, (None, None))[1]
    return f"{prefix}{next(_line_numbers) % 10000:04d}" if prefix else None


def china_case(*, time_zone="Asia/Shanghai", **borrower_fields) -> Case:
    return _reloaded(CaseFactory(borrower=_borrower(time_zone, borrower_fields)))


def us_case(portfolio, *, time_zone="America/New_York", **borrower_fields) -> Case:
    return _reloaded(CaseFactory(borrower=_borrower(time_zone, borrower_fields), portfolio=portfolio))


def case_for(profile, us_portfolio, **borrower_fields) -> Case:
    if profile == "us":
        return us_case(us_portfolio, **borrower_fields)
    return china_case(**borrower_fields)


def zone_for(profile):
    return NEW_YORK if profile == "us" else SHANGHAI


def _reloaded(case) -> Case:
    return Case.objects.select_related("borrower", "portfolio").get(pk=case.pk)


def _phone_fields(case, kind, fields):
    if kind in PHONE_KINDS and "value" not in fields and local_number(case.borrower):
        fields["value"] = local_number(case.borrower)
    return fields


def mobile(case, **fields) -> ContactPoint:
    fields.setdefault("consent_sms", True)
    _phone_fields(case, ContactPoint.Kind.MOBILE, fields)
    return ContactPointFactory(borrower=case.borrower, kind=ContactPoint.Kind.MOBILE, **fields)


def point(case, kind, **fields) -> ContactPoint:
    fields.setdefault("consent_sms", False)
    _phone_fields(case, kind, fields)
    return ContactPointFactory(borrower=case.borrower, kind=kind, is_primary=False, **fields)


def third_party(case, kind=ContactPoint.Kind.MOBILE, **fields) -> ContactPoint:
    fields.setdefault("consent_sms", False)
    _phone_fields(case, kind, fields)
    return ContactPointFactory(
        borrower=case.borrower,
        kind=kind,
        owner=ContactPoint.Owner.THIRD_PARTY,
        relation=ContactPoint.Relation.FRIEND,
        third_party_name="王芳",
        is_primary=False,
        **fields,
    )


def attempt(case, when, *, contact_point=None, answered_by=AnsweredBy.NOBODY, outcome=None, **fields):
    if outcome is None:
        outcome = {
            AnsweredBy.NOBODY: Outcome.NO_ANSWER,
            AnsweredBy.BORROWER: Outcome.RIGHT_PARTY_CONTACT,
            AnsweredBy.THIRD_PARTY: Outcome.THIRD_PARTY_REACHED,
        }[answered_by]
    return ContactAttemptFactory(
        case=case, contact_point=contact_point, answered_by=answered_by, outcome=outcome, occurred_at=when, **fields
    )


def connected(case, when, **fields):
    return attempt(case, when, answered_by=AnsweredBy.BORROWER, **fields)


def check(case, channel=Channel.CALL, when=None, **kwargs):
    return contact_check(case=case, channel=channel, at=when or at(TUESDAY), **kwargs)


def assert_refused(verdict, rule, label=None):
    assert verdict.allowed is False, verdict
    assert verdict.rule == rule, verdict
    assert verdict.reason and verdict.label
    if label is not None:
        assert verdict.label == label, verdict


def assert_allowed(verdict, label=None):
    assert verdict.allowed is True, verdict
    if label is not None:
        assert verdict.label == label


# --- The interface --------------------------------------------------------------------------------


def test_an_ordinary_call_in_hours_is_allowed_with_its_label():
    case = china_case()
    verdict = check(case, contact_point=mobile(case))
    assert verdict == compliance.Verdict(allowed=True, label="May call now")
    assert bool(verdict) is True


def test_contact_require_raises_the_refusal_with_its_rule_and_reason():
    case = china_case(is_deceased=True)
    with pytest.raises(ContactRefused) as raised:
        contact_require(case=case, channel=Channel.CALL, at=at(TUESDAY))
    assert isinstance(raised.value, CollectionError)
    assert raised.value.verdict.rule == Rule.BORROWER_FLAG
    assert str(raised.value) == str(compliance.DECEASED_REASON)


def test_contact_require_passes_an_allowed_contact():
    case = china_case()
    assert contact_require(case=case, channel=Channel.CALL, contact_point=mobile(case), at=at(TUESDAY)) is None


def test_the_default_moment_is_now():
    case = china_case()
    with time_machine.travel(at(TUESDAY, 22, 30), tick=False):
        assert_refused(contact_check(case=case, channel=Channel.CALL), Rule.CONTACT_HOURS)
    with time_machine.travel(at(TUESDAY, 9, 30), tick=False):
        assert_allowed(contact_check(case=case, channel=Channel.CALL))


# --- Contact hours --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("hour", "minute", "second", "allowed"),
    [(7, 59, 59, False), (8, 0, 0, True), (21, 59, 59, True), (22, 0, 0, False), (23, 30, 0, False), (0, 0, 0, False)],
)
def test_china_contact_hours_are_08_00_to_22_00_local_time(hour, minute, second, allowed):
    case = china_case()
    verdict = check(case, contact_point=mobile(case), when=at(TUESDAY, hour, minute, second))
    if allowed:
        assert_allowed(verdict, "May call now")
    else:
        assert_refused(verdict, Rule.CONTACT_HOURS, "Not before 08:00 local time")


@pytest.mark.parametrize(
    ("hour", "minute", "second", "allowed"),
    [(7, 59, 59, False), (8, 0, 0, True), (20, 59, 59, True), (21, 0, 0, False)],
)
@pytest.mark.parametrize("channel", [Channel.CALL, Channel.SMS, Channel.EMAIL])
def test_us_contact_hours_are_08_00_to_21_00_for_calls_texts_and_emails(
    us_portfolio, channel, hour, minute, second, allowed
):
    case = us_case(us_portfolio)
    kind = ContactPoint.Kind.EMAIL if channel == Channel.EMAIL else ContactPoint.Kind.MOBILE
    contact_point = point(case, kind, consent_sms=True, consent_email=True)
    verdict = check(case, channel, contact_point=contact_point, when=at(TUESDAY, hour, minute, second, zone=NEW_YORK))
    assert verdict.allowed is allowed, verdict
    if not allowed:
        assert_refused(verdict, Rule.CONTACT_HOURS, "Not before 08:00 local time")


def test_the_hours_are_the_borrowers_local_time_not_the_servers():
    # 23:00 in Shanghai is 16:00 in London (GMT in March before the 29th).
    moment = at(TUESDAY, 23, 0)
    in_shanghai, in_london = china_case(), china_case(time_zone="Europe/London")
    assert_refused(check(in_shanghai, when=moment), Rule.CONTACT_HOURS)
    assert_allowed(check(in_london, when=moment))
    assert "16:00 for the borrower (Europe/London)" not in check(in_shanghai, when=moment).reason
    assert "23:00 for the borrower (Asia/Shanghai)" in check(in_shanghai, when=moment).reason


def test_us_hours_follow_each_consumers_own_zone(us_portfolio):
    # 22:30 in New York is 19:30 in Los Angeles.
    moment = at(TUESDAY, 22, 30, zone=NEW_YORK)
    assert_refused(check(us_case(us_portfolio), when=moment), Rule.CONTACT_HOURS)
    assert_allowed(check(us_case(us_portfolio, time_zone="America/Los_Angeles"), when=moment))


@pytest.mark.parametrize("profile", ["cn", "us"])
@pytest.mark.parametrize(
    ("channel", "kind"),
    [
        (Channel.SMS, ContactPoint.Kind.MOBILE),
        (Channel.EMAIL, ContactPoint.Kind.EMAIL),
        (Channel.VISIT, ContactPoint.Kind.HOME_ADDRESS),
        (Channel.IN_APP, None),
    ],
)
def test_every_channel_but_letters_keeps_the_hours(us_portfolio, profile, channel, kind):
    case = case_for(profile, us_portfolio)
    contact_point = point(case, kind, consent_sms=True, consent_email=True) if kind else None
    night = at(TUESDAY, 23, 0, zone=zone_for(profile))
    assert_refused(check(case, channel, contact_point=contact_point, when=night), Rule.CONTACT_HOURS)


@pytest.mark.parametrize("profile", ["cn", "us"])
def test_a_letter_is_not_bound_to_the_hours(us_portfolio, profile):
    case = case_for(profile, us_portfolio)
    address = point(case, ContactPoint.Kind.HOME_ADDRESS)
    night = at(TUESDAY, 23, 0, zone=zone_for(profile))
    assert_allowed(check(case, Channel.LETTER, contact_point=address, when=night), "May send a letter")


def test_an_unknown_time_zone_refuses_what_needs_the_local_time():
    case = china_case(time_zone="Mars/Olympus_Mons")
    verdict = check(case, contact_point=mobile(case))
    assert_refused(verdict, Rule.TIME_ZONE)
    assert "Mars/Olympus_Mons" in verdict.reason
    assert_allowed(check(case, Channel.LETTER, contact_point=point(case, ContactPoint.Kind.HOME_ADDRESS)))


# --- China: connected calls a day -----------------------------------------------------------------


def test_china_allows_a_third_connected_call_and_refuses_a_fourth():
    case = china_case()
    phone = mobile(case)
    connected(case, at(TUESDAY, 9), contact_point=phone)
    connected(case, at(TUESDAY, 10), contact_point=phone)
    assert_allowed(check(case, contact_point=phone, when=at(TUESDAY, 11)))
    connected(case, at(TUESDAY, 11), contact_point=phone)
    verdict = check(case, contact_point=phone, when=at(TUESDAY, 12))
    assert_refused(verdict, Rule.DAILY_CONNECTED_CALLS, "3 connected calls today")
    assert "at most 3 a day" in verdict.reason


def test_china_counts_connected_calls_of_every_collector_case_and_whoever_answered():
    case = china_case()
    phone = mobile(case)
    # An older, closed case of the same borrower (an agency's call, say) and a third party who answered.
    old_case = CaseFactory(borrower=case.borrower, status="closed", closed_on=datetime.date(2026, 3, 1))
    connected(old_case, at(TUESDAY, 9))
    connected(case, at(TUESDAY, 10), contact_point=phone)
    attempt(case, at(TUESDAY, 10, 30), contact_point=phone, answered_by=AnsweredBy.THIRD_PARTY)
    assert_refused(check(case, contact_point=phone, when=at(TUESDAY, 12)), Rule.DAILY_CONNECTED_CALLS)


def test_china_counts_inbound_connected_calls_but_not_unanswered_calls_or_messages():
    case = china_case()
    phone = mobile(case)
    for hour in (8, 9, 10, 11, 12):
        attempt(case, at(TUESDAY, hour), contact_point=phone)  # no answer
    connected(case, at(TUESDAY, 13), contact_point=phone, direction=Direction.INBOUND)
    connected(case, at(TUESDAY, 15), contact_point=phone, channel=Channel.SMS, outcome=Outcome.MESSAGE_SENT)
    connected(case, at(TUESDAY, 16), contact_point=phone)
    assert_allowed(check(case, contact_point=phone, when=at(TUESDAY, 17)))
    # A conversation the borrower started is one of the day's connected calls (issue 10).
    connected(case, at(TUESDAY, 17), contact_point=phone, direction=Direction.INBOUND)
    assert_refused(check(case, contact_point=phone, when=at(TUESDAY, 18)), Rule.DAILY_CONNECTED_CALLS)


def test_china_daily_cap_does_not_stop_messages_or_visits():
    case = china_case()
    phone = mobile(case)
    for hour in (9, 10, 11):
        connected(case, at(TUESDAY, hour), contact_point=phone)
    assert_allowed(check(case, Channel.SMS, contact_point=phone, when=at(TUESDAY, 12)))
    address = point(case, ContactPoint.Kind.HOME_ADDRESS)
    assert_allowed(check(case, Channel.VISIT, contact_point=address, when=at(TUESDAY, 12)))


def test_china_day_is_the_borrowers_local_day_not_the_servers_or_utc():
    # Los Angeles (UTC-7): three connected calls on Monday evening fall on Tuesday in UTC and in Shanghai.
    case = china_case(time_zone="America/Los_Angeles")
    phone = mobile(case)
    for minute in (0, 10, 20):
        connected(case, at(9, 20, minute, zone=LOS_ANGELES), contact_point=phone)
    assert_refused(check(case, contact_point=phone, when=at(9, 21, 0, zone=LOS_ANGELES)), Rule.DAILY_CONNECTED_CALLS)
    assert_allowed(check(case, contact_point=phone, when=at(10, 9, 0, zone=LOS_ANGELES)))


def test_china_day_edge_23_59_59_is_yesterday_and_00_00_today():
    case = china_case()
    phone = mobile(case)
    for second in (57, 58, 59):
        connected(case, at(9, 23, 59, second), contact_point=phone)
    assert_allowed(check(case, contact_point=phone, when=at(TUESDAY, 8)))
    connected(case, at(TUESDAY, 0, 0, 0), contact_point=phone, direction=Direction.OUTBOUND)
    connected(case, at(TUESDAY, 8, 5), contact_point=phone)
    assert_allowed(check(case, contact_point=phone, when=at(TUESDAY, 9)))
    connected(case, at(TUESDAY, 9), contact_point=phone)
    assert_refused(check(case, contact_point=phone, when=at(TUESDAY, 10)), Rule.DAILY_CONNECTED_CALLS)


def test_us_has_no_daily_connected_cap_of_its_own(us_portfolio):
    case = us_case(us_portfolio)
    phone = mobile(case)
    # Conversations would start the quiet days; a third party answering the phone does not.
    for hour in (9, 10, 11, 12):
        attempt(case, at(TUESDAY, hour, zone=NEW_YORK), contact_point=phone, answered_by=AnsweredBy.THIRD_PARTY)
    assert_allowed(check(case, contact_point=phone, when=at(TUESDAY, 13, zone=NEW_YORK)))


# --- United States: 7 call attempts in 7 days, and 7 quiet days after a conversation --------------


def test_us_allows_the_seventh_call_attempt_in_7_days_and_refuses_the_eighth(us_portfolio):
    case = us_case(us_portfolio)
    phone = mobile(case)
    for day in (4, 5, 6, 7, 8, 9):
        attempt(case, at(day, 12, zone=NEW_YORK), contact_point=phone)
    assert_allowed(check(case, contact_point=phone, when=at(TUESDAY, 12, zone=NEW_YORK)))
    attempt(case, at(TUESDAY, 12, zone=NEW_YORK), contact_point=phone)
    verdict = check(case, contact_point=phone, when=at(TUESDAY, 13, zone=NEW_YORK))
    assert_refused(verdict, Rule.CALL_ATTEMPTS_7_DAYS, "7 call attempts in 7 days")
    assert "2026-03-04 to 2026-03-10" in verdict.reason


def test_us_7_days_are_today_and_the_six_calendar_days_before_in_the_consumers_zone(us_portfolio):
    case = us_case(us_portfolio)
    phone = mobile(case)
    # Wednesday 4 March 23:59:59 is day 7 before Tuesday 10 (counted through Tuesday 10 only).
    attempt(case, at(3, 23, 59, 59, zone=NEW_YORK), contact_point=phone)  # 7 days before: outside
    for hour in (0, 9, 10, 11, 12, 13):
        attempt(case, at(4, hour, zone=NEW_YORK), contact_point=phone)  # 6 on the first day of the window
    assert_allowed(check(case, contact_point=phone, when=at(TUESDAY, 20, 59, 59, zone=NEW_YORK)))
    attempt(case, at(4, 0, 0, 0, zone=NEW_YORK) - datetime.timedelta(microseconds=1), contact_point=phone)
    assert_allowed(check(case, contact_point=phone, when=at(TUESDAY, 9, zone=NEW_YORK)))
    attempt(case, at(4, 14, zone=NEW_YORK), contact_point=phone)
    assert_refused(check(case, contact_point=phone, when=at(TUESDAY, 9, zone=NEW_YORK)), Rule.CALL_ATTEMPTS_7_DAYS)
    # On Wednesday 11 the calls of Wednesday 4 have left the window.
    assert_allowed(check(case, contact_point=phone, when=at(11, 8, zone=NEW_YORK)))


def test_us_window_is_calendar_days_across_the_daylight_saving_change(us_portfolio):
    # Thursday 12: the window starts on Friday 6 (EST, UTC-5) and spans the change on Sunday 8.
    case = us_case(us_portfolio)
    phone = mobile(case)
    for minute in range(7):
        attempt(case, at(6, 20, minute, zone=NEW_YORK), contact_point=phone)
    assert_refused(check(case, contact_point=phone, when=at(12, 20, zone=NEW_YORK)), Rule.CALL_ATTEMPTS_7_DAYS)
    # On Friday 13 they are out of the window: a rolling 7 × 24 h window (back to Friday 6 08:00) would still
    # hold them.
    assert_allowed(check(case, contact_point=phone, when=at(13, 8, zone=NEW_YORK)))


def test_us_attempts_do_not_count_inbound_calls_messages_or_third_parties(us_portfolio):
    case = us_case(us_portfolio)
    phone = mobile(case)
    tp = third_party(case)
    for day in (5, 6, 7):
        attempt(case, at(day, 12, zone=NEW_YORK), contact_point=phone, direction=Direction.INBOUND)
        attempt(case, at(day, 13, zone=NEW_YORK), contact_point=phone, channel=Channel.SMS)
        attempt(case, at(day, 14, zone=NEW_YORK), contact_point=tp)
    for day in (8, 9):
        attempt(case, at(day, 12, zone=NEW_YORK), contact_point=phone)
    assert_allowed(check(case, contact_point=phone, when=at(TUESDAY, 12, zone=NEW_YORK)))


def test_us_attempts_count_across_the_consumers_cases(us_portfolio):
    case = us_case(us_portfolio)
    phone = mobile(case)
    old_case = CaseFactory(
        borrower=case.borrower, portfolio=us_portfolio, status="closed", closed_on=datetime.date(2026, 3, 1)
    )
    for day in (4, 5, 6, 7):
        attempt(old_case, at(day, 12, zone=NEW_YORK), contact_point=phone)
    for day in (8, 9, 10):
        attempt(case, at(day, 12, zone=NEW_YORK), contact_point=phone)
    assert_refused(check(case, contact_point=phone, when=at(TUESDAY, 15, zone=NEW_YORK)), Rule.CALL_ATTEMPTS_7_DAYS)


def test_us_no_call_within_7_days_after_a_conversation(us_portfolio):
    case = us_case(us_portfolio)
    phone = mobile(case)
    connected(case, at(TUESDAY, 10, zone=NEW_YORK), contact_point=phone)
    verdict = check(case, contact_point=phone, when=at(TUESDAY, 11, zone=NEW_YORK))
    assert_refused(verdict, Rule.RECENT_CONVERSATION, "Spoke on 2026-03-10: no calls before 2026-03-17")
    # The day of the conversation is the first of the seven: Monday 16 is the last quiet day.
    assert_refused(check(case, contact_point=phone, when=at(16, 20, 59, 59, zone=NEW_YORK)), Rule.RECENT_CONVERSATION)
    assert_allowed(check(case, contact_point=phone, when=at(17, 8, 0, 0, zone=NEW_YORK)))


def test_us_quiet_days_stop_calls_only(us_portfolio):
    case = us_case(us_portfolio)
    phone = mobile(case)
    connected(case, at(TUESDAY, 10, zone=NEW_YORK), contact_point=phone)
    assert_allowed(check(case, Channel.SMS, contact_point=phone, when=at(TUESDAY, 11, zone=NEW_YORK)))


def test_us_a_conversation_the_consumer_started_also_starts_the_quiet_days(us_portfolio):
    case = us_case(us_portfolio)
    phone = mobile(case)
    connected(case, at(TUESDAY, 10, zone=NEW_YORK), contact_point=phone, direction=Direction.INBOUND)
    assert_refused(check(case, contact_point=phone, when=at(12, 10, zone=NEW_YORK)), Rule.RECENT_CONVERSATION)


def test_us_unanswered_calls_and_third_party_talks_do_not_start_the_quiet_days(us_portfolio):
    case = us_case(us_portfolio)
    phone = mobile(case)
    attempt(case, at(TUESDAY, 9, zone=NEW_YORK), contact_point=phone)
    attempt(case, at(TUESDAY, 10, zone=NEW_YORK), contact_point=phone, answered_by=AnsweredBy.THIRD_PARTY)
    assert_allowed(check(case, contact_point=phone, when=at(TUESDAY, 11, zone=NEW_YORK)))


def test_china_has_no_quiet_days_after_a_conversation():
    case = china_case()
    phone = mobile(case)
    connected(case, at(TUESDAY, 9), contact_point=phone)
    assert_allowed(check(case, contact_point=phone, when=at(TUESDAY, 10)))


# --- Inbound contacts -----------------------------------------------------------------------------


@pytest.mark.parametrize("profile", ["cn", "us"])
def test_an_inbound_contact_may_always_be_logged(us_portfolio, profile):
    case = case_for(profile, us_portfolio, is_deceased=True, cease_contact_requested=True)
    HoldFactory(case=case, kind=HoldKind.DISPUTE)
    phone = mobile(case, do_not_contact=True)
    for hour in (9, 10, 11):
        connected(case, at(TUESDAY, hour, zone=zone_for(profile)), contact_point=phone)
    night = at(TUESDAY, 23, 30, zone=zone_for(profile))
    verdict = check(case, contact_point=phone, when=night, direction=Direction.INBOUND)
    assert_allowed(verdict, str(compliance.INBOUND_LABEL))


# --- Flags and holds ------------------------------------------------------------------------------


@pytest.mark.parametrize("profile", ["cn", "us"])
@pytest.mark.parametrize(
    ("flag", "label"),
    [
        ("is_deceased", "Deceased: never contact"),
        ("is_bankrupt", "Bankrupt: never contact"),
        ("do_not_contact", "Do not contact"),
    ],
)
def test_a_flagged_borrower_is_never_contacted_not_even_by_legal_notice(us_portfolio, profile, flag, label):
    case = case_for(profile, us_portfolio, **{flag: True})
    address = point(case, ContactPoint.Kind.HOME_ADDRESS)
    assert_refused(check(case, contact_point=mobile(case)), Rule.BORROWER_FLAG, label)
    verdict = check(case, Channel.LETTER, contact_point=address, legally_required_notice=True)
    assert_refused(verdict, Rule.BORROWER_FLAG, label)
    assert_refused(check(case, Channel.CALL, contact_point=third_party(case)), Rule.BORROWER_FLAG)


@pytest.mark.parametrize("profile", ["cn", "us"])
def test_a_do_not_contact_point_is_never_used_but_the_others_are(us_portfolio, profile):
    case = case_for(profile, us_portfolio)
    blocked, other = mobile(case, do_not_contact=True), mobile(case)
    when = at(TUESDAY, zone=zone_for(profile))
    assert_refused(check(case, contact_point=blocked, when=when), Rule.CONTACT_POINT, "Do not contact this point")
    assert_allowed(check(case, contact_point=other, when=when))


@pytest.mark.parametrize("profile", ["cn", "us"])
@pytest.mark.parametrize("kind", [HoldKind.BANKRUPTCY, HoldKind.DECEASED])
def test_bankruptcy_and_deceased_holds_stop_everything(us_portfolio, profile, kind):
    case = case_for(profile, us_portfolio)
    HoldFactory(case=case, kind=kind)
    address = point(case, ContactPoint.Kind.HOME_ADDRESS)
    assert_refused(check(case, contact_point=mobile(case)), Rule.HOLD)
    assert_refused(check(case, Channel.LETTER, contact_point=address, legally_required_notice=True), Rule.HOLD)


@pytest.mark.parametrize("profile", ["cn", "us"])
@pytest.mark.parametrize("kind", [HoldKind.DISPUTE, HoldKind.COMPLAINT, HoldKind.HARDSHIP_REVIEW])
def test_a_dispute_complaint_or_hardship_hold_allows_only_legally_required_letters(us_portfolio, profile, kind):
    case = case_for(profile, us_portfolio)
    HoldFactory(case=case, kind=kind)
    address = point(case, ContactPoint.Kind.HOME_ADDRESS)
    when = at(TUESDAY, zone=zone_for(profile))
    verdict = check(case, contact_point=mobile(case), when=when)
    assert_refused(verdict, Rule.HOLD, f"On hold: {HoldKind(kind).label}")
    assert_refused(check(case, Channel.SMS, contact_point=mobile(case), when=when), Rule.HOLD)
    assert_refused(check(case, Channel.LETTER, contact_point=address, when=when), Rule.HOLD)
    # The exception is for letters: a call said to be a notice is still refused.
    assert_refused(check(case, contact_point=mobile(case), when=when, legally_required_notice=True), Rule.HOLD)
    notice = check(case, Channel.LETTER, contact_point=address, when=when, legally_required_notice=True)
    assert_allowed(notice, str(compliance.LEGAL_NOTICE_LABEL))


@pytest.mark.parametrize("profile", ["cn", "us"])
def test_a_cease_contact_hold_or_flag_allows_only_legally_required_letters(us_portfolio, profile):
    held = case_for(profile, us_portfolio)
    HoldFactory(case=held, kind=HoldKind.CEASE_CONTACT)
    flagged = case_for(profile, us_portfolio, cease_contact_requested=True)
    when = at(TUESDAY, zone=zone_for(profile))
    for case in (held, flagged):
        address = point(case, ContactPoint.Kind.HOME_ADDRESS)
        assert_refused(check(case, contact_point=mobile(case), when=when), Rule.CEASE_CONTACT)
        assert_refused(check(case, Channel.LETTER, contact_point=address, when=when), Rule.CEASE_CONTACT)
        assert_allowed(check(case, Channel.LETTER, contact_point=address, when=when, legally_required_notice=True))


def test_a_released_hold_no_longer_stops_contact():
    case = china_case()
    HoldFactory(case=case, kind=HoldKind.DISPUTE, released_at=at(9))
    assert_allowed(check(case, contact_point=mobile(case)))


def test_a_cease_contact_request_follows_the_borrower_into_a_new_case():
    case = china_case()
    old_case = CaseFactory(borrower=case.borrower, status="closed", closed_on=datetime.date(2026, 3, 1))
    HoldFactory(case=old_case, kind=HoldKind.CEASE_CONTACT)
    HoldFactory(case=CaseFactory(), kind=HoldKind.CEASE_CONTACT)  # another borrower's
    assert_refused(check(case, contact_point=mobile(case)), Rule.CEASE_CONTACT)


def test_a_dispute_on_another_case_of_the_borrower_does_not_hold_this_one():
    case = china_case()
    old_case = CaseFactory(borrower=case.borrower, status="closed", closed_on=datetime.date(2026, 3, 1))
    HoldFactory(case=old_case, kind=HoldKind.DISPUTE)
    assert_allowed(check(case, contact_point=mobile(case)))


# --- Consent and the contact point ----------------------------------------------------------------


@pytest.mark.parametrize("profile", ["cn", "us"])
def test_sms_only_with_recorded_consent(us_portfolio, profile):
    case = case_for(profile, us_portfolio)
    when = at(TUESDAY, zone=zone_for(profile))
    assert_refused(
        check(case, Channel.SMS, contact_point=mobile(case, consent_sms=False), when=when),
        Rule.CONSENT,
        "No SMS consent",
    )
    assert_allowed(
        check(case, Channel.SMS, contact_point=mobile(case, consent_sms=True), when=when), "May send an SMS now"
    )


@pytest.mark.parametrize("profile", ["cn", "us"])
def test_email_only_with_recorded_consent(us_portfolio, profile):
    case = case_for(profile, us_portfolio)
    when = at(TUESDAY, zone=zone_for(profile))
    without = point(case, ContactPoint.Kind.EMAIL, consent_email=False)
    with_consent = point(case, ContactPoint.Kind.EMAIL, consent_email=True)
    assert_refused(check(case, Channel.EMAIL, contact_point=without, when=when), Rule.CONSENT, "No e-mail consent")
    assert_allowed(check(case, Channel.EMAIL, contact_point=with_consent, when=when), "May e-mail now")


def test_a_message_without_a_contact_point_cannot_show_consent():
    case = china_case()
    assert_refused(check(case, Channel.SMS), Rule.CONSENT, "Choose a contact point")
    assert_refused(check(case, Channel.EMAIL), Rule.CONSENT)


@pytest.mark.parametrize(
    ("channel", "kind"),
    [
        (Channel.SMS, ContactPoint.Kind.HOME_PHONE),
        (Channel.CALL, ContactPoint.Kind.EMAIL),
        (Channel.EMAIL, ContactPoint.Kind.MOBILE),
        (Channel.VISIT, ContactPoint.Kind.MOBILE),
        (Channel.LETTER, ContactPoint.Kind.EMAIL),
    ],
)
def test_the_channel_must_suit_the_contact_point(channel, kind):
    case = china_case()
    contact_point = point(case, kind, consent_sms=True, consent_email=True)
    assert_refused(check(case, channel, contact_point=contact_point), Rule.CONTACT_POINT)


def test_another_borrowers_contact_point_is_refused():
    case, other = china_case(), china_case()
    assert_refused(check(case, contact_point=mobile(other)), Rule.CONTACT_POINT, "Another borrower's point")


# --- Third parties --------------------------------------------------------------------------------


def borrower_unreachable(case, *, failed=3, last_day=TUESDAY, zone=SHANGHAI):
    """`failed` unanswered calls to the borrower's own mobile, one a day back from `last_day`."""
    phone = mobile(case)
    for back in range(failed):
        attempt(case, at(last_day - datetime.timedelta(days=back), 9, zone=zone), contact_point=phone)
    return phone


def test_china_a_third_party_is_refused_while_the_borrower_is_reachable():
    case = china_case()
    tp = third_party(case)
    verdict = check(case, contact_point=tp, when=at(TUESDAY, 12))
    assert_refused(verdict, Rule.THIRD_PARTY_BORROWER_REACHABLE, "Borrower not unreachable")
    assert "(0 so far)" in verdict.reason


def test_china_a_third_party_may_be_called_to_locate_only_after_3_failed_attempts_in_7_days():
    case = china_case()
    tp = third_party(case)
    borrower_unreachable(case, failed=2)
    assert_refused(check(case, contact_point=tp, when=at(TUESDAY, 12)), Rule.THIRD_PARTY_BORROWER_REACHABLE)
    attempt(case, at(TUESDAY, 11), contact_point=mobile(case), outcome=Outcome.SWITCHED_OFF)
    verdict = check(case, contact_point=tp, when=at(TUESDAY, 12))
    assert verdict.allowed is True
    assert verdict.rule == Rule.THIRD_PARTY_LOCATE_ONLY
    assert verdict.label == "Third party: locate only, never mention the debt"
    assert "never tell them about the debt" in verdict.reason


def test_china_failed_attempts_older_than_7_days_or_on_third_parties_do_not_make_the_borrower_unreachable():
    case = china_case()
    tp = third_party(case)
    other_tp = third_party(case)
    phone = mobile(case)
    attempt(case, at(3, 21), contact_point=phone)  # day 8 back from Tuesday 10: outside
    attempt(case, at(4, 9), contact_point=phone)  # day 7: inside
    attempt(case, at(5, 9), contact_point=phone)
    attempt(case, at(6, 9), contact_point=other_tp)
    attempt(case, at(7, 9), contact_point=phone, channel=Channel.SMS, outcome=Outcome.MESSAGE_SENT)
    assert_refused(check(case, contact_point=tp, when=at(TUESDAY, 12)), Rule.THIRD_PARTY_BORROWER_REACHABLE)
    attempt(case, at(4, 8), contact_point=phone)
    assert_allowed(check(case, contact_point=tp, when=at(TUESDAY, 12)))


def test_china_a_conversation_with_the_borrower_in_the_last_7_days_keeps_third_parties_out():
    case = china_case()
    tp = third_party(case)
    phone = borrower_unreachable(case, failed=4)
    connected(case, at(4, 12), contact_point=phone, direction=Direction.INBOUND)
    verdict = check(case, contact_point=tp, when=at(TUESDAY, 12))
    assert_refused(verdict, Rule.THIRD_PARTY_BORROWER_REACHABLE)
    assert "2026-03-04" in verdict.reason
    # A week later that conversation is out of the window (and so are the failed attempts).
    borrower_unreachable(case, failed=3, last_day=datetime.date(2026, 3, 11))
    assert_allowed(check(case, contact_point=tp, when=at(11, 12)))


def test_china_the_cases_last_right_party_contact_counts_too():
    case = china_case()
    tp = third_party(case)
    borrower_unreachable(case, failed=3)
    case.last_right_party_contact_at = at(8, 15)
    assert_refused(check(case, contact_point=tp, when=at(TUESDAY, 12)), Rule.THIRD_PARTY_BORROWER_REACHABLE)


@pytest.mark.parametrize("profile", ["cn", "us"])
def test_a_third_party_who_refused_is_never_contacted_again(us_portfolio, profile):
    case = case_for(profile, us_portfolio)
    zone = zone_for(profile)
    refused, other = third_party(case), third_party(case)
    borrower_unreachable(case, failed=3, zone=zone)
    attempt(
        case,
        at(datetime.date(2025, 3, 10), 12, zone=zone),  # a year ago
        contact_point=refused,
        answered_by=AnsweredBy.NOBODY,
        outcome=Outcome.THIRD_PARTY_REFUSED,
    )
    when = at(TUESDAY, 12, zone=zone)
    assert_refused(
        check(case, contact_point=refused, when=when), Rule.THIRD_PARTY_REFUSED, "Third party refused contact"
    )
    assert_allowed(check(case, contact_point=other, when=when))


@pytest.mark.parametrize("profile", ["cn", "us"])
@pytest.mark.parametrize("channel", [Channel.SMS, Channel.EMAIL, Channel.LETTER, Channel.IN_APP])
def test_third_parties_are_called_or_visited_never_written_to(us_portfolio, profile, channel):
    case = case_for(profile, us_portfolio)
    zone = zone_for(profile)
    borrower_unreachable(case, zone=zone)
    kind = {
        Channel.EMAIL: ContactPoint.Kind.EMAIL,
        Channel.LETTER: ContactPoint.Kind.HOME_ADDRESS,
    }.get(channel, ContactPoint.Kind.MOBILE)
    tp = third_party(case, kind=kind, consent_sms=True, consent_email=True)
    assert_refused(check(case, channel, contact_point=tp, when=at(TUESDAY, 12, zone=zone)), Rule.THIRD_PARTY_CHANNEL)
    home = third_party(case, kind=ContactPoint.Kind.HOME_ADDRESS)
    assert_allowed(check(case, Channel.VISIT, contact_point=home, when=at(TUESDAY, 12, zone=zone)))


def test_us_a_third_party_may_be_asked_for_location_once(us_portfolio):
    case = us_case(us_portfolio)
    tp = third_party(case)
    when = at(TUESDAY, 12, zone=NEW_YORK)
    # No unreachable rule in the US profile: at once, for location only.
    verdict = check(case, contact_point=tp, when=when)
    assert_allowed(verdict, "Third party: locate only, never mention the debt")
    attempt(case, at(5, 12, zone=NEW_YORK), contact_point=tp)  # unanswered: not reached
    assert_allowed(check(case, contact_point=tp, when=when))
    attempt(
        case, at(datetime.date(2025, 12, 1), 12, zone=NEW_YORK), contact_point=tp, answered_by=AnsweredBy.THIRD_PARTY
    )
    assert_refused(check(case, contact_point=tp, when=when), Rule.THIRD_PARTY_ONCE, "Third party already reached")


def test_china_a_third_party_reached_before_may_be_called_again_while_the_borrower_is_unreachable():
    case = china_case()
    tp = third_party(case)
    borrower_unreachable(case)
    attempt(case, at(9, 12), contact_point=tp, answered_by=AnsweredBy.THIRD_PARTY)
    assert_allowed(check(case, contact_point=tp, when=at(TUESDAY, 12)))


def test_third_party_calls_keep_the_hours_and_the_daily_cap():
    case = china_case()
    tp = third_party(case)
    borrower_unreachable(case)
    assert_refused(check(case, contact_point=tp, when=at(TUESDAY, 22)), Rule.CONTACT_HOURS)
    for hour in (9, 10, 11):
        attempt(case, at(TUESDAY, hour), contact_point=third_party(case), answered_by=AnsweredBy.THIRD_PARTY)
    assert_refused(check(case, contact_point=tp, when=at(TUESDAY, 12)), Rule.DAILY_CONNECTED_CALLS)


# --- Numbers: a refusal or a wrong number belongs to the number, not the record ------------------

HONOLULU = ZoneInfo("Pacific/Honolulu")


def mark(point_, kind, when=None):
    return phone_number_mark(
        contact_point=point_, kind=kind, actor=None, source_case_id=None, at=when or at(TUESDAY - datetime.timedelta(1))
    )


@pytest.mark.parametrize("profile", ["cn", "us"])
def test_a_third_partys_stop_calling_refuses_the_number_on_every_record_of_every_borrower(us_portfolio, profile):
    case, other = case_for(profile, us_portfolio), case_for(profile, us_portfolio)
    borrower_unreachable(case, zone=zone_for(profile))
    borrower_unreachable(other, zone=zone_for(profile))
    friend = third_party(case)
    mark(friend, PhoneNumberMark.Kind.DO_NOT_CALL)
    number = friend.number_e164
    # The same number, written otherwise: again on this borrower, as another borrower's contact, as their own mobile.
    written_otherwise = "+" + " ".join((number[1:3], number[3:6], number[6:])) if profile == "cn" else number
    again = third_party(case, value=written_otherwise)
    as_contact = third_party(other, value=number)
    as_own = mobile(other, value=written_otherwise)
    assert again.number_e164 == as_contact.number_e164 == as_own.number_e164 == number
    when = at(TUESDAY, 12, zone=zone_for(profile))
    for refused_point, case_ in ((friend, case), (again, case), (as_contact, other), (as_own, other)):
        verdict = check(case_, contact_point=refused_point, when=when)
        assert_refused(verdict, Rule.NUMBER_MARKED, "Number: asked us to stop calling")
        assert "on any contact point of any borrower" in verdict.reason
    assert_refused(check(other, Channel.SMS, contact_point=as_own, when=when), Rule.NUMBER_MARKED)
    assert_allowed(check(other, contact_point=mobile(other), when=when))


def test_a_stranger_saying_wrong_number_on_the_borrowers_own_number_refuses_it_everywhere():
    case, other = china_case(), china_case()
    own = mobile(case)
    attempt(case, at(9, 11), contact_point=own, answered_by=AnsweredBy.THIRD_PARTY, outcome=Outcome.WRONG_NUMBER)
    mark(own, PhoneNumberMark.Kind.WRONG_NUMBER, when=at(9, 11))
    verdict = check(case, contact_point=own)
    assert_refused(verdict, Rule.NUMBER_MARKED, "Wrong number")
    assert "wrong number on 2026-03-09" in verdict.reason
    borrower_unreachable(other)
    assert_refused(
        check(other, contact_point=third_party(other, value=own.value), when=at(TUESDAY, 12)), Rule.NUMBER_MARKED
    )


def test_a_refusal_logged_on_one_case_refuses_the_number_on_another_borrowers_case(collector):
    case, other = china_case(), china_case()
    borrower_unreachable(case)
    borrower_unreachable(other)
    friend = third_party(case)
    with time_machine.travel(at(TUESDAY, 12), tick=False):
        contact_log(
            case=case,
            channel=Channel.CALL,
            contact_point=friend,
            answered_by=AnsweredBy.THIRD_PARTY,
            outcome=Outcome.THIRD_PARTY_REFUSED,
            actor=collector,
        )
    verdict = check(other, contact_point=third_party(other, value=friend.value), when=at(TUESDAY, 13))
    assert_refused(verdict, Rule.NUMBER_MARKED, "Number: asked us to stop calling")


def test_an_outcome_logged_before_marks_were_kept_refuses_the_number_too():
    # A third party's refusal on one record (an attempt, no mark): the same number on another borrower's record.
    case, other = china_case(), china_case()
    borrower_unreachable(case)
    borrower_unreachable(other)
    friend = third_party(case)
    attempt(
        case, at(2, 11), contact_point=friend, answered_by=AnsweredBy.THIRD_PARTY, outcome=Outcome.THIRD_PARTY_REFUSED
    )
    verdict = check(other, contact_point=third_party(other, value=friend.value), when=at(TUESDAY, 12))
    assert_refused(verdict, Rule.NUMBER_MARKED)
    assert "2026-03-02" in verdict.reason


def test_a_do_not_contact_flag_on_one_record_of_a_number_refuses_its_other_records():
    case = china_case()
    flagged = mobile(case, do_not_contact=True)
    again = mobile(case, value=flagged.value)
    assert_refused(check(case, contact_point=flagged), Rule.CONTACT_POINT)
    assert_refused(check(case, contact_point=again), Rule.NUMBER_MARKED, "Number marked do-not-contact")


def test_verdicts_read_the_marks_of_all_points_in_one_query(django_assert_num_queries):
    case = china_case()
    points = [mobile(case) for _ in range(3)]
    mark(points[0], PhoneNumberMark.Kind.WRONG_NUMBER)
    case = _reloaded(case)
    with django_assert_num_queries(3):  # holds, the numbers, the week's attempts
        verdicts = contact_points_verdicts(case=case, contact_points=points, at=at(TUESDAY, 12))
    assert [verdict.rule for verdict in verdicts.values()] == [Rule.NUMBER_MARKED, "", ""]


# --- Time zones: none is assumed; every known zone counts -----------------------------------------


def test_a_borrower_without_a_zone_is_checked_in_the_zone_of_their_address(us_portfolio):
    # 21:30 in New York is 18:30 in Los Angeles: a Californian without a zone may be called, not refused.
    case = us_case(us_portfolio, time_zone="", province="California")
    assert_allowed(check(case, when=at(TUESDAY, 21, 30, zone=NEW_YORK)))
    assert_refused(check(case, when=at(TUESDAY, 21, 0, zone=LOS_ANGELES)), Rule.CONTACT_HOURS)


def test_a_borrower_without_a_zone_or_address_is_checked_in_the_zone_of_their_number(us_portfolio):
    case = us_case(us_portfolio, time_zone="", province="")
    mobile(case, value="+1 808 555 0100")
    assert_allowed(check(case, when=at(TUESDAY, 20, 30, zone=HONOLULU)))
    verdict = check(case, when=at(TUESDAY, 7, 30, zone=HONOLULU))
    assert_refused(verdict, Rule.CONTACT_HOURS)
    assert "07:30 for the borrower (Pacific/Honolulu)" in verdict.reason


@pytest.mark.parametrize("profile", ["cn", "us"])
def test_no_known_zone_refuses_calls_messages_and_visits_saying_how_to_fix_it_but_not_letters(us_portfolio, profile):
    case = case_for(profile, us_portfolio, time_zone="", province="")
    phone = mobile(case, value="not known")
    address = point(case, ContactPoint.Kind.HOME_ADDRESS)
    assert phone.number_e164 == ""
    for channel, contact_point in (
        (Channel.CALL, phone),
        (Channel.SMS, phone),
        (Channel.VISIT, address),
        (Channel.CALL, None),
    ):
        verdict = check(case, channel, contact_point=contact_point)
        assert_refused(verdict, Rule.TIME_ZONE, "Unknown time zone")
        assert "set the borrower's time zone or address" in verdict.reason
    assert_allowed(check(case, Channel.LETTER, contact_point=address), "May send a letter")


def test_a_new_york_borrower_with_a_hawaii_mobile_is_called_only_within_the_hours_of_both(us_portfolio):
    # Honolulu is 6 hours behind New York that week: 08:00–21:00 in both is 14:00–21:00 New York time.
    case = us_case(us_portfolio)
    phone = mobile(case, value="+1 808 555 0101")
    edges = [((13, 59, 59), False), ((14, 0, 0), True), ((20, 59, 59), True), ((21, 0, 0), False)]
    for (hour, minute, second), allowed in edges:
        verdict = check(case, contact_point=phone, when=at(TUESDAY, hour, minute, second, zone=NEW_YORK))
        assert verdict.allowed is allowed, (hour, verdict)
    verdict = check(case, contact_point=phone, when=at(TUESDAY, 9, 0, zone=NEW_YORK))
    assert "America/New_York, Pacific/Honolulu" in verdict.reason
    assert "03:00 in Pacific/Honolulu" in verdict.reason


def test_a_zone_the_lender_sent_stands_for_its_state_and_a_state_of_two_zones_keeps_both(us_portfolio):
    # 08:30 in New York is 07:30 in Chicago: Florida spans both zones.
    when = at(TUESDAY, 8, 30, zone=NEW_YORK)
    assert_refused(check(us_case(us_portfolio, time_zone="", province="Florida"), when=when), Rule.CONTACT_HOURS)
    assert_allowed(check(us_case(us_portfolio, time_zone="America/New_York", province="FL"), when=when))
    # A zone that is not the state's is conflicting information: both count.
    assert_refused(
        check(us_case(us_portfolio, time_zone="America/New_York", province="Illinois"), when=when), Rule.CONTACT_HOURS
    )


def test_xinjiang_is_called_within_the_hours_of_beijing_and_xinjiang_time():
    # 09:30 Beijing time is 07:30 Ürümqi time (UTC+6).
    case = china_case(time_zone="", province="新疆维吾尔自治区")
    assert_refused(check(case, when=at(TUESDAY, 9, 30)), Rule.CONTACT_HOURS)
    assert_allowed(check(case, when=at(TUESDAY, 10, 0)))
    tibet = china_case(time_zone="", province="西藏自治区")
    assert_allowed(check(tibet, when=at(TUESDAY, 8, 0)))


def test_today_is_the_borrowers_primary_zones_day(us_portfolio):
    # 01:00 on Tuesday in New York is still Monday 19:00 in Honolulu: the day counts are New York's.
    case = us_case(us_portfolio)
    mobile(case, value="+1 808 555 0102")
    facts = CaseFacts(case, at(TUESDAY, 1, 0, zone=NEW_YORK))
    assert facts.zones() == ("America/New_York", "Pacific/Honolulu")
    assert facts.today == TUESDAY


def test_the_primary_zone_is_the_borrowers_own_else_the_addresss_else_the_numbers(us_portfolio):
    assert primary_zone(us_case(us_portfolio, time_zone="America/Chicago", province="New York")) == ZoneInfo(
        "America/Chicago"
    )
    assert primary_zone(us_case(us_portfolio, time_zone="", province="Florida")) == NEW_YORK
    by_number = us_case(us_portfolio, time_zone="", province="")
    mobile(by_number, value="+1 808 555 0104")
    assert primary_zone(by_number) == HONOLULU
    assert primary_zone(china_case(time_zone="", province="")) is None


def test_a_wrong_number_says_nothing_about_where_the_borrower_is(us_portfolio):
    case = us_case(us_portfolio)
    stranger = mobile(case, value="+1 808 555 0103")
    mark(stranger, PhoneNumberMark.Kind.WRONG_NUMBER)
    assert_allowed(check(case, contact_point=mobile(case), when=at(TUESDAY, 9, 0, zone=NEW_YORK)))


# --- Stricter only --------------------------------------------------------------------------------


def test_profile_for_returns_the_jurisdictions_defaults():
    assert profile_for(PortfolioFactory()) == CHINA
    assert profile_for(PortfolioFactory.build(code="x", jurisdiction="us", is_default=False)) == UNITED_STATES


def test_profile_for_takes_the_stricter_value_whatever_is_stored():
    portfolio = PortfolioFactory.build(
        code="x",
        jurisdiction="cn",
        is_default=False,
        earliest_contact=datetime.time(7, 0),  # looser: ignored
        latest_contact=datetime.time(20, 0),  # stricter: used
        max_connected_calls_per_day=5,  # looser: ignored
        max_call_attempts_per_7_days=10,  # China has none: any value is stricter
    )
    profile = profile_for(portfolio)
    assert profile.earliest_contact == datetime.time(8, 0)
    assert profile.latest_contact == datetime.time(20, 0)
    assert profile.max_connected_calls_per_day == 3
    assert profile.max_call_attempts_per_7_days == 10
    stricter = PortfolioFactory.build(
        code="y",
        jurisdiction="us",
        is_default=False,
        earliest_contact=datetime.time(9, 0),
        latest_contact=datetime.time(22, 0),
        max_connected_calls_per_day=2,
        max_call_attempts_per_7_days=9,
    )
    profile = profile_for(stricter)
    assert (profile.earliest_contact, profile.latest_contact) == (datetime.time(9, 0), datetime.time(21, 0))
    assert (profile.max_connected_calls_per_day, profile.max_call_attempts_per_7_days) == (2, 7)


def test_a_looser_stored_portfolio_limit_does_not_loosen_the_guard():
    case = china_case()
    portfolio = case.portfolio
    portfolio.latest_contact = datetime.time(23, 0)
    portfolio.max_connected_calls_per_day = 10
    portfolio.save()
    phone = mobile(case)
    assert_refused(check(case, contact_point=phone, when=at(TUESDAY, 22, 30)), Rule.CONTACT_HOURS)
    for hour in (9, 10, 11):
        connected(case, at(TUESDAY, hour), contact_point=phone)
    assert_refused(check(case, contact_point=phone, when=at(TUESDAY, 12)), Rule.DAILY_CONNECTED_CALLS)


def test_a_stricter_portfolio_limit_tightens_the_guard(us_portfolio):
    china = china_case()
    china.portfolio.earliest_contact = datetime.time(9, 0)
    china.portfolio.max_connected_calls_per_day = 1
    china.portfolio.max_call_attempts_per_7_days = 2
    china.portfolio.save()
    phone = mobile(china)
    assert_refused(
        check(china, contact_point=phone, when=at(TUESDAY, 8, 59, 59)),
        Rule.CONTACT_HOURS,
        "Not before 09:00 local time",
    )
    attempt(china, at(9, 12), contact_point=phone)
    attempt(china, at(9, 13), contact_point=phone)
    assert_refused(check(china, contact_point=phone, when=at(TUESDAY, 9)), Rule.CALL_ATTEMPTS_7_DAYS)

    us_portfolio.max_connected_calls_per_day = 1
    us_portfolio.latest_contact = datetime.time(20, 0)
    us_portfolio.save()
    case = us_case(us_portfolio)
    us_phone = mobile(case)
    assert_refused(check(case, contact_point=us_phone, when=at(TUESDAY, 20, zone=NEW_YORK)), Rule.CONTACT_HOURS)
    attempt(case, at(TUESDAY, 9, zone=NEW_YORK), contact_point=us_phone, answered_by=AnsweredBy.THIRD_PARTY)
    verdict = check(case, contact_point=us_phone, when=at(TUESDAY, 10, zone=NEW_YORK))
    assert_refused(verdict, Rule.DAILY_CONNECTED_CALLS, "1 connected call today")


@pytest.mark.parametrize(
    ("jurisdiction", "values", "field", "message"),
    [
        ("cn", {"earliest_contact": datetime.time(7, 30)}, "earliest_contact", "allows contact from 08:00"),
        ("cn", {"latest_contact": datetime.time(22, 1)}, "latest_contact", "allows contact until 22:00"),
        ("us", {"latest_contact": datetime.time(21, 30)}, "latest_contact", "allows contact until 21:00"),
        ("cn", {"max_connected_calls_per_day": 4}, "max_connected_calls_per_day", "at most 3 connected calls"),
        ("us", {"max_call_attempts_per_7_days": 8}, "max_call_attempts_per_7_days", "at most 7 call attempts"),
        ("cn", {"max_connected_calls_per_day": 0}, "max_connected_calls_per_day", "at least 1"),
        (
            "cn",
            {"earliest_contact": datetime.time(12, 0), "latest_contact": datetime.time(11, 0)},
            "latest_contact",
            "must come before",
        ),
        ("us", {"earliest_contact": datetime.time(21, 0)}, "earliest_contact", "must come before"),
    ],
)
def test_looser_portfolio_limits_are_refused_with_the_reason(jurisdiction, values, field, message):
    errors = portfolio_limits_errors(jurisdiction=jurisdiction, **values)
    assert list(errors) == [field]
    assert message in errors[field]


@pytest.mark.parametrize(
    ("jurisdiction", "values"),
    [
        ("cn", {}),
        ("cn", {"earliest_contact": datetime.time(8, 0), "latest_contact": datetime.time(22, 0)}),
        ("cn", {"earliest_contact": datetime.time(9, 0), "max_connected_calls_per_day": 2}),
        ("cn", {"max_call_attempts_per_7_days": 20}),
        ("us", {"max_connected_calls_per_day": 5, "max_call_attempts_per_7_days": 7}),
        ("us", {"latest_contact": datetime.time(20, 0)}),
    ],
)
def test_equal_or_stricter_portfolio_limits_are_accepted(jurisdiction, values):
    assert portfolio_limits_errors(jurisdiction=jurisdiction, **values) == {}


# --- Messages, visits, letters --------------------------------------------------------------------


def test_us_electronic_messages_need_an_opt_out_line_and_china_sets_none():
    for channel in (Channel.SMS, Channel.EMAIL, Channel.IN_APP):
        assert opt_out_line_required(UNITED_STATES, channel) is True
        assert opt_out_line(UNITED_STATES, channel)
        assert opt_out_line_required(CHINA, channel) is False
        assert opt_out_line(CHINA, channel) == ""
    for channel in (Channel.CALL, Channel.LETTER, Channel.VISIT):
        assert opt_out_line_required(UNITED_STATES, channel) is False
    assert "STOP" in opt_out_line(UNITED_STATES, Channel.SMS)


def test_china_every_field_visit_is_recorded(us_portfolio):
    china = china_case()
    verdict = visit_report_check(case=china, was_recorded=False)
    assert_refused(verdict, Rule.VISIT_RECORDING, "Visit not recorded")
    assert visit_report_check(case=china, was_recorded=True).allowed
    with pytest.raises(ContactRefused):
        visit_report_require(case=china, was_recorded=False)
    # The US profile does not require it; with no case the convention (recorded) applies.
    assert visit_report_check(case=us_case(us_portfolio), was_recorded=False).allowed
    assert not visit_report_check(was_recorded=False).allowed


def overdue_since(case, oldest_unpaid_due_on):
    account = CreditAccountFactory(borrower=case.borrower, oldest_unpaid_due_on=oldest_unpaid_due_on)
    CaseAccount.objects.create(case=case, account=account, joined_on=datetime.date(2023, 1, 1))


def test_us_no_threat_of_legal_action_on_a_time_barred_debt(us_portfolio):
    case = us_case(us_portfolio)
    address = point(case, ContactPoint.Kind.HOME_ADDRESS)
    overdue_since(case, datetime.date(2023, 3, 10))
    overdue_since(case, datetime.date(2025, 1, 1))
    # Three years to the day: time-barred (the oldest unpaid installment decides).
    today = at(TUESDAY, 12, zone=NEW_YORK)
    verdict = check(case, Channel.LETTER, contact_point=address, when=today, threatens_legal_action=True)
    assert_refused(verdict, Rule.TIME_BARRED, "Time-barred: no legal threats")
    assert "2023-03-10" in verdict.reason
    # The day before, not yet; and a letter that threatens nothing is fine either way.
    day_before = at(9, 12, zone=NEW_YORK)
    assert_allowed(check(case, Channel.LETTER, contact_point=address, when=day_before, threatens_legal_action=True))
    assert_allowed(check(case, Channel.LETTER, contact_point=address, when=today))


def test_us_a_call_threatening_legal_action_on_a_time_barred_debt_is_refused_too(us_portfolio):
    case = us_case(us_portfolio)
    overdue_since(case, datetime.date(2020, 6, 1))
    phone = mobile(case)
    assert_refused(
        check(case, contact_point=phone, when=at(TUESDAY, 12, zone=NEW_YORK), threatens_legal_action=True),
        Rule.TIME_BARRED,
    )


def test_china_profile_has_no_time_bar_rule():
    case = china_case()
    overdue_since(case, datetime.date(2020, 6, 1))
    address = point(case, ContactPoint.Kind.HOME_ADDRESS)
    assert_allowed(check(case, Channel.LETTER, contact_point=address, threatens_legal_action=True))


# --- The case page's live verdicts ----------------------------------------------------------------


def test_contact_points_verdicts_gives_each_point_its_natural_channels_verdict():
    case = china_case()
    phone = mobile(case)
    email = point(case, ContactPoint.Kind.EMAIL, consent_email=False)
    home = point(case, ContactPoint.Kind.HOME_ADDRESS)
    blocked = mobile(case, do_not_contact=True)
    friend = third_party(case)
    verdicts = contact_points_verdicts(
        case=case, contact_points=[phone, email, home, blocked, friend], at=at(TUESDAY, 12)
    )
    assert verdicts[phone.pk].label == "May call now"
    assert verdicts[email.pk].rule == Rule.CONSENT
    assert verdicts[home.pk].label == "May visit now"
    assert verdicts[blocked.pk].rule == Rule.CONTACT_POINT
    assert verdicts[friend.pk].rule == Rule.THIRD_PARTY_BORROWER_REACHABLE
    night = contact_points_verdicts(case=case, contact_points=[phone, email], at=at(TUESDAY, 22))
    assert night[phone.pk].label == "Not before 08:00 local time"


def test_contact_points_verdicts_agree_with_contact_check():
    case = china_case()
    phone = mobile(case)
    tp = third_party(case)
    borrower_unreachable(case)
    for hour in (9, 10):
        connected(case, at(TUESDAY, hour), contact_point=phone)
    when = at(TUESDAY, 12)
    verdicts = contact_points_verdicts(case=case, contact_points=[phone, tp], at=when)
    assert verdicts[phone.pk] == check(case, contact_point=phone, when=when)
    assert verdicts[tp.pk] == check(case, contact_point=tp, when=when)


def test_contact_points_verdicts_runs_the_same_few_queries_for_any_number_of_points(django_assert_num_queries):
    small, large = china_case(), china_case()
    small_points = [mobile(small), third_party(small)]
    large_points = [mobile(large) for _ in range(4)]
    large_points += [third_party(large) for _ in range(4)]
    large_points += [point(large, ContactPoint.Kind.HOME_ADDRESS), point(large, ContactPoint.Kind.EMAIL)]
    for case in (small, large):
        phone = next(p for p in (small_points if case is small else large_points) if not p.is_third_party)
        for day in (8, 9, 10):
            attempt(case, at(day, 9), contact_point=phone)
    small, large = _reloaded(small), _reloaded(large)
    # Holds, the numbers (the borrower's own and the marks on any of them), the week's attempts,
    # the third parties' history.
    with django_assert_num_queries(4):
        contact_points_verdicts(case=small, contact_points=small_points, at=at(TUESDAY, 12))
    with django_assert_num_queries(4):
        contact_points_verdicts(case=large, contact_points=large_points, at=at(TUESDAY, 12))


def test_a_check_reads_little(django_assert_max_num_queries):
    case = china_case()
    phone = mobile(case)
    with django_assert_max_num_queries(3):  # holds, the numbers, the week's attempts
        check(case, contact_point=phone)
    with django_assert_max_num_queries(2):  # holds and the numbers: an SMS needs no counting
        check(case, Channel.SMS, contact_point=phone)


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the query plan is PostgreSQL's")
def test_the_attempt_count_uses_the_borrower_recent_index():
    case = china_case()
    phone = mobile(case)
    with CaptureQueriesContext(connection) as queries:
        check(case, contact_point=phone)
    # The borrower's recent attempts (the per-number query, which also reads attempts, is another index's).
    sql = next(
        query["sql"]
        for query in queries.captured_queries
        if "collection_contactattempt" in query["sql"] and "number_e164" not in query["sql"]
    )
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute("EXPLAIN " + sql)
        plan = "\n".join(row[0] for row in cursor.fetchall())
    assert "contact_borrower_recent_idx" in plan, plan


def test_docs_name_every_rule_and_only_tests_that_exist():
    docs = (Path(settings.BASE_DIR) / "docs" / "compliance.md").read_text()
    for rule in Rule:
        assert f"`{rule.value}`" in docs, rule
    modules = {
        "test_compliance.py": globals(),
        "test_portfolios.py": vars(test_portfolios),
    }
    named = re.findall(r"(test_\w+\.py)::(test_\w+)", docs)
    assert len(named) > 50
    for module, name in named:
        assert callable(modules[module].get(name)), f"{module}::{name}"


def test_a_wrong_number_logged_on_a_call_leaves_a_mark_on_the_number(collector):
    """The mark records who heard it and when, whatever later happens to the attempt rows."""
    case = CaseFactory(assigned_to=collector, team=collector.team)
    point = ContactPointFactory(borrower=case.borrower, value="13900007777", consent_sms=True)
    with time_machine.travel(datetime.datetime(2026, 12, 1, 10, 0, tzinfo=SHANGHAI), tick=False):
        contact_log(
            case=case,
            channel=Channel.CALL,
            contact_point=point,
            answered_by=AnsweredBy.THIRD_PARTY,
            outcome=Outcome.WRONG_NUMBER,
            actor=collector,
        )
    mark = PhoneNumberMark.objects.get()
    assert (mark.number_e164, mark.kind, mark.recorded_by) == ("+8613900007777", "wrong_number", collector)
