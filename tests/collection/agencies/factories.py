"""
Factories for agencies: an agency, its contract with commission tiers, its
users, and a case placed with it (rows written as the placement service
leaves them: the Placement, its batch, the case in the agency stage with
`Case.agency` set). Tests of placing itself call the service instead.
"""

import datetime
from decimal import Decimal

import factory
from django.utils import timezone

from accounts.roles import Role
from collection.models import (
    Agency,
    AgencyContract,
    AgencyField,
    AgencyMember,
    CommissionTier,
    Placement,
    PlacementBatch,
    Stage,
    TierBasis,
)
from tests.collection.factories import case_in_arrears
from tests.factories import UserFactory


class AgencyFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Agency

    code = factory.Sequence(lambda n: f"AG{n:03d}")
    name = factory.Sequence(lambda n: f"Agency {n}")
    licence_number = factory.Sequence(lambda n: f"LIC-{n:05d}")
    last_evaluated_on = factory.LazyFunction(lambda: timezone.localdate() - datetime.timedelta(days=100))


class AgencyContractFactory(factory.django.DjangoModelFactory):
    """A contract in force this year, tiers by bucket: M1-M3 10%, M4 and later 20%."""

    class Meta:
        model = AgencyContract
        skip_postgeneration_save = True

    agency = factory.SubFactory(AgencyFactory)
    reference = factory.Sequence(lambda n: f"CT-{n:04d}")
    starts_on = factory.LazyFunction(lambda: timezone.localdate() - datetime.timedelta(days=180))
    ends_on = factory.LazyFunction(lambda: timezone.localdate() + datetime.timedelta(days=365))
    tier_basis = TierBasis.BUCKET
    placement_days = 90
    max_caseload = 1000
    visible_fields = factory.LazyFunction(lambda: [AgencyField.PHONE, AgencyField.ADDRESS])

    @factory.post_generation
    def tiers(contract, create, extracted, **kwargs):
        """`tiers=[("M1", "0.1000"), ...]` for bucket tiers, `[(0, 30, "0.1"), ...]` for days; default as above."""
        if not create:
            return
        if extracted is None:
            extracted = [("M1", "0.1000"), ("M2", "0.1000"), ("M3", "0.1000"), ("", "0.2000")]
        for tier in extracted:
            if len(tier) == 2:
                CommissionTier.objects.create(contract=contract, bucket=tier[0], rate=Decimal(tier[1]))
            else:
                CommissionTier.objects.create(
                    contract=contract, min_days=tier[0], max_days=tier[1], rate=Decimal(tier[2])
                )


def agency_user(agency: Agency, *, username: str | None = None, supervisor: bool = False):
    """A user of the agency role working for `agency`."""
    kwargs = {"username": username} if username else {}
    user = UserFactory(role=Role.AGENCY_AGENT, **kwargs)
    AgencyMember.objects.create(user=user, agency=agency, is_supervisor=supervisor)
    return user


def placed_case(
    *,
    agency: Agency | None = None,
    contract: AgencyContract | None = None,
    case=None,
    batch: PlacementBatch | None = None,
    placed_on: datetime.date | None = None,
    **case_fields,
) -> Placement:
    """A case (a new one over an overdue account, or `case`) placed with the agency now; returns the Placement."""
    if contract is None:
        contract = AgencyContractFactory(agency=agency) if agency else AgencyContractFactory()
    agency = contract.agency
    case = case or case_in_arrears(**case_fields)
    placed_on = placed_on or timezone.localdate()
    recall_due_on = placed_on + datetime.timedelta(days=contract.placement_days)
    if batch is None:
        batch = PlacementBatch.objects.create(
            agency=agency, contract=contract, placed_on=placed_on, recall_due_on=recall_due_on, currency=case.currency
        )
    placement = Placement.objects.create(
        batch=batch,
        agency=agency,
        contract=contract,
        case=case,
        placed_on=placed_on,
        placed_at=timezone.now(),
        recall_due_on=recall_due_on,
        stage_before=case.stage,
        balance_at_placement=case.outstanding_balance,
        overdue_at_placement=case.overdue_total,
        bucket_at_placement=case.bucket,
        days_past_due_at_placement=case.days_past_due,
        currency=case.currency,
    )
    batch.case_count += 1
    batch.balance_placed += case.outstanding_balance
    batch.save(update_fields=["case_count", "balance_placed"])
    case.stage = Stage.AGENCY
    case.agency = agency
    case.save(update_fields=["stage", "agency", "updated_at"])
    return placement
