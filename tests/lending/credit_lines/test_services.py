"""Freezing, cutting and restoring a credit line: the account, its history and the outbox row move together."""

import datetime
from decimal import Decimal
from unittest import mock

import pytest
import time_machine

from accounts.models import AuditEvent
from lending.credit_lines.services import (
    LINE_NOT_RESTRICTED,
    credit_line_cut,
    credit_line_freeze,
    credit_line_restore,
    credit_lines_restore_due,
    months_before,
)
from lending.models import CoreSystemDelivery, CreditAccount, CreditLimitChange, CreditLineRestriction
from lending.services.errors import LendingError
from tests.lending.factories import account_with_schedule

pytestmark = pytest.mark.django_db

Reason = CreditLimitChange.Reason
Action = CreditLimitChange.Action


@pytest.fixture
def account():
    return account_with_schedule(
        external_id="ACC-1", credit_limit=Decimal("10000.00"), available_credit=Decimal("4000.00"), months=3
    )


def test_a_freeze_stops_the_line_and_queues_one_delivery(account, manager):
    change = credit_line_freeze(account=account, actor=manager, note="60 days late")

    account.refresh_from_db()
    assert (account.status, account.credit_limit, account.available_credit) == (
        CreditAccount.Status.FROZEN,
        Decimal("10000.00"),
        Decimal("0.00"),
    )
    assert (change.action, change.previous_limit, change.new_limit, change.reason, change.actor) == (
        Action.FREEZE,
        Decimal("10000.00"),
        Decimal("10000.00"),
        Reason.DELINQUENCY,
        manager,
    )
    delivery = CoreSystemDelivery.objects.get()
    assert delivery.limit_change == change
    assert delivery.status == CoreSystemDelivery.Status.PENDING
    assert delivery.payload == {
        "type": "credit_limit_change",
        "idempotency_key": delivery.idempotency_key,
        "account": "ACC-1",
        "action": "freeze",
        "previous_limit": "10000.00",
        "new_limit": "10000.00",
        "currency": "CNY",
        "status": "frozen",
        "reason": "delinquency",
        "changed_at": change.changed_at.isoformat(),
    }
    event = AuditEvent.objects.get(action="lending.credit_line.frozen")
    assert (event.actor, event.data["note"]) == (manager, "60 days late")


def test_a_frozen_line_is_not_frozen_twice(account):
    credit_line_freeze(account=account)
    assert credit_line_freeze(account=account) is None
    assert (CreditLimitChange.objects.count(), CoreSystemDelivery.objects.count()) == (1, 1)
    assert AuditEvent.objects.filter(action="lending.credit_line.frozen").count() == 1


def test_a_cut_lowers_the_limit_and_what_is_used_stays_used(account):
    change = credit_line_cut(account=account, new_limit=Decimal("7000"), reason=Reason.REVIEW)

    account.refresh_from_db()
    # 6,000 was used of 10,000: of a 7,000 limit, 1,000 is left.
    assert (account.status, account.credit_limit, account.available_credit) == (
        CreditAccount.Status.ACTIVE,
        Decimal("7000.00"),
        Decimal("1000.00"),
    )
    assert (change.action, change.previous_limit, change.new_limit) == (
        Action.CUT,
        Decimal("10000.00"),
        Decimal("7000.00"),
    )
    payload = CoreSystemDelivery.objects.get().payload
    assert (payload["new_limit"], payload["status"], payload["reason"]) == ("7000.00", "active", "review")


@pytest.mark.parametrize("new_limit", ["10000.00", "12000", "-1", "abc", "100.005"])
def test_a_cut_must_go_below_the_current_limit_and_not_below_zero(account, new_limit):
    with pytest.raises(LendingError) as refused:
        credit_line_cut(account=account, new_limit=new_limit)
    assert refused.value.field == "new_limit"
    assert "10000.00" in str(refused.value)
    assert (CreditLimitChange.objects.count(), CoreSystemDelivery.objects.count()) == (0, 0)


def test_cutting_again_to_the_same_limit_changes_nothing(account):
    credit_line_cut(account=account, new_limit="5000")
    assert credit_line_cut(account=account, new_limit="5000") is None
    assert CoreSystemDelivery.objects.count() == 1


def test_a_restore_gives_back_the_limit_before_the_first_action(account, manager):
    credit_line_cut(account=account, new_limit="6000")
    credit_line_freeze(account=account)
    credit_line_cut(account=account, new_limit="2000")

    change = credit_line_restore(account=account, actor=manager)

    account.refresh_from_db()
    # The limit of before the first cut; available: the limit less the 3,000 principal still unpaid.
    assert (account.status, account.credit_limit, account.available_credit) == (
        CreditAccount.Status.ACTIVE,
        Decimal("10000.00"),
        Decimal("7000.00"),
    )
    assert (change.action, change.previous_limit, change.new_limit, change.reason) == (
        Action.RESTORE,
        Decimal("2000.00"),
        Decimal("10000.00"),
        Reason.RESTORED,
    )
    assert list(CoreSystemDelivery.objects.order_by("id").values_list("payload__action", flat=True)) == [
        "cut",
        "freeze",
        "cut",
        "restore",
    ]
    assert not CreditLineRestriction.objects.filter(restored_at=None).exists()
    with pytest.raises(LendingError, match=str(LINE_NOT_RESTRICTED)):
        credit_line_restore(account=account)


def test_a_closed_account_line_is_not_changed(account):
    CreditAccount.objects.filter(pk=account.pk).update(status=CreditAccount.Status.CHARGED_OFF)
    with pytest.raises(LendingError, match="Charged off"):
        credit_line_freeze(account=account)
    assert CoreSystemDelivery.objects.count() == 0


def test_a_failing_outbox_write_leaves_neither_the_change_nor_the_account(account):
    failing = mock.patch.object(CoreSystemDelivery.objects, "create", side_effect=RuntimeError("disk full"))
    with failing, pytest.raises(RuntimeError):
        credit_line_freeze(account=account)
    account.refresh_from_db()
    assert (account.status, account.available_credit) == (CreditAccount.Status.ACTIVE, Decimal("4000.00"))
    assert (CreditLimitChange.objects.count(), CreditLineRestriction.objects.count()) == (0, 0)
    assert not AuditEvent.objects.filter(action__startswith="lending.credit_line").exists()


def test_a_failing_change_write_leaves_no_outbox_row(account):
    failing = mock.patch.object(CreditLimitChange.objects, "create", side_effect=RuntimeError("disk full"))
    with failing, pytest.raises(RuntimeError):
        credit_line_cut(account=account, new_limit="5000")
    account.refresh_from_db()
    assert account.credit_limit == Decimal("10000.00")
    assert CoreSystemDelivery.objects.count() == 0


# --- Restore after M months current ------------------------------------------------


def _pay_all_due(account, *, on: datetime.date, paid_on: datetime.date):
    """Every installment due before `on` paid off on `paid_on` (or on its due date, when that is later)."""
    for installment in account.installments.filter(due_on__lt=on):
        installment.principal_paid, installment.interest_paid = installment.principal_due, installment.interest_due
        installment.paid_off_on = max(paid_on, installment.due_on)
        installment.save()


@pytest.fixture
def frozen_in_march():
    """Opened 15 Jan 2026; the 15 Feb installment paid 40 days late (27 Mar); frozen 20 Mar."""
    account = account_with_schedule(external_id="ACC-F", months=12, opened_on=datetime.date(2026, 1, 15))
    with time_machine.travel(datetime.datetime(2026, 3, 20, 2, tzinfo=datetime.UTC)):
        credit_line_freeze(account=account)
    _pay_all_due(account, on=datetime.date(2026, 3, 1), paid_on=datetime.date(2026, 3, 27))
    return account


def test_a_line_current_for_three_months_is_restored(frozen_in_march):
    # Every installment since paid on its due date; current since 27 March.
    _pay_all_due(frozen_in_march, on=datetime.date(2026, 7, 1), paid_on=datetime.date(2026, 3, 27))
    assert credit_lines_restore_due(on=datetime.date(2026, 6, 26)) == {"lines_restored": 0}
    assert credit_lines_restore_due(on=datetime.date(2026, 6, 27)) == {"lines_restored": 1}
    frozen_in_march.refresh_from_db()
    assert (frozen_in_march.status, frozen_in_march.credit_limit) == (CreditAccount.Status.ACTIVE, Decimal("10000.00"))
    assert CoreSystemDelivery.objects.filter(payload__action="restore").count() == 1
    # The next night changes nothing.
    assert credit_lines_restore_due(on=datetime.date(2026, 6, 28)) == {"lines_restored": 0}


def test_a_line_late_again_within_the_months_is_not_restored(frozen_in_march):
    _pay_all_due(frozen_in_march, on=datetime.date(2026, 5, 1), paid_on=datetime.date(2026, 3, 27))
    # The 15 May installment paid three days late: current only since 18 May.
    may = frozen_in_march.installments.get(due_on=datetime.date(2026, 5, 15))
    _pay_all_due(frozen_in_march, on=datetime.date(2026, 5, 16), paid_on=datetime.date(2026, 5, 18))
    _pay_all_due(frozen_in_march, on=datetime.date(2026, 9, 1), paid_on=datetime.date(2026, 5, 18))
    may.refresh_from_db()
    assert may.paid_off_on == datetime.date(2026, 5, 18)
    assert credit_lines_restore_due(on=datetime.date(2026, 8, 17)) == {"lines_restored": 0}
    assert credit_lines_restore_due(on=datetime.date(2026, 8, 18)) == {"lines_restored": 1}


def test_a_line_still_overdue_is_not_restored(frozen_in_march):
    CreditAccount.objects.filter(pk=frozen_in_march.pk).update(days_past_due=5, overdue_principal=Decimal("1000"))
    assert credit_lines_restore_due(on=datetime.date(2027, 1, 1)) == {"lines_restored": 0}


def test_a_line_frozen_on_review_waits_for_a_person(account):
    credit_line_freeze(account=account, reason=Reason.REVIEW)
    assert credit_lines_restore_due(on=datetime.date(2030, 1, 1), months=3) == {"lines_restored": 0}


def test_the_months_come_from_the_settings(frozen_in_march, settings):
    _pay_all_due(frozen_in_march, on=datetime.date(2026, 12, 1), paid_on=datetime.date(2026, 3, 27))
    settings.CREDIT_LINE_RESTORE_AFTER_MONTHS = 6
    assert credit_lines_restore_due(on=datetime.date(2026, 9, 26)) == {"lines_restored": 0}
    assert credit_lines_restore_due(on=datetime.date(2026, 9, 27)) == {"lines_restored": 1}


def test_a_night_with_nothing_to_restore_costs_one_query(frozen_in_march, django_assert_num_queries):
    with django_assert_num_queries(1):
        assert credit_lines_restore_due(on=datetime.date(2026, 4, 1)) == {"lines_restored": 0}


@pytest.mark.parametrize(
    ("day", "months", "expected"),
    [
        (datetime.date(2026, 6, 27), 3, datetime.date(2026, 3, 27)),
        (datetime.date(2026, 5, 31), 3, datetime.date(2026, 2, 28)),
        (datetime.date(2026, 2, 15), 3, datetime.date(2025, 11, 15)),
    ],
)
def test_months_before(day, months, expected):
    assert months_before(day, months) == expected
