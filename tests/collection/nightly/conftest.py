"""
The nightly chain's fixtures: a delinquent account (a case opens on the night
of NIGHT), and `chain_steps`, which lets a test run the chain with a chosen
set of steps (the real ones by name, and steps of its own).
"""

import datetime
from decimal import Decimal

import pytest

from collection.nightly import steps as steps_module
from collection.nightly.steps import NightlyStepSpec
from tests.lending.factories import BorrowerFactory, CreditProductFactory, account_with_schedule

NIGHT = datetime.date(2026, 2, 10)  # the account's first installment fell due on 1 February


@pytest.fixture
def late_account(db):
    product = CreditProductFactory(code="plain", daily_penalty_rate=Decimal("0"), late_fee=Decimal("0"), grace_days=0)
    return account_with_schedule(borrower=BorrowerFactory(), opened_on=datetime.date(2026, 1, 1), product=product)


class ChainSteps:
    """The registry for one test: `use("lending", "lifecycle")`, `add(name, run, order=)`."""

    def __init__(self, real: dict[str, NightlyStepSpec], monkeypatch):
        self.real = real
        self.registry: dict[str, NightlyStepSpec] = {}
        monkeypatch.setattr(steps_module, "_steps", self.registry)

    def use(self, *names: str) -> None:
        for name in names:
            self.registry[name] = self.real[name]

    def add(self, name: str, run, *, order: int, label: str | None = None) -> None:
        self.registry[name] = NightlyStepSpec(name, label or name.capitalize(), order, run)


@pytest.fixture
def chain_steps(monkeypatch):
    return ChainSteps(dict(steps_module._steps), monkeypatch)


def failing_step(on):
    raise RuntimeError("the core system's feed was not there")
