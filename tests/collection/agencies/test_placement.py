"""
Placing cases with an agency (collection/agencies/placement.py): what a
placement records, each case it refuses and why, the case leaving the
lender's queues and Next case, one batch's writes in a fixed number of
queries whatever its size, and placing again after a recall.
"""

import datetime
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from accounts.models import AuditEvent
from collection.agencies.placement import (
    CASELOAD,
    CLOSED,
    CURRENCY,
    IN_LEGAL,
    MISSING,
    ON_HOLD,
    PLACED,
    PRODUCT,
    REGION,
    PlacementRefused,
    cases_place,
    contract_in_force,
)
from collection.agencies.recall import case_recall
from collection.errors import CollectionError
from collection.models import (
    AgencyStatus,
    CaseEvent,
    CaseStatus,
    Placement,
    PlacementStatus,
    RecallReason,
    Stage,
    StageChange,
)
from collection.services.next_case import next_case_take
from collection.timeline import event_text
from lending.services import lender_today
from tests.collection.agencies import placement_fixtures
from tests.collection.agencies.factories import AgencyContractFactory, AgencyFactory, placed_case
from tests.collection.factories import HoldFactory
from tests.lending.factories import CreditProductFactory

# The shared fixtures (tests/collection/agencies/placement_fixtures.py).
agency, cases_of, contract = placement_fixtures.agency, placement_fixtures.cases_of, placement_fixtures.contract

pytestmark = pytest.mark.django_db


def test_placing_records_the_balance_the_dates_and_moves_the_cases(cases_of, agency, contract, manager):
    first, second = cases_of(2)
    batch = cases_place(case_ids=[first.pk, second.pk], agency=agency, actor=manager, note="Q2 late book")

    today = lender_today()
    assert batch.number == f"P-{today.year}-{batch.pk:05d}"
    assert (batch.case_count, batch.balance_placed, batch.currency) == (2, Decimal("12150.00"), "CNY")
    assert batch.recall_due_on == today + datetime.timedelta(days=contract.placement_days)
    placement = Placement.objects.get(case=first)
    assert placement.status == PlacementStatus.ACTIVE
    assert (placement.agency, placement.contract, placement.batch) == (agency, contract, batch)
    assert placement.placed_on == today and placement.recall_due_on == batch.recall_due_on
    assert placement.balance_at_placement == first.outstanding_balance
    assert placement.overdue_at_placement == first.overdue_total
    assert (placement.bucket_at_placement, placement.days_past_due_at_placement) == ("M1", 15)
    assert placement.stage_before == Stage.EARLY

    first.refresh_from_db()
    assert (first.stage, first.agency) == (Stage.AGENCY, agency)
    assert first.assigned_to is not None  # the collector keeps the case for when it comes back
    change = StageChange.objects.filter(case=first).latest("id")
    assert (change.from_stage, change.to_stage, change.actor) == (Stage.EARLY, Stage.AGENCY, manager)
    line = CaseEvent.objects.get(case=first, code="placed")
    assert line.actor == manager and line.data["from"] == Stage.EARLY
    assert event_text(line) == (
        f"Placed with North Recoveries (batch {batch.number}), recall due {batch.recall_due_on:%m/%d/%Y}"
    )
    audit = AuditEvent.objects.get(action="collection.placement.placed")
    assert audit.data["cases"] == 2 and audit.data["balance"] == "12150.00"
    assert audit.target_repr == batch.number


def test_a_chinese_reader_reads_the_line_in_chinese(cases_of, agency, manager):
    from django.utils import translation

    (case,) = cases_of(1)
    cases_place(case_ids=[case.pk], agency=agency, actor=manager)
    line = CaseEvent.objects.get(case=case, code="placed")
    with translation.override("zh-hans"):
        text = event_text(line)
    assert "North Recoveries" in text  # the agency's name is a fact; the sentence is the reader's


def _closed(case, **_):
    case.status, case.closed_on, case.close_outcome = CaseStatus.CLOSED, lender_today(), "cured"
    case.save()


def _placed(case, agency, **_):
    placed_case(case=case, contract=AgencyContractFactory())


def _held(case, **_):
    HoldFactory(case=case)
    case.status = CaseStatus.ON_HOLD
    case.save()


def _legal(case, **_):
    case.stage = Stage.LEGAL
    case.save()


def _elsewhere(case, contract, **_):
    contract.regions = ["北京市", "天津市"]
    contract.save()
    case.borrower.province = "上海市"
    case.borrower.save()


def _other_product(case, contract, good, **_):
    contract.products.add(good.case_accounts.get().account.product)
    account = case.case_accounts.get().account
    account.product = CreditProductFactory(code="other")
    account.save()


def _other_currency(case, **_):
    case.currency = "USD"
    case.save()


@pytest.mark.parametrize(
    ("make_bad", "code", "words"),
    [
        (_closed, CLOSED, "the case is closed"),
        (_placed, PLACED, "already placed with an agency"),
        (_held, ON_HOLD, "the case is on hold"),
        (_legal, IN_LEGAL, "the case is with legal"),
        (_elsewhere, REGION, "outside the contract's regions"),
        (_other_product, PRODUCT, "not one the contract covers"),
        (_other_currency, CURRENCY, "another currency"),
    ],
)
def test_placing_refuses_each_bad_case_with_the_reason(cases_of, agency, contract, manager, make_bad, code, words):
    good, bad = cases_of(2)
    make_bad(bad, agency=agency, contract=contract, good=good)
    with pytest.raises(PlacementRefused) as refused:
        cases_place(case_ids=[good.pk, bad.pk], agency=agency, actor=manager)
    assert refused.value.refusals == {bad.pk: code}
    assert bad.number in str(refused.value) and words in str(refused.value)
    assert not Placement.objects.filter(agency=agency).exists()  # nothing of the batch is placed
    good.refresh_from_db()
    assert good.stage == Stage.EARLY and good.agency is None


def test_a_case_the_manager_may_not_see_is_refused(cases_of, agency, collector):
    (case,) = cases_of(1)
    with pytest.raises(PlacementRefused) as refused:
        cases_place(case_ids=[case.pk, 999_999], agency=agency, actor=collector)
    assert refused.value.refusals == {999_999: MISSING}


def test_placing_stops_at_the_maximum_caseload(cases_of, agency, contract, manager):
    contract.max_caseload = 3
    contract.save()
    placed_case(contract=contract)
    cases = cases_of(3)
    with pytest.raises(PlacementRefused) as refused:
        cases_place(case_ids=[case.pk for case in cases], agency=agency, actor=manager)
    assert list(refused.value.refusals.values()) == [CASELOAD]
    assert "beyond the agency's maximum caseload" in str(refused.value)
    cases_place(case_ids=[case.pk for case in cases[:2]], agency=agency, actor=manager)
    assert Placement.objects.filter(agency=agency, status=PlacementStatus.ACTIVE).count() == 3


def test_an_inactive_agency_or_one_without_a_contract_in_force_takes_nothing(cases_of, agency, contract, manager):
    (case,) = cases_of(1)
    agency.status = AgencyStatus.SUSPENDED
    agency.save()
    with pytest.raises(CollectionError, match="is not active"):
        cases_place(case_ids=[case.pk], agency=agency, actor=manager)
    agency.status = AgencyStatus.ACTIVE
    agency.save()
    contract.ends_on = lender_today() - datetime.timedelta(days=1)
    contract.save()
    with pytest.raises(CollectionError, match="no contract in force"):
        cases_place(case_ids=[case.pk], agency=agency, actor=manager)


def test_the_contract_in_force_is_the_one_covering_the_day_that_started_last(agency, contract):
    today = lender_today()
    later = AgencyContractFactory(agency=agency, starts_on=today - datetime.timedelta(days=10))
    AgencyContractFactory(agency=agency, starts_on=today + datetime.timedelta(days=10))
    assert contract_in_force(agency, today) == later
    assert contract_in_force(agency, today - datetime.timedelta(days=30)) == contract
    assert contract_in_force(AgencyFactory(), today) is None


def test_placing_writes_the_same_number_of_queries_for_5_cases_or_60(cases_of, agency, manager):
    warm, few, many = cases_of(1), cases_of(5), cases_of(60)
    # The process's first placing also reads what Django caches for later ones (content types for the audit).
    cases_place(case_ids=[warm[0].pk], agency=agency, actor=manager)

    def queries(cases):
        with CaptureQueriesContext(connection) as captured:
            cases_place(case_ids=[case.pk for case in cases], agency=agency, actor=manager)
        return len(captured.captured_queries)

    assert queries(many) == queries(few) <= 20


# --- The lender's staff stop working a placed case ------------------------------------------------


def _listed(response) -> set[int]:
    return {row.record.pk for row in response.context["table"].paginated_rows}


def test_the_collector_no_longer_sees_a_placed_case_and_sees_it_again_after_the_recall(
    client, cases_of, agency, collector, manager, team_lead
):
    placed, kept = cases_of(2)
    cases_place(case_ids=[placed.pk], agency=agency, actor=manager)
    client.force_login(collector)
    for url in (reverse("collection:my_queue"), reverse("collection:team_queue")):
        assert _listed(client.get(url)) == {kept.pk}
    client.force_login(team_lead)
    assert _listed(client.get(reverse("collection:team_queue"))) == {kept.pk}
    assert next_case_take(user=collector) == kept
    assert next_case_take(user=collector) is None

    case_recall(case=placed, reason=RecallReason.MANUAL, actor=manager)
    client.force_login(collector)
    assert _listed(client.get(reverse("collection:my_queue"))) == {placed.pk, kept.pk}
    assert next_case_take(user=collector) == placed


def test_the_placed_case_page_is_read_only_to_its_collector(client, cases_of, agency, collector, manager):
    (case,) = cases_of(1)
    cases_place(case_ids=[case.pk], agency=agency, actor=manager)
    client.force_login(collector)
    page = client.get(reverse("collection:case_detail", args=[case.pk]))
    assert page.status_code == 200
    assert page.context["can_work"] is False
    response = client.post(reverse("collection:case_note_add", args=[case.pk]), {"note-text": "Still mine?"})
    assert response.status_code == 403


def test_placing_again_after_a_recall_is_a_new_placement(cases_of, agency, manager):
    (case,) = cases_of(1)
    first = cases_place(case_ids=[case.pk], agency=agency, actor=manager)
    case_recall(case=case, reason=RecallReason.MANUAL, actor=manager)
    other = AgencyContractFactory(agency=AgencyFactory(name="South Collect")).agency
    second = cases_place(case_ids=[case.pk], agency=other, actor=manager)
    assert second.pk != first.pk
    placements = list(Placement.objects.filter(case=case).order_by("pk"))
    assert [(p.agency, p.status) for p in placements] == [
        (agency, PlacementStatus.RECALLED),
        (other, PlacementStatus.ACTIVE),
    ]
    case.refresh_from_db()
    assert case.agency == other and case.stage == Stage.AGENCY
    assert placements[1].stage_before == Stage.EARLY  # the stage it came back to, not "agency"
