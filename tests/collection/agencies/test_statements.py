"""
The monthly commission statement: the month's lines in the lender's time
zone, totals equal to the sum of the lines (checked over random payments),
flat fees per case placed, drafts rebuilt, approved statements frozen, a late
line on the next statement, and the audit trail.
"""

import datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.db import transaction
from django.db.models import Sum
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from accounts.audit_text import audit_text
from accounts.models import AuditEvent
from collection.agencies.commission import cents, commission_lines_attribute
from collection.agencies.statements import (
    ALREADY_APPROVED,
    MONTH_NOT_OVER,
    MONTH_NOT_STARTED,
    NOT_A_MANAGER,
    STATEMENT_APPROVED,
    statement_approve,
    statement_generate,
)
from collection.errors import CollectionError
from collection.models import CommissionKind, CommissionLine, CommissionStatement, StatementStatus
from tests.collection.agencies.commission_factories import paid, placed_at, reversed_at
from tests.collection.agencies.factories import AgencyContractFactory, AgencyFactory

pytestmark = pytest.mark.django_db

SHANGHAI = ZoneInfo("Asia/Shanghai")
TODAY = datetime.datetime(2026, 3, 16, 10, 0, tzinfo=SHANGHAI)
FEBRUARY = datetime.date(2026, 2, 1)
MARCH = datetime.date(2026, 3, 1)


def at(month: int, day: int, hour: int = 10, minute: int = 0) -> datetime.datetime:
    return datetime.datetime(2026, month, day, hour, minute, tzinfo=SHANGHAI)


@pytest.fixture(autouse=True)
def mid_march():
    with time_machine.travel(TODAY, tick=False):
        yield


@pytest.fixture
def contract():
    return AgencyContractFactory(flat_fee_per_case=Decimal("15.00"))


def placed(contract, moment=None, **kwargs):
    return placed_at(moment or at(1, 20), contract=contract, days_past_due=75, **kwargs)


def sums(statement):
    return CommissionLine.objects.filter(statement=statement).aggregate(a=Sum("amount"), c=Sum("commission"))


def test_the_statement_takes_the_months_lines_and_totals_them(contract, manager):
    placement = placed(contract, bucket="M2")
    paid(placement, "100.00", at(2, 3))
    paid(placement, "12.25", at(2, 27))
    paid(placement, "70.00", at(1, 25))  # January's
    paid(placement, "80.00", at(3, 2))  # March's

    statement = statement_generate(agency=contract.agency, month=datetime.date(2026, 2, 14), actor=manager)

    assert (statement.period_start, statement.period_end, statement.status) == (
        FEBRUARY,
        datetime.date(2026, 2, 28),
        StatementStatus.DRAFT,
    )
    assert statement.line_count == 2
    assert statement.total_collected == Decimal("112.25")
    assert statement.total_commission == Decimal("11.23")  # 10.00 + 1.225 → 1.23
    assert statement.flat_fees == Decimal("0.00")  # placed in January
    assert statement.total_due == Decimal("11.23")
    assert sorted(statement.lines.values_list("amount", flat=True)) == [Decimal("12.25"), Decimal("100.00")]
    assert statement.created_by == manager


def test_the_month_is_the_lenders_the_first_and_last_minutes_in_shanghai(contract, manager):
    placement = placed(contract)
    first = paid(placement, "10.00", at(2, 1, 0, 0))  # 31 January 16:00 UTC
    last = paid(placement, "20.00", at(2, 28, 23, 59))
    march = paid(placement, "40.00", at(3, 1, 0, 0))

    statement = statement_generate(agency=contract.agency, month=FEBRUARY, actor=manager)

    on_it = set(statement.lines.values_list("payment_id", flat=True))
    assert on_it == {first.pk, last.pk}
    assert march.pk not in on_it


def test_flat_fees_are_the_contracts_fee_for_each_case_placed_in_the_month(contract, manager):
    for day in (2, 10, 28):
        placed(contract, at(2, day))
    placed(contract, at(1, 31))
    placed(contract, at(3, 1))
    dearer = AgencyContractFactory(agency=contract.agency, flat_fee_per_case=Decimal("40.00"))
    placed(dearer, at(2, 15))

    statement = statement_generate(agency=contract.agency, month=FEBRUARY, actor=manager)

    assert statement.flat_fees == Decimal("85.00")  # 3 × 15 + 40
    assert statement.total_due == statement.total_commission + Decimal("85.00")


def test_another_agencys_lines_are_not_on_the_statement(contract, manager):
    paid(placed(contract), "100.00", at(2, 3))
    other = placed(AgencyContractFactory())
    paid(other, "55.00", at(2, 3))

    statement = statement_generate(agency=contract.agency, month=FEBRUARY, actor=manager)

    assert statement.total_collected == Decimal("100.00")
    assert statement_generate(agency=other.agency, month=FEBRUARY, actor=manager).total_collected == Decimal("55.00")


def test_generating_attributes_the_payments_first(contract, manager):
    placement = placed(contract)
    payment = paid(placement, "100.00", at(2, 3))
    assert not CommissionLine.objects.exists()

    statement = statement_generate(agency=contract.agency, month=FEBRUARY, actor=manager)

    assert statement.lines.get().payment == payment


def test_a_draft_generated_again_is_rebuilt_with_what_arrived_since(contract, manager):
    placement = placed(contract)
    paid(placement, "100.00", at(2, 3))
    first = statement_generate(agency=contract.agency, month=FEBRUARY, actor=manager)
    paid(placement, "50.00", at(2, 20))  # imported late, received in February

    again = statement_generate(agency=contract.agency, month=FEBRUARY, actor=manager)

    assert again.pk == first.pk
    assert CommissionStatement.objects.count() == 1
    assert (again.line_count, again.total_collected) == (2, Decimal("150.00"))
    assert statement_generate(agency=contract.agency, month=FEBRUARY, actor=manager).line_count == 2


def test_an_empty_month_is_a_statement_of_zero(contract, manager):
    statement = statement_generate(agency=contract.agency, month=FEBRUARY, actor=manager)

    assert (statement.line_count, statement.total_collected, statement.total_due) == (0, 0, 0)


def test_a_month_that_has_not_started_is_refused(contract, manager):
    with pytest.raises(CollectionError) as refused:
        statement_generate(agency=contract.agency, month=datetime.date(2026, 4, 1), actor=manager)

    assert str(refused.value) == str(MONTH_NOT_STARTED)
    assert not CommissionStatement.objects.exists()


# --- Approval ---------------------------------------------------------------------


def test_approving_freezes_the_statement_and_is_audited(contract, manager):
    paid(placed(contract), "100.00", at(2, 3))
    statement = statement_generate(agency=contract.agency, month=FEBRUARY, actor=manager)

    approved = statement_approve(statement=statement, actor=manager)

    assert (approved.status, approved.approved_by, approved.approved_at) == (
        StatementStatus.APPROVED,
        manager,
        TODAY,
    )
    event = AuditEvent.objects.get(action="collection.statement.approved")
    assert (event.actor, event.target_repr) == (manager, statement.number)
    assert audit_text(event) == f"Commission statement {statement.number} approved: 1 line, 10.00 CNY due"
    generated = AuditEvent.objects.get(action="collection.statement.generated")
    assert audit_text(generated) == f"Commission statement {statement.number} generated: 1 line, 10.00 CNY due"


def test_an_approved_statement_is_refused_a_regeneration_and_a_second_approval(contract, manager):
    placement = placed(contract)
    paid(placement, "100.00", at(2, 3))
    statement = statement_approve(
        statement=statement_generate(agency=contract.agency, month=FEBRUARY, actor=manager), actor=manager
    )

    with pytest.raises(CollectionError) as refused:
        statement_generate(agency=contract.agency, month=FEBRUARY, actor=manager)
    assert str(refused.value) == str(STATEMENT_APPROVED)
    with pytest.raises(CollectionError) as again:
        statement_approve(statement=statement, actor=manager)
    assert str(again.value) == str(ALREADY_APPROVED)

    statement.refresh_from_db()
    assert (statement.line_count, statement.total_collected) == (1, Decimal("100.00"))


def test_a_month_not_over_is_not_approved(contract, manager):
    statement = statement_generate(agency=contract.agency, month=MARCH, actor=manager)

    with pytest.raises(CollectionError) as refused:
        statement_approve(statement=statement, actor=manager)

    assert str(refused.value) == str(MONTH_NOT_OVER)
    statement.refresh_from_db()
    assert statement.status == StatementStatus.DRAFT


def test_only_a_manager_of_agencies_approves(contract, manager, team_lead):
    statement = statement_generate(agency=contract.agency, month=FEBRUARY, actor=manager)

    with pytest.raises(CollectionError) as refused:
        statement_approve(statement=statement, actor=team_lead)

    assert str(refused.value) == str(NOT_A_MANAGER)
    assert not AuditEvent.objects.filter(action="collection.statement.approved").exists()


def test_a_clawback_after_the_approval_goes_on_the_next_statement(contract, manager):
    placement = placed(contract)
    payment = paid(placement, "100.00", at(2, 3))
    february = statement_approve(
        statement=statement_generate(agency=contract.agency, month=FEBRUARY, actor=manager), actor=manager
    )
    reversed_at(payment, at(3, 4))

    march = statement_generate(agency=contract.agency, month=MARCH, actor=manager)

    clawback = CommissionLine.objects.get(kind=CommissionKind.CLAWBACK)
    assert clawback.statement == march
    assert (march.total_collected, march.total_commission) == (Decimal("-100.00"), Decimal("-10.00"))
    february.refresh_from_db()
    assert (february.line_count, february.total_collected, february.total_commission) == (
        1,
        Decimal("100.00"),
        Decimal("10.00"),
    )


def test_a_february_line_that_arrives_after_februarys_approval_goes_on_march(contract, manager):
    placement = placed(contract)
    paid(placement, "100.00", at(2, 3))
    february = statement_approve(
        statement=statement_generate(agency=contract.agency, month=FEBRUARY, actor=manager), actor=manager
    )
    late = paid(placement, "30.00", at(2, 26))  # received in February, imported in March
    reversal = reversed_at(paid(placement, "20.00", at(2, 10)), at(2, 11))  # never attributed: no line at all
    pending = placed(AgencyContractFactory(agency=AgencyFactory()))
    paid(pending, "5.00", at(1, 25))  # another agency's January, whose statement was never generated

    march = statement_generate(agency=contract.agency, month=MARCH, actor=manager)

    assert list(march.lines.values_list("payment_id", flat=True)) == [late.pk]
    assert not CommissionLine.objects.filter(payment=reversal).exists()
    february.refresh_from_db()
    assert february.line_count == 1


def test_a_line_of_a_month_whose_statement_is_still_a_draft_stays_there(contract, manager):
    placement = placed(contract)
    paid(placement, "100.00", at(2, 3))
    february = statement_generate(agency=contract.agency, month=FEBRUARY, actor=manager)
    late = paid(placement, "30.00", at(2, 26))

    march = statement_generate(agency=contract.agency, month=MARCH, actor=manager)

    assert march.line_count == 0
    assert statement_generate(agency=contract.agency, month=FEBRUARY, actor=manager).line_count == 2
    assert CommissionLine.objects.get(payment=late).statement == february


# --- Totals over random payments ---------------------------------------------------------

payments = st.lists(
    st.tuples(
        st.decimals(min_value=Decimal("0.01"), max_value=Decimal("900.00"), places=2),
        st.integers(min_value=1, max_value=28),  # the day of February it was received
        st.sampled_from([None, "february", "march"]),  # reversed: never, in February, in March
    ),
    min_size=0,
    max_size=12,
)


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(payments=payments, rate=st.sampled_from(["0.0000", "0.0333", "0.1250", "0.1500", "1.0000"]))
def test_property_a_statements_totals_are_the_sums_of_its_lines(payments, rate, manager):
    with transaction.atomic():
        contract = AgencyContractFactory(tiers=[("", rate)], flat_fee_per_case=Decimal("7.50"))
        placement = placed(contract, at(1, 31, 23, 0))
        received = [paid(placement, amount, at(2, day, 9, index)) for index, (amount, day, _r) in enumerate(payments)]
        commission_lines_attribute()
        for index, (payment, (_amount, day, reversal)) in enumerate(zip(received, payments, strict=True)):
            if reversal == "february":
                reversed_at(payment, at(2, day, 20, index))
            elif reversal == "march":
                reversed_at(payment, at(3, 5, 9, index))

        february = statement_generate(agency=contract.agency, month=FEBRUARY, actor=manager)
        march = statement_generate(agency=contract.agency, month=MARCH, actor=manager)

        for statement in (february, march):
            lines = sums(statement)
            assert statement.line_count == statement.lines.count()
            assert statement.total_collected == cents(lines["a"])
            assert statement.total_commission == cents(lines["c"])
            assert statement.total_due == statement.total_commission + statement.flat_fees
        assert february.flat_fees == Decimal("0.00")  # placed on 31 January (Shanghai)
        # Every line is on exactly one statement; what February lost to a March reversal March gives back.
        assert CommissionLine.objects.filter(agency=contract.agency, statement__isnull=True).count() == 0
        kept = sum((amount for amount, _day, reversal in payments if reversal != "february"), Decimal("0"))
        march_reversed = sum((amount for amount, _day, reversal in payments if reversal == "march"), Decimal("0"))
        assert february.total_collected == kept
        assert march.total_collected == -march_reversed
        transaction.set_rollback(True)
