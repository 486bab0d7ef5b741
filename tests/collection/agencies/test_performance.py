"""The agencies and their batches side by side: liquidation by weeks, contacts, promises, complaints, refusals."""

import csv
import datetime
import io
from decimal import Decimal

import pytest
import time_machine
from django.urls import reverse

from collection.agencies.performance import agencies_compare, agency_liquidation_rates, batch_figures
from collection.models import (
    AnsweredBy,
    Channel,
    CommissionKind,
    CommissionLine,
    ContactRefusal,
    Direction,
    HoldKind,
    Placement,
    PlacementBatch,
    PromiseStatus,
)
from lending.models import Payment
from tests.collection.agencies.factories import AgencyContractFactory, AgencyFactory, agency_user, placed_case
from tests.collection.factories import ContactAttemptFactory, HoldFactory, PromiseToPayFactory

pytestmark = pytest.mark.django_db

NOW = datetime.datetime(2026, 12, 6, 4, 0, tzinfo=datetime.UTC)  # noon in Shanghai
TODAY = datetime.date(2026, 12, 6)


@pytest.fixture(autouse=True)
def _now():
    with time_machine.travel(NOW, tick=False):
        yield


def placed_ago(days: int, **kwargs) -> Placement:
    """A case placed `days` days ago (a batch of its own unless `batch`)."""
    placement = placed_case(**kwargs)
    placed_at = NOW - datetime.timedelta(days=days)
    Placement.objects.filter(pk=placement.pk).update(placed_at=placed_at, placed_on=placed_at.date())
    PlacementBatch.objects.filter(pk=placement.batch_id).update(placed_on=placed_at.date())
    placement.refresh_from_db()
    return placement


def collected(placement: Placement, amount: str, *, days_after: float, kind=CommissionKind.PAYMENT, payment=None):
    at = placement.placed_at + datetime.timedelta(days=days_after)
    if payment is None:
        payment = Payment.objects.create(
            external_id=f"P-{placement.pk}-{amount}-{days_after}",
            account=placement.case.case_accounts.first().account,
            amount=abs(Decimal(amount)),
            received_at=at,
            channel=Payment.Channel.APP,
        )
    CommissionLine.objects.create(
        placement=placement,
        agency=placement.agency,
        payment=payment,
        kind=kind,
        amount=Decimal(amount),
        rate=Decimal("0.1"),
        commission=Decimal(amount) / 10,
        currency=placement.currency,
        occurred_at=at,
    )
    return payment


@pytest.fixture
def floor(collector):
    """Agency HX: two cases placed 9 weeks ago with payments, contacts and promises; JD: one case last week."""
    hx_contract = AgencyContractFactory(agency__code="HX", agency__name="华信催收服务有限公司")
    first = placed_ago(63, contract=hx_contract)
    second = placed_ago(63, contract=hx_contract, batch=first.batch)
    PlacementBatch.objects.filter(pk=first.batch_id).update(case_count=2, balance_placed=Decimal("12150.00"))
    agent = agency_user(hx_contract.agency, username="hx-agent")
    payment = collected(first, "1000.00", days_after=3)
    collected(second, "500.00", days_after=20)
    collected(first, "-200.00", days_after=35, kind=CommissionKind.CLAWBACK, payment=payment)

    during = first.placed_at + datetime.timedelta(days=2)
    for answered_by in (AnsweredBy.BORROWER, AnsweredBy.BORROWER, AnsweredBy.NOBODY):
        ContactAttemptFactory(case=first.case, actor=agent, answered_by=answered_by, occurred_at=during)
    ContactAttemptFactory(case=first.case, actor=agent, direction=Direction.INBOUND, occurred_at=during)
    ContactAttemptFactory(case=first.case, actor=collector, occurred_at=during)  # the lender's, not the agency's
    ContactAttemptFactory(
        case=first.case, actor=agent, occurred_at=first.placed_at - datetime.timedelta(days=1)
    )  # before the placement
    for status in (PromiseStatus.KEPT, PromiseStatus.BROKEN, PromiseStatus.PENDING):
        PromiseToPayFactory(case=second.case, created_by=agent, created_at=during, status=status)
    PromiseToPayFactory(case=second.case, created_by=collector, created_at=during, status=PromiseStatus.BROKEN)
    HoldFactory(case=first.case, kind=HoldKind.COMPLAINT, started_at=during)
    HoldFactory(case=second.case, kind=HoldKind.DISPUTE, started_at=during)
    for actor in (agent, collector):
        ContactRefusal.objects.create(
            case=first.case,
            borrower=first.case.borrower,
            channel=Channel.CALL,
            rule="contact_hours",
            reason="outside contact hours",
            action="call",
            refused_at=during,
            contact_at=during,
            actor=actor,
        )
    jd = placed_ago(8, contract=AgencyContractFactory(agency__code="JD", agency__name="金盾资产管理有限公司"))
    return {"hx": first, "jd": jd}


def test_an_agencys_figures_count_its_placements_payments_and_its_own_members_work(floor):
    rows = {row["agency"].code: row for row in agencies_compare(today=TODAY)}
    hx = rows["HX"]["figures"]
    assert (hx.cases, hx.balance, hx.collected) == (2, Decimal("12150.00"), Decimal("1300.00"))
    assert hx.liquidation == Decimal("0.1070")
    assert dict(hx.liquidation_by_week) == {
        1: Decimal("0.0823"),  # 1,000 in the first week
        2: Decimal("0.0823"),
        4: Decimal("0.1235"),  # and 500 in the third
        8: Decimal("0.1070"),  # less the 200 reversed in the fifth
        12: None,  # placed 9 weeks ago: not old enough
    }
    assert (hx.contacts, hx.rpc, hx.rpc_rate) == (3, 2, Decimal("0.6667"))
    assert (hx.promises_due, hx.promises_kept, hx.promise_kept_rate) == (2, 1, Decimal("0.5000"))
    assert (hx.complaints, hx.refusals) == (1, 1)
    assert rows["HX"]["currency"] == "CNY"


def test_a_young_batch_has_no_figure_for_weeks_not_reached(floor):
    jd = {row["agency"].code: row for row in agencies_compare(today=TODAY)}["JD"]["figures"]
    assert jd.cases == 1 and jd.collected == Decimal("0.00")
    assert dict(jd.liquidation_by_week) == {1: Decimal("0.0000"), 2: None, 4: None, 8: None, 12: None}
    assert jd.rpc_rate is None and jd.promise_kept_rate is None


def test_the_best_liquidation_comes_first_and_an_agency_without_placements_shows_too(floor):
    AgencyFactory(code="NEW", name="New agency")
    codes = [row["agency"].code for row in agencies_compare(today=TODAY)]
    assert codes[0] == "HX"
    assert set(codes) == {"HX", "JD", "NEW"}


def test_a_recalled_placement_stops_counting_what_happens_after(floor):
    placement = floor["hx"]
    recalled_at = placement.placed_at + datetime.timedelta(days=1)
    Placement.objects.filter(pk=placement.pk).update(status="recalled", recalled_at=recalled_at)
    figures = batch_figures(today=TODAY)[placement.batch_id]
    assert figures.contacts == 0  # all were on day 2, after the recall
    assert figures.cases == 2 and figures.active == 1


def test_agency_liquidation_rates_for_the_allocation_by_performance(floor):
    hx, jd = floor["hx"].agency, floor["jd"].agency
    newcomer = AgencyFactory()
    assert agency_liquidation_rates([hx, jd, newcomer]) == {
        hx.pk: Decimal("0.1070"),
        jd.pk: Decimal("0"),
        newcomer.pk: Decimal("0"),
    }


def test_the_page_shows_both_tables_in_a_fixed_number_of_queries(client, manager, floor, django_assert_max_num_queries):
    client.force_login(manager)
    with django_assert_max_num_queries(15) as few:
        response = client.get(reverse("collection:agency_performance"))
    assert response.status_code == 200
    html = response.text
    hx = html.split('data-agency="HX"')[1].split("data-agency=")[0].split("</tbody>")[0]
    assert "华信催收服务有限公司" in hx
    assert "12,150.00 CNY" in hx and "1,300.00 CNY" in hx
    assert "10.7%" in hx and "66.7%" in hx and "50.0%" in hx
    batches = html.split('data-testid="batch-comparison"')[1]
    assert floor["hx"].batch.number in batches and floor["jd"].batch.number in batches
    for _ in range(4):  # more agencies and batches: no more queries
        placed_ago(20)
    with django_assert_max_num_queries(len(few.captured_queries)):
        assert client.get(reverse("collection:agency_performance")).status_code == 200


def test_the_batches_filter_by_agency(client, manager, floor):
    client.force_login(manager)
    response = client.get(reverse("collection:agency_performance"), {"agency": floor["jd"].agency_id})
    batches = response.text.split('data-testid="batch-comparison"')[1]
    assert floor["jd"].batch.number in batches
    assert floor["hx"].batch.number not in batches
    assert 'data-agency="HX"' in response.text  # the agencies' table still compares them all


def test_both_tables_download_as_csv(client, manager, floor):
    client.force_login(manager)
    response = client.get(reverse("collection:agency_performance_csv", args=["agencies"]))
    assert response["Content-Type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode("utf-8-sig"))))
    assert rows[0][:5] == ["Agency", "Code", "Status", "Currency", "Cases placed"]
    hx = next(row for row in rows if row[1] == "HX")
    assert hx[0] == "华信催收服务有限公司" and hx[8] == "0.1070"
    response = client.get(
        reverse("collection:agency_performance_csv", args=["batches"]), {"agency": floor["hx"].agency_id}
    )
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode("utf-8-sig"))))
    assert [row[0] for row in rows[1:]] == [floor["hx"].batch.number]
    assert client.get(reverse("collection:agency_performance_csv", args=["other"])).status_code == 404


def test_the_performance_pages_are_for_managers(client, collector):
    client.force_login(collector)
    assert client.get(reverse("collection:agency_performance")).status_code == 403
    assert client.get(reverse("collection:agency_performance_csv", args=["agencies"])).status_code == 403
