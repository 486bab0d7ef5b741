"""Queuing a day's reminders: which accounts, which moment, one message each, set-based."""

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from collection.models import MessageOrigin, MessageStatus, OutboundMessage, ReminderRule
from collection.reminders.defaults import DEFAULT_SCHEDULE
from collection.reminders.queueing import reminders_queue
from lending.models import CreditAccount
from tests.collection.reminders.conftest import DUE, NEW_YORK, SHANGHAI, reminder_account
from tests.lending.factories import CreditProductFactory

pytestmark = pytest.mark.django_db

THREE_BEFORE = DUE - datetime.timedelta(days=3)
# The nightly run queues at 01:30 in the lender's zone.
NIGHT_RUN = datetime.datetime.combine(THREE_BEFORE, datetime.time(1, 30), tzinfo=SHANGHAI)


def test_the_default_schedule_is_installed():
    rules = ReminderRule.objects.filter(product__isnull=True)
    assert sorted(rules.values_list("offset_days", "channel", "kind")) == sorted(DEFAULT_SCHEDULE)
    assert all(rules.values_list("is_active", flat=True))


def test_it_queues_one_reminder_three_days_before_the_due_date(shanghai_account):
    counts = reminders_queue(on=THREE_BEFORE, now=NIGHT_RUN)

    message = OutboundMessage.objects.get()
    rule = ReminderRule.objects.get(product__isnull=True, offset_days=-3)
    assert counts["queued"] == 1
    assert message.idempotency_key == f"reminder:{shanghai_account.pk}:{rule.pk}:{DUE.isoformat()}"
    assert (message.origin, message.kind, message.channel, message.status) == (
        MessageOrigin.REMINDER,
        "pre_due_reminder",
        "sms",
        MessageStatus.QUEUED,
    )
    assert message.account == shanghai_account and message.case is None
    assert message.contact_point.kind == "mobile"
    assert message.installment_due_on == DUE and message.reminder_rule == rule
    assert message.body == "" and message.recipient == ""  # rendered when it is sent
    # 10:00 in the borrower's zone on the day.
    assert message.scheduled_for == datetime.datetime.combine(THREE_BEFORE, datetime.time(10), tzinfo=SHANGHAI)


def test_a_second_run_the_same_day_queues_nothing(shanghai_account):
    reminders_queue(on=THREE_BEFORE, now=NIGHT_RUN)
    again = reminders_queue(on=THREE_BEFORE, now=NIGHT_RUN + datetime.timedelta(hours=5))

    assert again["queued"] == 0
    assert OutboundMessage.objects.count() == 1


def test_on_the_due_date_sms_and_email_go_to_who_has_an_address():
    with_email = reminder_account(email=True)
    reminder_account()

    reminders_queue(on=DUE, now=NIGHT_RUN)

    assert OutboundMessage.objects.filter(kind="due_today_reminder", channel="sms").count() == 2
    emails = OutboundMessage.objects.filter(channel="email")
    assert [(message.account_id, message.contact_point.kind) for message in emails] == [(with_email.pk, "email")]


def test_after_the_due_date_only_what_is_still_overdue(shanghai_account):
    paid = reminder_account()
    paid.installments.update(paid_off_on=DUE)
    closed = reminder_account()
    CreditAccount.objects.filter(pk=closed.pk).update(status=CreditAccount.Status.CLOSED)

    reminders_queue(on=DUE + datetime.timedelta(days=3), now=NIGHT_RUN)

    assert list(OutboundMessage.objects.values_list("account_id", "kind")) == [
        (shanghai_account.pk, "overdue_reminder")
    ]


def test_the_obviously_unreachable_are_skipped():
    reminder_account(verified=False)
    no_mobile = reminder_account()
    no_mobile.borrower.contact_points.update(do_not_contact=True)
    deceased = reminder_account()
    deceased.borrower.is_deceased = True
    deceased.borrower.save()

    assert reminders_queue(on=THREE_BEFORE, now=NIGHT_RUN)["queued"] == 0


def test_a_product_with_its_own_schedule_follows_it_alone(shanghai_account):
    own = CreditProductFactory(code="own-schedule")
    theirs = reminder_account(product=own)
    ReminderRule.objects.create(product=own, offset_days=-2, channel="sms", kind="pre_due_reminder")

    reminders_queue(on=THREE_BEFORE, now=NIGHT_RUN)
    reminders_queue(on=DUE - datetime.timedelta(days=2), now=NIGHT_RUN)

    assert sorted(OutboundMessage.objects.values_list("account_id", "installment_due_on")) == sorted(
        [(shanghai_account.pk, DUE), (theirs.pk, DUE)]
    )
    assert OutboundMessage.objects.get(account=theirs).reminder_rule.product == own


def test_a_deactivated_reminder_queues_nothing(shanghai_account):
    ReminderRule.objects.filter(product__isnull=True, offset_days=-3).update(is_active=False)

    assert reminders_queue(on=THREE_BEFORE, now=NIGHT_RUN)["queued"] == 0


class TestTimeZonesAndQuietHours:
    def test_a_reminder_queued_at_23_in_shanghai_goes_at_8_the_next_morning(self, shanghai_account):
        late = datetime.datetime.combine(THREE_BEFORE, datetime.time(23), tzinfo=SHANGHAI)

        reminders_queue(on=THREE_BEFORE, now=late)

        moment = OutboundMessage.objects.get().scheduled_for
        assert moment.astimezone(SHANGHAI) == datetime.datetime.combine(
            THREE_BEFORE + datetime.timedelta(days=1), datetime.time(8), tzinfo=SHANGHAI
        )

    def test_at_that_moment_new_york_is_at_10_in_the_morning_and_it_goes_at_once(self, new_york_account):
        late = datetime.datetime.combine(THREE_BEFORE, datetime.time(23), tzinfo=SHANGHAI)  # 11:00 in New York

        reminders_queue(on=THREE_BEFORE, now=late)

        assert OutboundMessage.objects.get().scheduled_for == late

    def test_each_borrower_gets_it_at_10_in_their_own_zone(self, shanghai_account, new_york_account):
        reminders_queue(on=THREE_BEFORE, now=NIGHT_RUN)  # 12:30 the day before, in New York

        moments = dict(OutboundMessage.objects.values_list("account_id", "scheduled_for"))
        assert moments[shanghai_account.pk].astimezone(SHANGHAI).time() == datetime.time(10)
        assert moments[new_york_account.pk].astimezone(NEW_YORK) == datetime.datetime.combine(
            THREE_BEFORE, datetime.time(10), tzinfo=NEW_YORK
        )

    def test_a_borrower_with_no_zone_of_their_own_is_read_from_their_address(self):
        reminder_account(time_zone="", province="New York")

        reminders_queue(on=THREE_BEFORE, now=NIGHT_RUN)

        assert OutboundMessage.objects.get().scheduled_for.astimezone(NEW_YORK).time() == datetime.time(10)


def _queries_to_queue(accounts: int) -> int:
    for _ in range(accounts):
        reminder_account()
    OutboundMessage.objects.all().delete()
    with CaptureQueriesContext(connection) as queries:
        counts = reminders_queue(on=THREE_BEFORE, now=NIGHT_RUN)
    assert counts["queued"] == OutboundMessage.objects.count()
    OutboundMessage.objects.all().delete()
    return len(queries)


def test_queuing_is_set_based_the_same_queries_for_3_accounts_as_for_30():
    few = _queries_to_queue(3)
    many = _queries_to_queue(27)

    assert OutboundMessage.objects.count() == 0
    assert few == many
    assert few <= 20
