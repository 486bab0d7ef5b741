"""
Recalling placed cases (collection/agencies/recall.py): by a manager (a
case, a batch), at the end of the placement period, and forced by a
dispute, a hardship review, a death, a referral to legal, a closed case, a
borrower flagged deceased or an agency stopped; the nightly step twice is
the nightly step once.
"""

import datetime

import pytest

from accounts.models import AuditEvent
from collection.agencies.placement import cases_place
from collection.agencies.recall import (
    batch_recall,
    case_recall,
    placement_recall,
    placements_recall_expired,
    recalls_nightly,
)
from collection.errors import CollectionError
from collection.models import (
    AgencyStatus,
    CaseEvent,
    CaseStatus,
    HoldKind,
    Placement,
    PlacementStatus,
    RecallReason,
    Stage,
    StageChange,
)
from collection.nightly.steps import nightly_steps
from collection.selectors.cases import cases_visible_to
from collection.services.contacts import hardship_record, hold_place
from collection.timeline import event_text
from lending.services import lender_today
from tests.collection.agencies import placement_fixtures
from tests.collection.agencies.factories import agency_user
from tests.collection.conftest import call_logged

# The shared fixtures (tests/collection/agencies/placement_fixtures.py).
agency, cases_of, contract = placement_fixtures.agency, placement_fixtures.cases_of, placement_fixtures.contract

pytestmark = pytest.mark.django_db


@pytest.fixture
def placed(cases_of, agency, manager):
    """Two cases of the collector placed with North Recoveries in one batch: (batch, [case, case])."""
    cases = cases_of(2)
    batch = cases_place(case_ids=[case.pk for case in cases], agency=agency, actor=manager)
    return batch, cases


def _state(case):
    case.refresh_from_db()
    placement = Placement.objects.filter(case=case).latest("pk")
    return case.stage, case.agency_id, placement.status, placement.recall_reason


def test_a_manager_recalls_a_case_back_to_its_collector(placed, agency, collector, manager):
    batch, (case, other) = placed
    placement = Placement.objects.get(case=case)
    placement_recall(placement=placement, reason=RecallReason.COMPLAINT, actor=manager, note="Borrower complained")

    assert _state(case) == (Stage.EARLY, None, PlacementStatus.RECALLED, RecallReason.COMPLAINT)
    assert case.assigned_to == collector
    placement.refresh_from_db()
    assert placement.recalled_on == lender_today() and placement.recalled_by == manager
    assert placement.recall_note == "Borrower complained"
    change = StageChange.objects.filter(case=case).latest("id")
    assert (change.from_stage, change.to_stage) == (Stage.AGENCY, Stage.EARLY)
    line = CaseEvent.objects.get(case=case, code="recalled")
    assert event_text(line) == f"Recalled from North Recoveries (batch {batch.number}): Complaint"
    assert line.notes == "Borrower complained" and line.data["agency_code"] == "NORTH"
    audit = AuditEvent.objects.get(action="collection.placement.recalled")
    assert audit.data["cases"] == 1 and audit.data["reason"] == "complaint" and audit.target_repr == batch.number
    assert _state(other)[:2] == (Stage.AGENCY, agency.pk)  # the batch's other case stays placed
    with pytest.raises(CollectionError, match="already recalled"):
        placement_recall(placement=placement, reason=RecallReason.MANUAL, actor=manager)


def test_the_agency_s_contacts_stay_on_the_timeline_after_the_recall(morning, placed, agency, manager):
    _batch, (case, _other) = placed
    case.borrower.time_zone = "Asia/Shanghai"
    case.borrower.save()
    agent = agency_user(agency)
    call_logged(case, case.borrower.contact_points.get(), agent, notes="Will pay Friday")
    case_recall(case=case, reason=RecallReason.MANUAL, actor=manager)

    assert not cases_visible_to(agent).filter(pk=case.pk).exists()  # the agency no longer sees it
    codes = list(CaseEvent.objects.filter(case=case).order_by("occurred_at", "id").values_list("code", "actor"))
    assert ("contact_logged", agent.pk) in codes
    assert codes[-1] == ("recalled", manager.pk)


def test_a_batch_is_recalled_whole_once(placed, manager):
    batch, cases = placed
    assert batch_recall(batch=batch, reason=RecallReason.MANUAL, actor=manager) == 2
    assert batch_recall(batch=batch, reason=RecallReason.MANUAL, actor=manager) == 0
    assert {_state(case) for case in cases} == {(Stage.EARLY, None, PlacementStatus.RECALLED, RecallReason.MANUAL)}
    assert CaseEvent.objects.filter(code="recalled").count() == 2


def test_a_case_not_placed_is_left_alone(cases_of, manager):
    (case,) = cases_of(1)
    assert case_recall(case=case, reason=RecallReason.DISPUTE, actor=manager) is None
    assert not CaseEvent.objects.filter(case=case, code="recalled").exists()


def test_placements_come_back_at_the_end_of_their_period(placed):
    batch, cases = placed
    assert placements_recall_expired(on=batch.recall_due_on - datetime.timedelta(days=1)) == 0
    assert placements_recall_expired(on=batch.recall_due_on) == 2
    assert {_state(case) for case in cases} == {(Stage.EARLY, None, PlacementStatus.RECALLED, RecallReason.EXPIRED)}
    placement = Placement.objects.filter(case=cases[0]).get()
    assert placement.recalled_on == batch.recall_due_on and placement.recalled_by is None


# --- Forced by events ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kind", "reason"),
    [
        (HoldKind.DISPUTE, RecallReason.DISPUTE),
        (HoldKind.DECEASED, RecallReason.DECEASED),
        (HoldKind.BANKRUPTCY, RecallReason.BANKRUPTCY),
    ],
)
def test_a_forcing_hold_recalls_the_case_in_the_same_transaction(placed, agency, kind, reason):
    _batch, (case, _other) = placed
    agent = agency_user(agency)
    hold_place(case=case, kind=kind, reason="Said on the phone", actor=agent)
    stage, agency_id, status, recall_reason = _state(case)
    assert (stage, agency_id, status, recall_reason) == (Stage.EARLY, None, PlacementStatus.RECALLED, reason)
    assert case.status == CaseStatus.ON_HOLD
    assert Placement.objects.get(case=case).recalled_by == agent


def test_a_hardship_review_recalls_the_case(placed, manager):
    _batch, (case, _other) = placed
    hardship_record(case=case, reason="lost_income", description="Lost the job in May", actor=manager)
    assert _state(case)[2:] == (PlacementStatus.RECALLED, RecallReason.HARDSHIP_REVIEW)


def test_a_complaint_hold_does_not_recall(placed, manager):
    _batch, (case, _other) = placed
    hold_place(case=case, kind=HoldKind.COMPLAINT, reason="Rude agent", actor=manager)
    assert _state(case)[2] == PlacementStatus.ACTIVE


def test_a_referral_to_legal_recalls_first_and_remembers_the_stage_before(cases_of, agency, collector, manager):
    from legal.litigation.referral import case_refer
    from legal.models import LetterKind
    from tests.legal.factories import DocumentFactory

    (case,) = cases_of(1, days_past_due=200, stage=Stage.LATE)
    DocumentFactory(case=case, kind=LetterKind.FINAL_NOTICE, issued_on=lender_today() - datetime.timedelta(days=20))
    cases_place(case_ids=[case.pk], agency=agency, actor=manager)
    file = case_refer(case=case, actor=collector)

    assert file.stage_before == Stage.LATE
    case.refresh_from_db()
    assert (case.stage, case.agency) == (Stage.LEGAL, None)
    placement = Placement.objects.get(case=case)
    assert (placement.status, placement.recall_reason) == (PlacementStatus.RECALLED, RecallReason.LEGAL)
    stages = list(StageChange.objects.filter(case=case).order_by("id").values_list("from_stage", "to_stage"))
    assert stages[-2:] == [(Stage.AGENCY, Stage.LATE), (Stage.LATE, Stage.LEGAL)]


def _close(case):
    case.status, case.closed_on, case.close_outcome = CaseStatus.CLOSED, lender_today(), "paid_in_full"
    case.save()


def _deceased(case):
    case.borrower.is_deceased = True
    case.borrower.save()


def _bankrupt(case):
    case.borrower.is_bankrupt = True
    case.borrower.save()


@pytest.mark.parametrize(
    ("event", "reason"),
    [(_close, RecallReason.CLOSED), (_deceased, RecallReason.DECEASED), (_bankrupt, RecallReason.BANKRUPTCY)],
)
def test_the_nightly_step_recalls_closed_cases_and_flagged_borrowers(placed, event, reason):
    _batch, (case, other) = placed
    event(case)
    counts = recalls_nightly(lender_today())
    assert counts[f"placements_recalled.{reason}"] == 1
    assert sum(counts.values()) == 1
    assert _state(case)[2:] == (PlacementStatus.RECALLED, reason)
    assert _state(other)[2] == PlacementStatus.ACTIVE
    assert sum(recalls_nightly(lender_today()).values()) == 0  # twice is once


def test_the_nightly_step_recalls_from_a_suspended_agency_or_an_ended_contract(placed, agency, contract):
    _batch, cases = placed
    agency.status = AgencyStatus.SUSPENDED
    agency.save()
    assert recalls_nightly(lender_today())["placements_recalled.agency_stopped"] == 2
    assert {_state(case)[3] for case in cases} == {RecallReason.AGENCY_STOPPED}


def test_the_nightly_step_recalls_when_the_contract_ended(placed, contract):
    _batch, cases = placed
    after = contract.ends_on + datetime.timedelta(days=1)
    counts = recalls_nightly(after)
    # The contract ended before the placement period did: the agency's reason, not the period's.
    assert counts["placements_recalled.agency_stopped"] == 2 and counts["placements_recalled.expired"] == 0


def test_the_nightly_step_recalls_expired_placements_once_and_runs_after_the_lifecycle(placed):
    batch, cases = placed
    counts = recalls_nightly(batch.recall_due_on)
    assert counts["placements_recalled.expired"] == 2
    assert sum(recalls_nightly(batch.recall_due_on).values()) == 0
    assert CaseEvent.objects.filter(code="recalled").count() == 2
    order = {spec.name: spec.order for spec in nightly_steps()}
    assert order["lifecycle"] < order["agency_recalls"] < order["strategies"]
