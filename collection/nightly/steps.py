"""
The steps of the nightly chain, in the order they run. Each app adds its own
when it starts (its `register()`, from AppConfig.ready): collection its
lifecycle, strategies and reminders, lending its credit-line restores, legal
its limitation refresh. The chain (collection/nightly/chain.py) runs them in
`order`, each only after the one before succeeded.

A step's `run(on)` does the night's work for the date `on` and returns its
counts ({"cases_opened": 12, ...}); run twice for the same date, it changes
nothing the second time.
"""

import datetime
from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class NightlyStepSpec:
    name: str  # a stable code, stored on NightlyStep.name
    label: str  # how the nightly page names it (lazy translation)
    order: int
    run: Callable[[datetime.date], dict]


_steps: dict[str, NightlyStepSpec] = {}


def nightly_step_register(spec: NightlyStepSpec) -> None:
    _steps[spec.name] = spec


def nightly_steps() -> list[NightlyStepSpec]:
    return sorted(_steps.values(), key=lambda spec: (spec.order, spec.name))


def nightly_step_label(name: str) -> str:
    spec = _steps.get(name)
    return str(spec.label) if spec else name
