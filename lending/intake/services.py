"""
Every write of the intake, by one name: import batches from files (browser
upload and management command), the JSON payments endpoint, and its tokens.
Callers import from here; the code lives in:

- lending.intake.batches      storing a file as a batch, the preview's confirm
                              and cancel, import_file (the command's store-and-run)
- lending.intake.batch_run    running a batch: claim, check, apply or quarantine,
                              the finish and its audit event
- lending.intake.payments_api the JSON payments endpoint's all-or-none write
- lending.intake.tokens       the API's tokens
- lending.intake.errors       IntakeError

All paths share the schema (lending.intake.schema), the row checks and the
upserts (lending.intake.upsert). A batch's outcome is one audit event:
lending.import.applied, .partly_applied, .rejected or .failed.
"""

from lending.intake.batch_run import (
    MESSAGE_APPLIED,
    MESSAGE_FAILED,
    MESSAGE_FILE_REJECTED,
    MESSAGE_PARTLY_APPLIED,
    MESSAGE_REJECTED,
    _finish,
    _finish_failed,
    _finish_file_rejected,
    _message,
    _run,
    _unwrapped,
    import_batch_run,
)
from lending.intake.batches import (
    BATCH_NOT_WAITING,
    DEFAULT_MAX_FILE_BYTES,
    FILE_EMPTY_UPLOAD,
    FILE_TOO_LARGE,
    KIND_UNKNOWN,
    MESSAGE_CANCELLED,
    _file_size,
    _sha256_of,
    import_batch_cancel,
    import_batch_confirm,
    import_batch_create,
    import_file,
    max_file_bytes,
)
from lending.intake.errors import IntakeError
from lending.intake.payments_api import (
    API_BODY_INVALID,
    API_CONFLICT,
    API_ITEM_NOT_OBJECT,
    API_MAX_ITEMS,
    API_MISSING_FIELD,
    API_NOT_TEXT,
    API_TOO_MANY,
    API_UNKNOWN_FIELD,
    ApiItemError,
    ApiOutcome,
    _api_rows,
    _as_text,
    intake_payments_receive,
)
from lending.intake.pipeline import APPLYING
from lending.intake.tokens import (
    TOKEN_NAME_REQUIRED,
    TOKEN_NAME_TAKEN,
    _token_hash,
    intake_token_authenticate,
    intake_token_create,
)

__all__ = [
    "API_BODY_INVALID",
    "API_CONFLICT",
    "API_ITEM_NOT_OBJECT",
    "API_MAX_ITEMS",
    "API_MISSING_FIELD",
    "API_NOT_TEXT",
    "API_TOO_MANY",
    "API_UNKNOWN_FIELD",
    "APPLYING",
    "BATCH_NOT_WAITING",
    "DEFAULT_MAX_FILE_BYTES",
    "FILE_EMPTY_UPLOAD",
    "FILE_TOO_LARGE",
    "KIND_UNKNOWN",
    "MESSAGE_APPLIED",
    "MESSAGE_CANCELLED",
    "MESSAGE_FAILED",
    "MESSAGE_FILE_REJECTED",
    "MESSAGE_PARTLY_APPLIED",
    "MESSAGE_REJECTED",
    "TOKEN_NAME_REQUIRED",
    "TOKEN_NAME_TAKEN",
    "ApiItemError",
    "ApiOutcome",
    "IntakeError",
    "_api_rows",
    "_as_text",
    "_file_size",
    "_finish",
    "_finish_failed",
    "_finish_file_rejected",
    "_message",
    "_run",
    "_sha256_of",
    "_token_hash",
    "_unwrapped",
    "import_batch_cancel",
    "import_batch_confirm",
    "import_batch_create",
    "import_batch_run",
    "import_file",
    "intake_payments_receive",
    "intake_token_authenticate",
    "intake_token_create",
    "max_file_bytes",
]
