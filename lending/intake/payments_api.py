"""
The JSON payments endpoint's write: the core system's payments, all or none,
each call a batch (source API) finished and audited like a file's
(lending.intake.batch_run). The view and its token check are in
lending.intake.views; the tokens in lending.intake.tokens.
"""

from dataclasses import dataclass, field
from decimal import Decimal

from django.db import IntegrityError, transaction
from django.utils.translation import gettext_lazy as _

from lending.intake.batch_run import _finish, _finish_failed
from lending.intake.errors import IntakeError
from lending.intake.pipeline import RejectedWhileApplying, row_errors_store
from lending.intake.schema import SCHEMAS
from lending.intake.upsert import HANDLERS, Counts, Parsed, Row, RowError, parse_row
from lending.models import ImportBatch, IntakeToken

API_MAX_ITEMS = 1000

API_BODY_INVALID = _('The body must be a JSON payment object or {"payments": [...]}.')
API_TOO_MANY = _("At most {limit} payments per call.")
API_ITEM_NOT_OBJECT = _("Each payment must be a JSON object.")
API_UNKNOWN_FIELD = _("Unknown field.")
API_MISSING_FIELD = _("This field is required.")
API_NOT_TEXT = _("Must be a string or a number.")
API_CONFLICT = _("A concurrent call recorded one of these payments; send the call again.")


@dataclass
class ApiItemError:
    index: int
    field: str
    value: str
    reason: str


@dataclass
class ApiOutcome:
    batch: ImportBatch | None
    results: list[dict] = field(default_factory=list)
    errors: list[ApiItemError] = field(default_factory=list)
    counts: Counts = field(default_factory=Counts)


def _as_text(value) -> str | None:
    """A JSON value as the text a CSV cell would hold (numbers arrive as Decimal, never float)."""
    if value is None:
        return ""
    if isinstance(value, bool) or not isinstance(value, str | int | Decimal | float):
        return None
    return str(value)


def _api_rows(items: list) -> tuple[list[Row], list[RowError]]:
    schema = SCHEMAS[ImportBatch.Kind.PAYMENTS]
    rows, errors = [], []
    for index, item in enumerate(items):
        number = index + 1
        if not isinstance(item, dict):
            errors.append(RowError(number, "", "", str(API_ITEM_NOT_OBJECT), {}))
            continue
        raw = {str(key): str(value)[:300] for key, value in item.items()}
        cells, bad = {}, False
        for key, value in item.items():
            if key not in schema.by_name:
                errors.append(RowError(number, str(key)[:64], raw[str(key)], str(API_UNKNOWN_FIELD), raw))
                bad = True
                continue
            text = _as_text(value)
            if text is None:
                errors.append(RowError(number, key, raw[key], str(API_NOT_TEXT), raw))
                bad = True
                continue
            cells[key] = text
        for name in schema.required:
            if name not in item:
                errors.append(RowError(number, name, "", str(API_MISSING_FIELD), raw))
                bad = True
        if not bad:
            rows.append(Row(number, list(cells.values()), list(cells)))
    return rows, errors


def intake_payments_receive(
    *, items: list, token: IntakeToken, encoding: str = ImportBatch.Encoding.UTF8
) -> ApiOutcome:
    """
    Record the payments the core system sends, all or none: every call is a
    batch (source API) with its audit event. A payment whose external id is
    known already is "unchanged"; a call repeated changes nothing.
    """
    if len(items) > API_MAX_ITEMS:
        raise IntakeError(str(API_TOO_MANY).format(limit=API_MAX_ITEMS))
    from lending.intake.pipeline import Outcome

    with transaction.atomic():
        batch = ImportBatch.objects.create(
            kind=ImportBatch.Kind.PAYMENTS,
            source=ImportBatch.Source.API,
            status=ImportBatch.Status.RUNNING,
            encoding=encoding,
            original_name=f"API: {token.name}"[:255],
            total_rows=len(items),
        )
    outcome = Outcome(total_rows=len(items))
    rows, errors = _api_rows(items)
    schema = SCHEMAS[ImportBatch.Kind.PAYMENTS]
    handler = HANDLERS[ImportBatch.Kind.PAYMENTS](batch=batch, columns=schema.names)
    parsed = []
    for row in rows:
        result = parse_row(schema, row)
        if isinstance(result, Parsed):
            parsed.append(result)
        else:
            errors.extend(result)
    api = ApiOutcome(batch=batch)
    try:
        with transaction.atomic():
            good, more = handler.check(parsed)
            errors += more
            if not errors:
                from lending.models import Payment

                known = set(
                    Payment.objects.filter(external_id__in=[item.values["external_id"] for item in good]).values_list(
                        "external_id", flat=True
                    )
                )
                counts, apply_errors = handler.apply(good)
                errors += apply_errors
                if errors:
                    raise RejectedWhileApplying(errors)
                outcome.counts = counts
                api.counts = counts
                api.results = [
                    {
                        "index": item.number - 1,
                        "external_id": item.values["external_id"],
                        "status": "unchanged" if item.values["external_id"] in known else "created",
                    }
                    for item in sorted(good, key=lambda item: item.number)
                ]
                _finish(batch, outcome, status=ImportBatch.Status.APPLIED)
    except RejectedWhileApplying:
        pass
    except IntegrityError:
        # Two calls raced to record the same payment: the loser is told to retry
        # (the retry finds the payment and counts it unchanged).
        errors = [RowError(0, "", "", str(API_CONFLICT), {})]
    except Exception as error:
        _finish_failed(batch, error)
        raise
    if errors:
        with transaction.atomic():
            row_errors_store(batch, errors)
            outcome.bad_rows = {error.number for error in errors}
            outcome.counts = Counts()
            _finish(batch, outcome, status=ImportBatch.Status.REJECTED)
        api.results = []
        api.errors = [
            ApiItemError(index=error.number - 1, field=error.column, value=error.value, reason=error.reason)
            for error in sorted(errors, key=lambda error: error.number)
        ]
    batch.refresh_from_db()
    return api
