"""
Limitation periods (诉讼时效) of every account, and what restarts them.

- periods.py: the arithmetic (China: Civil Code arts. 188, 189, 195, 202;
  US: per portfolio and state from the date of default — its docstring says
  why payments do not restart the US clock);
- refresh.py: the facts for many cases in a few queries, `case_limitation`,
  `case_limitation_refresh` (after a letter or a filing) and the nightly
  `limitation_refresh_all`;
- section.py: the case page's "Limitation" section; tasks.py: the nightly task.
"""

from collection.filters import LIMITATION_WARNING_DAYS
from legal.limitation.periods import LimitationPeriod, Restart, period_compute, years_after  # noqa: F401
from legal.limitation.refresh import (  # noqa: F401
    account_limitation,
    borrower_state,
    case_limitation,
    case_limitation_periods,
    case_limitation_refresh,
    cases_limitation_refresh,
    legal_policy_for,
    limitation_refresh_all,
)

# Within this many days of its expiry a case is flagged: on the case page, in the queues' filter
# and on the legal officer's list.
WARNING_DAYS = LIMITATION_WARNING_DAYS


def register() -> None:
    """
    What this part adds to the apps on its left at start-up (legal/registry.py): the case-page section,
    and the nightly chain's last step, after the night's payments, promises and letters.
    """
    from django.utils.translation import gettext_lazy as _

    from collection.case_sections import CaseSection, case_section_register
    from collection.nightly.steps import NightlyStepSpec, nightly_step_register
    from legal.limitation.section import limitation_section

    case_section_register(CaseSection("limitation", "legal/case/_limitation.html", limitation_section, order=20))
    # Chunked, each chunk its own transaction and idempotent: not one transaction over every open case.
    nightly_step_register(NightlyStepSpec("limitation", _("Limitation periods"), 60, _limitation_step, atomic=False))


def _limitation_step(on) -> dict:
    """Every open case's limitation expiry, as the day's payments, promises and letters left it."""
    return {"limitation_changed": limitation_refresh_all(today=on)}
