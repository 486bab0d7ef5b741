"""
Limitation periods (诉讼时效) of every account, and what restarts them.

(To be written: China 3 years from the last installment's due date, restarted
by a demand, an acknowledgement or a filing; US per portfolio and state from
the date of default.)
"""


def case_limitation_refresh(*, case) -> None:
    """Recompute the case's limitation expiry (Case.limitation_*) after something that may restart it."""


def register() -> None:
    """What this part adds to the apps on its left at start-up (legal/registry.py)."""
