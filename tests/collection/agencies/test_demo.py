"""The demo's agencies: two agencies, their contracts and users, placed late cases, their work, commission."""

import datetime
import zoneinfo

import pytest
import time_machine
from django.core.management import call_command
from django.db.models import Sum
from django.utils import timezone

from accounts.demo import demo_staff_ensure
from collection.agencies.performance import agencies_compare
from collection.demo import collection_demo_seed
from collection.demo.agencies import AGENCIES_EXIST, agencies_demo
from collection.lifecycle import collection_nightly_run
from collection.models import (
    Agency,
    AgencyMember,
    Case,
    Channel,
    CommissionLine,
    CommissionStatement,
    ContactAttempt,
    Placement,
    PlacementStatus,
    RecallReason,
    Stage,
    StatementStatus,
    TierBasis,
)
from collection.selectors.cases import cases_visible_to
from lending.demo.services import demo_portfolio_seed
from tests.collection.factories import PortfolioFactory

pytestmark = pytest.mark.django_db

# Mid-afternoon in Shanghai: the lender's day is 2026-11-28.
NOW = datetime.datetime(2026, 11, 28, 7, 0, tzinfo=datetime.UTC)
TODAY = datetime.date(2026, 11, 28)


@pytest.fixture
def agencies(db):
    with time_machine.travel(NOW, tick=False):
        PortfolioFactory()
        demo_portfolio_seed(accounts=600, seed=3, as_of=timezone.localdate())
        demo_staff_ensure()
        collection_demo_seed(seed=3, today=timezone.localdate(), lifecycle=collection_nightly_run)
        counts = agencies_demo(seed=1, today=timezone.localdate())
    return counts


def test_two_agencies_with_their_contracts_and_users(agencies):
    hx, jd = Agency.objects.get(code="HXCS"), Agency.objects.get(code="JDZC")
    assert (hx.name, jd.name) == ("华信催收服务有限公司", "金盾资产管理有限公司")
    assert hx.licence_number and jd.licence_number and hx.registration_number
    hx_contract, jd_contract = hx.contracts.get(), jd.contracts.get()
    assert (hx_contract.tier_basis, jd_contract.tier_basis) == (TierBasis.BUCKET, TierBasis.DAYS_PLACED)
    assert set(hx_contract.visible_fields) != set(jd_contract.visible_fields)
    assert jd_contract.regions and not hx_contract.regions
    members = {
        m.user.username: (m.agency.code, m.is_supervisor) for m in AgencyMember.objects.select_related("user", "agency")
    }
    assert members == {"agency": ("HXCS", False), "agency-lead": ("HXCS", True), "agency2": ("JDZC", False)}
    assert hx.last_evaluated_on == TODAY - datetime.timedelta(days=345)  # due within the month: the hub says so


def test_late_cases_are_placed_weeks_back_and_the_agency_user_sees_them(agencies):
    placements = Placement.objects.select_related("case", "agency", "case__borrower")
    assert agencies["cases placed"] == placements.count() >= 9
    for placement in placements:
        assert placement.stage_before == Stage.LATE
        assert placement.placed_on < TODAY - datetime.timedelta(days=20)
        assert timezone.localtime(placement.placed_at).date() == placement.placed_on
    jd = placements.filter(agency__code="JDZC")
    assert jd.exists()
    regions = set(Agency.objects.get(code="JDZC").contracts.get().regions)
    assert {placement.case.borrower.province for placement in jd} <= regions
    from accounts.models import User

    agent = User.objects.get(username="agency")
    visible = cases_visible_to(agent, Case.objects.all())
    assert visible.exists()
    assert set(visible.values_list("agency__code", flat=True)) == {"HXCS"}
    assert not visible.exclude(stage=Stage.AGENCY).exists()
    assert Placement.objects.filter(agent=agent, status=PlacementStatus.ACTIVE).exists()  # the supervisor gave some


def test_the_agencies_call_inside_contact_hours_and_earn_commission_on_payments(agencies):
    calls = ContactAttempt.objects.filter(actor__agency_membership__isnull=False).select_related("borrower")
    assert calls.count() == agencies["agency calls"] > 0
    for call in calls:
        assert call.channel == Channel.CALL
        local = call.occurred_at.astimezone(zoneinfo.ZoneInfo(call.borrower.time_zone))
        assert datetime.time(8) <= local.time() < datetime.time(22)
        placement = Placement.objects.get(case=call.case_id, placed_at__lte=call.occurred_at)
        assert placement.agency.members.filter(user=call.actor_id).exists()
    assert agencies["agency promises"] > 0
    lines = CommissionLine.objects.select_related("placement", "payment")
    assert lines.count() == agencies["commission lines"] > 0
    for line in lines:
        assert line.placement.placed_at <= line.payment.received_at
        assert line.commission > 0


def test_one_case_is_recalled_and_last_months_statement_is_approved(agencies):
    recalled = Placement.objects.get(status=PlacementStatus.RECALLED)
    assert recalled.recall_reason == RecallReason.MANUAL
    assert recalled.case.agency_id is None and recalled.case.stage != Stage.AGENCY
    statement = CommissionStatement.objects.get()
    assert (statement.agency.code, statement.period_start) == ("HXCS", datetime.date(2026, 10, 1))
    assert statement.status == StatementStatus.APPROVED
    assert statement.lines.count() == statement.line_count
    assert statement.total_commission == statement.lines.aggregate(total=Sum("commission"))["total"]


def test_the_comparison_shows_both_agencies_with_figures(agencies):
    rows = {row["agency"].code: row["figures"] for row in agencies_compare(today=TODAY)}
    assert set(rows) == {"HXCS", "JDZC"}
    assert rows["HXCS"].collected > 0 and rows["HXCS"].contacts > 0
    assert rows["JDZC"].cases > 0


def test_it_loads_only_once(agencies):
    with pytest.raises(ValueError, match=str(AGENCIES_EXIST)):
        agencies_demo(seed=1)
    placements = Placement.objects.count()
    call_command("seed_demo_agencies", "--if-empty", stdout=open("/dev/null", "w"))  # noqa: SIM115
    assert Placement.objects.count() == placements
