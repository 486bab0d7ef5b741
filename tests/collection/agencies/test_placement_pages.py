"""
The manager's placement pages: the team queue's "Place with agency" bulk
action and its confirmation (how many cases and what balance go to each
agency, which cannot be placed and why), the batches' list and a batch's
page with their recalls, the case page's "Agency" section, and who may open them.
"""

from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from accounts.roles import Role
from collection.agencies.placement import cases_place
from collection.models import (
    CaseStatus,
    CommissionKind,
    CommissionLine,
    Placement,
    PlacementBatch,
    PlacementStatus,
    RecallReason,
    Stage,
)
from lending.models import Payment
from lending.services import lender_today
from tests.collection.agencies import placement_fixtures
from tests.collection.agencies.factories import AgencyContractFactory, AgencyFactory, agency_user

# The shared fixtures (tests/collection/agencies/placement_fixtures.py).
agency, cases_of, contract = placement_fixtures.agency, placement_fixtures.cases_of, placement_fixtures.contract

pytestmark = pytest.mark.django_db

NEW = reverse("collection:placement_new")
BATCHES = reverse("collection:placement_batch_list")


def test_the_team_queue_offers_the_bulk_action_to_a_manager_only(client, manager, team_lead, cases_of):
    cases_of(1)
    client.force_login(manager)
    assert 'data-testid="place-with-agency"' in client.get(reverse("collection:team_queue")).text
    assert "Place every case matching the filter with an agency" in client.get(reverse("collection:team_queue")).text
    client.force_login(team_lead)
    response = client.get(reverse("collection:team_queue"))
    assert 'data-testid="place-with-agency"' not in response.text
    assert "with an agency" not in response.text


def test_ticked_cases_go_through_the_confirmation_to_a_batch(client, manager, cases_of, agency):
    good, other, closed = cases_of(3)
    closed.status, closed.closed_on, closed.close_outcome = CaseStatus.CLOSED, lender_today(), "cured"
    closed.save()
    client.force_login(manager)
    ids = [str(case.pk) for case in (good, other, closed)]

    chooser = client.post(NEW, {"case": ids, "next": "/cases/team/"})
    assert chooser.status_code == 200
    assert "3 cases selected." in chooser.text and "placement-plan" not in chooser.text

    form = {"case": ids, "rule": "single", "agencies": [str(agency.pk)], "note": "Spring batch"}
    preview = client.post(NEW, form)
    plan = preview.context["plan"]
    assert [(share["agency"], share["cases"], share["balance"]) for share in plan["shares"]] == [
        (agency, 2, Decimal("12150.00"))
    ]
    assert plan["refused"] == [{"pk": closed.pk, "number": closed.number, "reason": "the case is closed"}]
    assert "12,150.00 CNY" in preview.text and "Place 2 cases" in preview.text
    assert not Placement.objects.exists()  # nothing placed before the confirmation

    placed = client.post(NEW, {**form, "confirm": "1"})
    batch = PlacementBatch.objects.get()
    assert placed.status_code == 302 and placed["Location"] == reverse(
        "collection:placement_batch_detail", args=[batch.pk]
    )
    assert (batch.case_count, batch.note, batch.created_by) == (2, "Spring batch", manager)
    assert set(Placement.objects.values_list("case_id", flat=True)) == {good.pk, other.pk}


def test_every_case_matching_the_filter_and_a_rule_over_two_agencies(client, manager, cases_of, agency):
    second = AgencyContractFactory(agency=AgencyFactory(name="South Collect")).agency
    cases_of(4)
    cases_of(1, days_past_due=70, bucket="M3")
    client.force_login(manager)
    url = f"{NEW}?queue=team&bucket=M1"
    chooser = client.get(url)
    assert "4 cases selected." in chooser.text

    form = {"rule": "round_robin", "agencies": [str(agency.pk), str(second.pk)]}
    preview = client.post(url, form)
    assert [share["cases"] for share in preview.context["plan"]["shares"]] == [2, 2]
    response = client.post(url, {**form, "confirm": "1"})
    assert response["Location"] == BATCHES
    assert sorted(PlacementBatch.objects.values_list("case_count", "rule")) == [(2, "round_robin"), (2, "round_robin")]


def test_one_agency_only_with_the_single_rule(client, manager, cases_of, agency):
    second = AgencyContractFactory().agency
    (case,) = cases_of(1)
    client.force_login(manager)
    response = client.post(NEW, {"case": [case.pk], "rule": "single", "agencies": [agency.pk, second.pk]})
    assert "choose one, or a rule to share among several" in response.text
    assert "placement-plan" not in response.text


def test_nothing_selected_says_so(client, manager):
    client.force_login(manager)
    assert 'data-testid="placement-nothing"' in client.get(NEW).text


def _pay(placement, amount):
    account = placement.case.case_accounts.get().account
    payment = Payment.objects.create(
        external_id=f"PAY-{placement.pk}-{amount}",
        account=account,
        amount=Decimal(amount),
        received_at=timezone.now(),
        channel=Payment.Channel.AGENCY,
    )
    CommissionLine.objects.create(
        placement=placement,
        agency=placement.agency,
        payment=payment,
        kind=CommissionKind.PAYMENT,
        amount=Decimal(amount),
        rate=Decimal("0.1"),
        commission=Decimal(amount) / 10,
        occurred_at=timezone.now(),
    )


def test_the_batch_list_counts_and_sums_in_a_few_queries(
    client, manager, cases_of, agency, django_assert_max_num_queries
):
    for _ in range(3):
        batch = cases_place(case_ids=[case.pk for case in cases_of(2)], agency=agency, actor=manager)
    placements = list(batch.placements.select_related("case", "agency"))
    _pay(placements[0], "300.00")
    _pay(placements[1], "150.50")
    Placement.objects.filter(pk=placements[1].pk).update(
        status=PlacementStatus.RECALLED, recalled_at=timezone.now(), recall_reason=RecallReason.MANUAL
    )
    client.force_login(manager)
    with django_assert_max_num_queries(12):
        response = client.get(BATCHES)
    rows = {row.pk: row for row in response.context["batches"]}
    assert len(rows) == 3
    assert (rows[batch.pk].active_count, rows[batch.pk].recalled_count) == (1, 1)
    assert rows[batch.pk].collected == Decimal("450.50")
    assert "450.50 CNY" in response.text and batch.number in response.text


def test_the_batch_page_recalls_ticked_cases_then_the_rest(
    client, manager, cases_of, agency, django_assert_max_num_queries
):
    cases = cases_of(3)
    batch = cases_place(case_ids=[case.pk for case in cases], agency=agency, actor=manager)
    client.force_login(manager)
    url = reverse("collection:placement_batch_detail", args=[batch.pk])
    with django_assert_max_num_queries(12):
        page = client.get(url)
    assert len(page.context["placements"]) == 3 and "3 placed: 3 active, 0 recalled" in page.text
    first = Placement.objects.get(case=cases[0])

    recall = reverse("collection:placement_batch_recall", args=[batch.pk])
    response = client.post(recall, {"placement": [first.pk], "reason": "complaint", "note": "Too pushy"})
    assert response.status_code == 302
    first.refresh_from_db()
    assert (first.status, first.recall_reason, first.recall_note) == ("recalled", "complaint", "Too pushy")
    assert Placement.objects.filter(batch=batch, status=PlacementStatus.ACTIVE).count() == 2

    client.post(recall, {"all": "1", "reason": "manual"})
    assert not Placement.objects.filter(batch=batch, status=PlacementStatus.ACTIVE).exists()
    assert "3 placed: 0 active, 3 recalled" in client.get(url).text


def test_the_case_page_shows_the_placement_and_recalls_it(client, manager, collector, cases_of, agency):
    (case,) = cases_of(1)
    batch = cases_place(case_ids=[case.pk], agency=agency, actor=manager)
    placement = Placement.objects.get(case=case)
    page_url = reverse("collection:case_detail", args=[case.pk])

    client.force_login(collector)
    page = client.get(page_url)
    assert f"Placed with North Recoveries (batch {batch.number})" in page.text
    assert 'data-testid="placement-recall-form"' not in page.text

    client.force_login(manager)
    page = client.get(page_url)
    assert 'data-testid="placement-recall-form"' in page.text
    response = client.post(
        reverse("collection:placement_recall", args=[placement.pk]),
        {"reason": "manual", "note": "Back to us", "next": page_url},
    )
    assert response.status_code == 302 and response["Location"] == page_url
    case.refresh_from_db()
    assert case.stage == Stage.EARLY and case.agency is None
    page = client.get(page_url)
    assert 'data-testid="placement-history"' in page.text and "Recalled by a manager" in page.text
    assert 'data-testid="placement-place-link"' in page.text  # it may be placed again


def test_an_agency_agent_sees_no_placement_section(client, cases_of, agency, manager):
    (case,) = cases_of(1)
    cases_place(case_ids=[case.pk], agency=agency, actor=manager)
    client.force_login(agency_user(agency))
    page = client.get(reverse("collection:case_detail", args=[case.pk]))
    assert page.status_code == 200
    assert 'data-testid="case-placement"' not in page.text


@pytest.mark.parametrize("role", [Role.COLLECTOR, Role.TEAM_LEAD, Role.AGENCY_AGENT, Role.ADMIN])
def test_only_managers_open_the_placement_pages(client, user_of_role, role, cases_of, agency, manager):
    (case,) = cases_of(1)
    batch = cases_place(case_ids=[case.pk], agency=agency, actor=manager)
    placement = Placement.objects.get(case=case)
    client.force_login(user_of_role(role))
    for url in (BATCHES, NEW, reverse("collection:placement_batch_detail", args=[batch.pk])):
        assert client.get(url).status_code == 403
    assert (
        client.post(reverse("collection:placement_recall", args=[placement.pk]), {"reason": "manual"}).status_code
        == 403
    )
    assert client.post(NEW, {"case": [case.pk]}).status_code == 403


def test_the_agencies_page_lists_the_placements(client, manager):
    from accounts.navigation import nav_group_items_for

    links = {item["key"]: item["url"] for item in nav_group_items_for(manager, "agencies")}
    assert links["placements"] == BATCHES
