"""The manager's agency services: agencies, status, contracts with tiers, evaluations, members; each audited."""

import datetime
from decimal import Decimal

import pytest

from accounts.audit_text import audit_text
from accounts.models import AuditEvent
from accounts.roles import Role
from collection.agencies import services
from collection.agencies.services import (
    TierDraft,
    agencies_evaluation_due,
    agency_save,
    agency_status_set,
    contract_save,
    evaluation_record,
    member_link,
)
from collection.errors import CollectionError
from collection.models import (
    Agency,
    AgencyContract,
    AgencyEvaluation,
    AgencyField,
    AgencyMember,
    AgencyStatus,
    CommissionTier,
    EvaluationOutcome,
    Placement,
    TierBasis,
)
from tests.collection.agencies.factories import AgencyContractFactory, AgencyFactory, agency_user, placed_case
from tests.factories import UserFactory
from tests.lending.factories import CreditProductFactory

pytestmark = pytest.mark.django_db

TODAY = datetime.date(2026, 12, 6)


@pytest.fixture(autouse=True)
def _today(monkeypatch):
    monkeypatch.setattr("lending.services.lender_today", lambda: TODAY)


def audits(action):
    return AuditEvent.objects.filter(action=action)


def new_contract(agency, **fields):
    values = {
        "agency": agency,
        "reference": "HX-2026-01",
        "starts_on": datetime.date(2026, 1, 1),
        "ends_on": datetime.date(2026, 12, 31),
        "currency": "CNY",
        "tier_basis": TierBasis.BUCKET,
        "flat_fee_per_case": Decimal("5.00"),
        "placement_days": 90,
        "max_caseload": 500,
        "visible_fields": [AgencyField.PHONE],
    }
    values.update(fields)
    return AgencyContract(**values)


BUCKET_TIERS = [TierDraft(rate=Decimal("0.10"), bucket="M1"), TierDraft(rate=Decimal("0.18"), bucket="")]
DAY_TIERS = [
    TierDraft(rate=Decimal("0.08"), min_days=0, max_days=30),
    TierDraft(rate=Decimal("0.12"), min_days=31, max_days=60),
    TierDraft(rate=Decimal("0.20"), min_days=61),
]


# --- Agencies -----------------------------------------------------------------------------------


def test_agency_save_creates_an_active_agency_and_audits_it(manager):
    agency = agency_save(agency=Agency(code=" hx01 ", name="华信催收服务有限公司", licence_number="L-1"), actor=manager)
    assert agency.code == "HX01"
    assert agency.status == AgencyStatus.ACTIVE
    event = audits("collection.agency.created").get()
    assert event.actor == manager
    assert audit_text(event) == "Agency 华信催收服务有限公司 added"


def test_agency_save_refuses_a_code_another_agency_has(manager):
    AgencyFactory(code="HX01")
    with pytest.raises(CollectionError) as refused:
        agency_save(agency=Agency(code="hx01", name="Other"), actor=manager)
    assert refused.value.field == "code"
    assert Agency.objects.count() == 1
    assert not audits("collection.agency.created").exists()


def test_agency_save_audits_what_changed_and_nothing_when_nothing_did(manager):
    agency = AgencyFactory(name="Old name")
    agency.name = "New name"
    agency_save(agency=agency, actor=manager)
    assert audits("collection.agency.changed").get().data["fields"] == ["name"]
    agency_save(agency=Agency.objects.get(pk=agency.pk), actor=manager)
    assert audits("collection.agency.changed").count() == 1


def test_suspending_changes_only_the_status_and_leaves_placements_to_the_nightly_recall(manager):
    placement = placed_case()
    agency = placement.agency
    agency_status_set(agency=agency, status=AgencyStatus.SUSPENDED, note="licence review", actor=manager)
    agency.refresh_from_db()
    assert agency.status == AgencyStatus.SUSPENDED
    assert Placement.objects.get(pk=placement.pk).is_active
    event = audits("collection.agency.status_changed").get()
    assert event.data == {"from": "active", "to": "suspended", "note": "licence review"}
    assert audit_text(event) == f"Agency {agency.name}: Active → Suspended"


def test_a_terminated_agency_stays_terminated(manager):
    agency = AgencyFactory()
    agency_status_set(agency=agency, status=AgencyStatus.TERMINATED, actor=manager)
    with pytest.raises(CollectionError, match="stays terminated"):
        agency_status_set(agency=agency, status=AgencyStatus.ACTIVE, actor=manager)
    with pytest.raises(CollectionError):
        agency_status_set(agency=AgencyFactory(), status=AgencyStatus.ACTIVE, actor=manager)  # active already
    assert audits("collection.agency.status_changed").count() == 1


# --- Contracts ----------------------------------------------------------------------------------


def test_contract_save_writes_the_contract_its_tiers_and_products_in_one_go(manager):
    agency = AgencyFactory()
    product = CreditProductFactory()
    contract = contract_save(
        contract=new_contract(agency, regions=["浙江省", " 江苏省", ""], visible_fields=["email", "phone"]),
        tiers=BUCKET_TIERS,
        products=[product],
        actor=manager,
    )
    assert list(contract.tiers.order_by("bucket").values_list("bucket", "rate")) == [
        ("", Decimal("0.1800")),
        ("M1", Decimal("0.1000")),
    ]
    assert list(contract.products.all()) == [product]
    assert contract.regions == ["江苏省", "浙江省"]
    assert contract.visible_fields == ["phone", "email"]  # in AgencyField's order
    event = audits("collection.agency_contract.created").get()
    assert event.data["tiers"] == [["M1", None, None, "0.10"], ["", None, None, "0.18"]]


def test_saving_again_replaces_the_tiers(manager):
    contract = contract_save(contract=new_contract(AgencyFactory()), tiers=BUCKET_TIERS, actor=manager)
    contract.tier_basis = TierBasis.DAYS_PLACED
    contract_save(contract=contract, tiers=DAY_TIERS, actor=manager)
    assert list(CommissionTier.objects.filter(contract=contract).values_list("min_days", "max_days")) == [
        (0, 30),
        (31, 60),
        (61, None),
    ]
    assert audits("collection.agency_contract.changed").count() == 1


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"ends_on": datetime.date(2025, 12, 31)}, "ends_on"),
        ({"reference": " "}, "reference"),
        ({"currency": "RMB1"}, "currency"),
        ({"flat_fee_per_case": Decimal("-1")}, "flat_fee_per_case"),
        ({"placement_days": 0}, "placement_days"),
        ({"max_caseload": 0}, "max_caseload"),
        ({"visible_fields": ["national_id"]}, "visible_fields"),
    ],
)
def test_contract_save_refuses_bad_terms_and_writes_nothing(manager, fields, field):
    with pytest.raises(CollectionError) as refused:
        contract_save(contract=new_contract(AgencyFactory(), **fields), tiers=BUCKET_TIERS, actor=manager)
    assert refused.value.field == field
    assert not AgencyContract.objects.exists()
    assert not CommissionTier.objects.exists()


def test_a_reference_is_unique_per_agency(manager):
    existing = AgencyContractFactory(reference="HX-2026-01")
    with pytest.raises(CollectionError) as refused:
        contract_save(contract=new_contract(existing.agency), tiers=BUCKET_TIERS, actor=manager)
    assert refused.value.field == "reference"
    contract_save(contract=new_contract(AgencyFactory()), tiers=BUCKET_TIERS, actor=manager)  # another agency: fine


@pytest.mark.parametrize(
    ("tiers", "message"),
    [
        ([], "at least one commission tier"),
        ([TierDraft(rate=Decimal("1.5"), bucket="")], "from 0 to 100%"),
        ([TierDraft(rate=Decimal("-0.01"), bucket="")], "from 0 to 100%"),
        ([TierDraft(rate=Decimal("0.1"), bucket="M1")], "No tier covers bucket M2, M3, M4, M5, M6, M6+"),
        ([TierDraft(rate=Decimal("0.1"), bucket="M9"), TierDraft(rate=Decimal("0.1"))], "there is no bucket M9"),
        (
            [TierDraft(rate=Decimal("0.1"), bucket="M1"), TierDraft(rate=Decimal("0.2"), bucket="M1")],
            "Bucket M1 has two tiers",
        ),
        ([TierDraft(rate=Decimal("0.1")), TierDraft(rate=Decimal("0.2"))], "Only one tier"),
    ],
)
def test_bucket_tiers_must_cover_every_bucket_once(manager, tiers, message):
    with pytest.raises(CollectionError, match=message.replace("+", r"\+")):
        contract_save(contract=new_contract(AgencyFactory()), tiers=tiers, actor=manager)
    assert not AgencyContract.objects.exists()


def test_bucket_tiers_naming_every_overdue_bucket_need_no_catch_all(manager):
    tiers = [TierDraft(rate=Decimal("0.1"), bucket=code) for code in ("M1", "M2", "M3", "M4", "M5", "M6", "M6+")]
    contract = contract_save(contract=new_contract(AgencyFactory()), tiers=tiers, actor=manager)
    assert contract.tiers.count() == 7


@pytest.mark.parametrize(
    ("tiers", "message"),
    [
        ([TierDraft(rate=Decimal("0.1"), min_days=1)], "starts at day 0"),
        ([TierDraft(rate=Decimal("0.1"), bucket="M1")], "have a from day"),
        (
            [TierDraft(rate=Decimal("0.1"), min_days=0, max_days=30), TierDraft(rate=Decimal("0.1"), min_days=32)],
            "should start at 31",
        ),
        (
            [TierDraft(rate=Decimal("0.1"), min_days=0, max_days=30), TierDraft(rate=Decimal("0.1"), min_days=20)],
            "should start at 31",
        ),
        ([TierDraft(rate=Decimal("0.1"), min_days=0, max_days=30)], "The last tier has no to day"),
        (
            [TierDraft(rate=Decimal("0.1"), min_days=0), TierDraft(rate=Decimal("0.1"), min_days=31)],
            "Only the last tier",
        ),
        (
            [TierDraft(rate=Decimal("0.1"), min_days=0, max_days=0), TierDraft(rate=Decimal("0.1"), min_days=1)],
            None,
        ),
    ],
)
def test_day_tiers_run_from_day_0_without_gaps_or_overlaps(manager, tiers, message):
    contract = new_contract(AgencyFactory(), tier_basis=TierBasis.DAYS_PLACED)
    if message is None:
        assert contract_save(contract=contract, tiers=tiers, actor=manager).tiers.count() == 2
        return
    with pytest.raises(CollectionError, match=message):
        contract_save(contract=contract, tiers=tiers, actor=manager)


def test_day_tiers_may_be_given_in_any_order(manager):
    contract = new_contract(AgencyFactory(), tier_basis=TierBasis.DAYS_PLACED)
    saved = contract_save(contract=contract, tiers=list(reversed(DAY_TIERS)), actor=manager)
    assert saved.tiers.count() == 3


def test_a_terminated_agency_gets_no_new_contract(manager):
    agency = AgencyFactory(status=AgencyStatus.TERMINATED)
    with pytest.raises(CollectionError):
        contract_save(contract=new_contract(agency), tiers=BUCKET_TIERS, actor=manager)


# --- Evaluations ---------------------------------------------------------------------------------


def test_evaluation_record_moves_the_last_evaluation_date(manager):
    agency = AgencyFactory(last_evaluated_on=datetime.date(2025, 11, 1))
    evaluation_record(
        agency=agency, evaluated_on=TODAY, outcome=EvaluationOutcome.CONDITIONAL, notes=" complaints ", actor=manager
    )
    agency.refresh_from_db()
    assert agency.last_evaluated_on == TODAY
    evaluation = AgencyEvaluation.objects.get()
    assert (evaluation.notes, evaluation.evaluated_by) == ("complaints", manager)
    event = audits("collection.agency.evaluated").get()
    assert "Approved with conditions" in audit_text(event)


def test_an_older_evaluation_recorded_late_keeps_the_latest_date(manager):
    agency = AgencyFactory(last_evaluated_on=datetime.date(2026, 10, 1))
    evaluation_record(
        agency=agency, evaluated_on=datetime.date(2025, 10, 1), outcome=EvaluationOutcome.APPROVED, actor=manager
    )
    agency.refresh_from_db()
    assert agency.last_evaluated_on == datetime.date(2026, 10, 1)
    assert agency.evaluations.count() == 1


def test_an_evaluation_cannot_be_in_the_future(manager):
    agency = AgencyFactory()
    with pytest.raises(CollectionError) as refused:
        evaluation_record(
            agency=agency,
            evaluated_on=TODAY + datetime.timedelta(days=1),
            outcome=EvaluationOutcome.APPROVED,
            actor=manager,
        )
    assert refused.value.field == "evaluated_on"
    assert not AgencyEvaluation.objects.exists()


def test_agencies_evaluation_due_lists_the_never_evaluated_and_those_due_within_30_days():
    never = AgencyFactory(last_evaluated_on=None)
    overdue = AgencyFactory(last_evaluated_on=TODAY - datetime.timedelta(days=400))
    due_soon = AgencyFactory(last_evaluated_on=TODAY - datetime.timedelta(days=340))  # due in 25 days
    AgencyFactory(last_evaluated_on=TODAY - datetime.timedelta(days=300))  # due in 65 days
    AgencyFactory(last_evaluated_on=None, status=AgencyStatus.TERMINATED)
    assert set(agencies_evaluation_due(TODAY)) == {never, overdue, due_soon}
    assert services.evaluation_state(overdue, TODAY) == "overdue"
    assert services.evaluation_state(due_soon, TODAY) == "due"
    assert services.evaluation_state(never, TODAY) == "never"


# --- Members ------------------------------------------------------------------------------------


def test_member_link_makes_an_agency_user_an_agent_or_supervisor(manager):
    agency = AgencyFactory(name="金盾资产管理有限公司")
    user = UserFactory(username="wang", role=Role.AGENCY_AGENT)
    member = member_link(user=user, agency=agency, is_supervisor=True, actor=manager)
    assert (member.agency, member.is_supervisor) == (agency, True)
    assert audit_text(audits("collection.agency.member_linked").get()) == (
        "wang works for agency 金盾资产管理有限公司 as a supervisor"
    )
    member_link(user=user, agency=agency, is_supervisor=True, actor=manager)  # the same again: nothing to write
    assert audits("collection.agency.member_linked").count() == 1


def test_member_link_refuses_a_lender_user(manager, collector):
    with pytest.raises(CollectionError) as refused:
        member_link(user=collector, agency=AgencyFactory(), is_supervisor=False, actor=manager)
    assert refused.value.field == "user"
    assert not AgencyMember.objects.exists()


def test_moving_a_user_to_another_agency_hands_their_placements_back_to_the_pool(manager):
    placement = placed_case()
    user = agency_user(placement.agency)
    Placement.objects.filter(pk=placement.pk).update(agent=user)
    other = AgencyFactory()
    member_link(user=user, agency=other, is_supervisor=False, actor=manager)
    assert AgencyMember.objects.get(user=user).agency == other
    assert Placement.objects.get(pk=placement.pk).agent is None
    assert audits("collection.agency.member_linked").get().data["from_agency"] == placement.agency.code
