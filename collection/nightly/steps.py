"""
The steps of the nightly chain, in the order they run. Each app adds its own
when it starts (its `register()`, from AppConfig.ready): collection its
lifecycle, strategies and reminders, lending its credit-line restores, legal
its limitation refresh. The chain (collection/nightly/chain.py) runs them in
`order`, each only after the one before succeeded.

A step's `run(on)` does the night's work for the date `on` and returns its
counts ({"cases_opened": 12, ...}); run twice for the same date, it changes
nothing the second time. The chain runs it in a transaction of its own
(`atomic`), so a failure leaves nothing of it behind and the steps before
it done; a step that commits in chunks of its own (and is idempotent per
chunk) registers with `atomic=False`.

A step's counts read on the nightly page through the labels its part
registers (`nightly_count_labels_register`); a code without one reads as
the code itself, spaced.
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
    atomic: bool = True  # run inside one transaction (False: the step commits its own chunks)


_steps: dict[str, NightlyStepSpec] = {}


def nightly_step_register(spec: NightlyStepSpec) -> None:
    _steps[spec.name] = spec


def nightly_steps() -> list[NightlyStepSpec]:
    return sorted(_steps.values(), key=lambda spec: (spec.order, spec.name))


def nightly_step_label(name: str) -> str:
    spec = _steps.get(name)
    return str(spec.label) if spec else name


_count_labels: dict[str, str] = {}


def nightly_count_labels_register(labels: dict[str, str]) -> None:
    """How the nightly page names a step's counts: {"cases_opened": _("Cases opened"), ...}."""
    _count_labels.update(labels)


def nightly_count_label(code: str) -> str:
    label = _count_labels.get(code)
    if label is not None:
        return str(label)
    return code.rsplit(".", 1)[-1].replace("_", " ").capitalize()
