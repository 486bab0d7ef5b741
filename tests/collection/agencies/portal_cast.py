"""
The agency portal's cast (part C): agencies A and B with a supervisor and an
agent each, and cases whose borrower details are distinctive enough to look
for in a response body (the full national id, the e-mail, the address, the
third party, the employer, the date of birth).
"""

import datetime

from django.utils import timezone

from collection.models import AgencyField, Placement, PlacementStatus, Stage
from lending.models import ContactPoint
from tests.collection.agencies.factories import AgencyContractFactory, AgencyFactory, agency_user, placed_case
from tests.collection.factories import case_in_arrears
from tests.lending.factories import BorrowerFactory, ContactPointFactory

ALL_FIELDS = list(AgencyField.values)


class Secrets:
    """What a borrower of `distinctive_case` has on file, and what must never leak of each."""

    NATIONAL_ID = "510104198807076543"
    EMPLOYER = "Zenith Widget Works"
    DATE_OF_BIRTH = datetime.date(1977, 7, 7)
    EMAIL = "secret.mail@hidden-domain.test"
    ADDRESS = "秘密省秘密市 Hidden Road 99"
    THIRD_PARTY_NAME = "Qingyun Thirdparty"
    THIRD_PARTY_PHONE = "13999990000"

    # The fragments of each withheld field that no page may contain (whole or masked).
    FRAGMENTS = {
        AgencyField.EMAIL: ["hidden-domain.test", "secret.mail"],
        AgencyField.ADDRESS: ["秘密省", "Hidden Road"],
        AgencyField.THIRD_PARTIES: ["Qingyun", "Thirdparty", "13999990000", "139****0000"],
        AgencyField.EMPLOYER: ["Zenith Widget"],
        AgencyField.DATE_OF_BIRTH: ["1977"],
    }


def leaked(body: str, fields=(AgencyField.EMAIL, AgencyField.ADDRESS, AgencyField.THIRD_PARTIES)) -> list[str]:
    """The fragments of these withheld fields (and the whole national id) that `body` contains."""
    fragments = [Secrets.NATIONAL_ID, *(fragment for field in fields for fragment in Secrets.FRAGMENTS[field])]
    return [fragment for fragment in fragments if fragment in body]


def distinctive_case(**case_fields):
    """A case in arrears whose borrower has one contact point of each kind, all of them distinctive."""
    borrower = BorrowerFactory(
        national_id=case_fields.pop("national_id", Secrets.NATIONAL_ID),
        employer=Secrets.EMPLOYER,
        date_of_birth=Secrets.DATE_OF_BIRTH,
        time_zone="Asia/Shanghai",
    )
    case = case_in_arrears(borrower=borrower, **case_fields)
    ContactPointFactory(borrower=borrower, kind=ContactPoint.Kind.EMAIL, value=Secrets.EMAIL, is_primary=False,
                        consent_sms=False, consent_email=True)  # fmt: skip
    ContactPointFactory(borrower=borrower, kind=ContactPoint.Kind.HOME_ADDRESS, value=Secrets.ADDRESS, is_primary=False)
    ContactPointFactory(
        borrower=borrower,
        kind=ContactPoint.Kind.MOBILE,
        value=Secrets.THIRD_PARTY_PHONE,
        owner=ContactPoint.Owner.THIRD_PARTY,
        third_party_name=Secrets.THIRD_PARTY_NAME,
        relation=ContactPoint.Relation.SIBLING,
        is_primary=False,
    )
    return case


def own_mobile(case) -> ContactPoint:
    return case.borrower.contact_points.get(kind=ContactPoint.Kind.MOBILE, owner=ContactPoint.Owner.BORROWER)


class AgencyWorld:
    """Agency A (phones only shown) and agency B, each with a supervisor and an agent, and their cases."""

    def __init__(self, *, visible_fields=None):
        self.agency_a = AgencyFactory(code="AGA", name="Alpha Collections")
        self.agency_b = AgencyFactory(code="AGB", name="Beta Recovery")
        fields = [AgencyField.PHONE] if visible_fields is None else visible_fields
        self.contract_a = AgencyContractFactory(agency=self.agency_a, visible_fields=fields)
        self.contract_b = AgencyContractFactory(agency=self.agency_b, visible_fields=ALL_FIELDS)
        self.supervisor_a = agency_user(self.agency_a, username="sup_a", supervisor=True)
        self.agent_a = agency_user(self.agency_a, username="agent_a")
        self.agent_a2 = agency_user(self.agency_a, username="agent_a2")
        self.agent_b = agency_user(self.agency_b, username="agent_b")
        self.placement_a = placed_case(contract=self.contract_a, case=distinctive_case(days_past_due=45))
        self.case_a = self.placement_a.case
        self.placement_b = placed_case(contract=self.contract_b, case=case_in_arrears(days_past_due=50))
        self.case_b = self.placement_b.case
        self.unplaced = case_in_arrears(days_past_due=35)
        self.recalled = recalled_case(self.contract_a)

    @property
    def outsiders(self):
        """The cases agency A's users must never find: agency B's, a recalled one, an unplaced one."""
        return [self.case_b, self.recalled, self.unplaced]


def recalled_case(contract):
    """A case that was placed with the contract's agency and recalled (back in its stage before, no agency)."""
    placement = placed_case(contract=contract, case=case_in_arrears(days_past_due=60))
    return recalled_case_of(placement.case)


def recalled_case_of(case):
    """The case's active placement recalled as the recall leaves it (rows only: tests of the recall call it)."""
    placement = Placement.objects.get(case=case, status=PlacementStatus.ACTIVE)
    Placement.objects.filter(pk=placement.pk).update(
        status=PlacementStatus.RECALLED,
        recalled_at=timezone.now(),
        recalled_on=timezone.localdate(),
        recall_reason="manual",
    )
    case = type(case).objects.get(pk=case.pk)
    case.stage, case.agency = placement.stage_before or Stage.EARLY, None
    case.save(update_fields=["stage", "agency", "updated_at"])
    return case
