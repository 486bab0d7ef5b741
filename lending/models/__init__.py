"""
The mirror of the lender's core system: who owes what, on which account, due
when, and what has been paid. Collection, legal and portfolio read it; only
lending's services, its nightly run and its intake write it.

Money is Decimal with two places, in the currency of the account's product.
Due dates are dates in the lender's time zone (settings.TIME_ZONE).

The models live by subject (products, borrowers, accounts, delinquency,
intake); every name is importable from `lending.models`, as Django and the
migrations expect.
"""

from lending.models.accounts import (  # noqa: F401
    PAID_FIELD,
    CreditAccount,
    CreditLimitChange,
    Installment,
    Payment,
    PaymentAllocation,
)
from lending.models.borrowers import (  # noqa: F401
    Borrower,
    ContactPoint,
    PhoneNumberMark,
)
from lending.models.credit_lines import (  # noqa: F401
    CoreSystemDelivery,
    CreditLineRestriction,
)
from lending.models.delinquency import (  # noqa: F401
    Bucket,
    DelinquencyRun,
    DelinquencySnapshot,
)
from lending.models.fields import ZERO, money_field  # noqa: F401
from lending.models.intake import (  # noqa: F401
    ImportBatch,
    ImportRowError,
    IntakeToken,
)
from lending.models.products import (  # noqa: F401
    DEFAULT_ALLOCATION_ORDER,
    Component,
    CreditProduct,
    default_allocation_order,
)
