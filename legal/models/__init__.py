"""
Legal's models: letters (templates, versions, generated documents, batches),
the legal policy per portfolio, litigation files and court bundles. Every
name is importable from `legal.models`.
"""

from legal.models.bundles import CourtBundle  # noqa: F401
from legal.models.letters import (  # noqa: F401
    DEMAND_KINDS,
    LEGALLY_REQUIRED_KINDS,
    THREATENING_KINDS,
    Document,
    LetterBatch,
    LetterBatchItem,
    LetterKind,
    LetterTemplate,
    LetterTemplateVersion,
)
from legal.models.litigation import (  # noqa: F401
    ENDED_STATUSES,
    Enforcement,
    EnforcementRecovery,
    Evidence,
    FileStatus,
    FileStatusChange,
    Hearing,
    Judgment,
    LegalCost,
    LitigationFile,
)
from legal.models.policy import LegalPolicy, StateLimitation  # noqa: F401
