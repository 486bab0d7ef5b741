"""
What the placement and recall tests share (imported by each: a conftest here
would be every part's): an agency with a contract in force, and cases of team
A's collector.
"""

import pytest

from tests.collection.agencies.factories import AgencyContractFactory, AgencyFactory
from tests.collection.factories import case_in_arrears


@pytest.fixture
def contract(db):
    return AgencyContractFactory(agency=AgencyFactory(code="NORTH", name="North Recoveries"), max_caseload=1000)


@pytest.fixture
def agency(contract):
    return contract.agency


@pytest.fixture
def cases_of(collector, team_a):
    """`cases_of(3)`: that many cases in arrears of team A's collector (keywords go to case_in_arrears)."""

    def make(count: int, **fields):
        fields.setdefault("collector", collector)
        fields.setdefault("team", team_a)
        return [case_in_arrears(**fields) for _ in range(count)]

    return make
