"""
Collection: overdue cases and everything done to recover them.

One Case per borrower in arrears covers all of that borrower's delinquent
accounts (CaseAccount says which, and when each joined and left). What happens
on a case is recorded in its own table (ContactAttempt, PromiseToPay,
Arrangement, Hold, FieldVisit) and, for the case page's one timeline, as a
CaseEvent written by the same service in the same transaction.

Statuses change only through collection's services; the nightly lifecycle
(collection/lifecycle.py) opens, refreshes and closes cases.

The models live by subject (portfolios, cases and holds, contacts and
refusals, promises and arrangements, field visits, the timeline, teams'
work); every name is importable from `collection.models`, as Django and the
migrations expect.
"""

from collection.models.agencies import (  # noqa: F401
    EVALUATION_INTERVAL_DAYS,
    Agency,
    AgencyContract,
    AgencyEvaluation,
    AgencyField,
    AgencyMember,
    AgencyStatus,
    AllocationRule,
    ClaimedPayment,
    ClaimStatus,
    CommissionKind,
    CommissionLine,
    CommissionStatement,
    CommissionTier,
    EvaluationOutcome,
    Placement,
    PlacementBatch,
    PlacementStatus,
    RecallReason,
    StatementStatus,
    TierBasis,
    placement_batch_number,
)
from collection.models.bulk import BulkMessageBatch  # noqa: F401
from collection.models.cases import (  # noqa: F401
    Case,
    CaseAccount,
    CaseStatus,
    CloseOutcome,
    Hold,
    HoldKind,
    LatenessReason,
    LimitationStart,
    Stage,
    StageChange,
    case_id_from_number,
    case_number,
)
from collection.models.contacts import (  # noqa: F401
    AnsweredBy,
    Channel,
    ContactAttempt,
    ContactRefusal,
    Direction,
    Outcome,
)
from collection.models.deals import (  # noqa: F401
    Arrangement,
    ArrangementInstallment,
    ArrangementKind,
    ArrangementStatus,
    PromiseStatus,
    PromiseToPay,
)
from collection.models.fields import ZERO  # noqa: F401
from collection.models.messaging import (  # noqa: F401
    MESSAGE_CHANNELS,
    DeliveryCallbackReceipt,
    MessageKind,
    MessageOrigin,
    MessageStatus,
    MessageTemplate,
    MessageTemplateVersion,
    OutboundMessage,
    ReminderRule,
)
from collection.models.nightly import (  # noqa: F401
    NightlyRun,
    NightlyStep,
    RunStatus,
)
from collection.models.portfolios import (  # noqa: F401
    Jurisdiction,
    Portfolio,
)
from collection.models.strategies import (  # noqa: F401
    Arm,
    CaseStrategy,
    Segment,
    StepExecution,
    StepOutcome,
    StepTrigger,
    Strategy,
    StrategyStep,
    StrategyVersion,
)
from collection.models.timeline import (  # noqa: F401
    CaseEvent,
    EventKind,
)
from collection.models.visits import (  # noqa: F401
    FieldVisit,
    VisitAttachment,
    VisitStatus,
)
from collection.models.work import (  # noqa: F401
    CollectorCapacity,
    TeamWorkRule,
)
