"""
Row checking and set-based upserts, one handler per kind of import.

The pipeline hands a handler a chunk of parsed rows twice: `check()` in the
validation pass (references resolved and existing rows loaded in bulk, one
query per chunk and table, never one per row) and again, followed by
`apply()`, in the applying pass. `apply()` compares each row with the
existing record and writes only the differences with bulk_create and
bulk_update, so a repeated file counts every row "unchanged" and writes
nothing.
"""

from dataclasses import dataclass, field
from typing import Any

from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from lending.intake.schema import REQUIRED_VALUE, SCHEMAS, CellError, Schema, ric_problem, ric_shaped
from lending.models import (
    Borrower,
    ContactPoint,
    CreditAccount,
    CreditLimitChange,
    CreditProduct,
    ImportBatch,
    Installment,
)
from lending.phones import CHINA, number_e164, region_for
from lending.services.marks import PHONE_KINDS

WRITE_BATCH = 1000
REF_CACHE_MAX = 100_000  # referenced ids remembered across the chunks of a file

REPEATED_IN_FILE = _("Repeats row {row} of this file (the same {key}).")
UNKNOWN_BORROWER = _("No borrower has this external id.")
UNKNOWN_ACCOUNT = _("No credit account has this external id.")
UNKNOWN_PRODUCT = _("No credit product has this code.")
THIRD_PARTY_NEEDS_RELATION = _("A third party's contact point needs their relation to the borrower.")
DUE_BEFORE_LENT = _("The due date is before the date the principal was lent.")
DUE_BELOW_PAID = _("Less than has already been paid on this installment ({paid}).")
WRONG_FIELD_COUNT = _("The row has {found} fields; the header has {expected}.")

# A borrower whose time zone is one of China's is held to the resident
# identity number whatever its shape (a national id shaped like one is
# checked as one for everybody, by the schema).
CHINA_TIME_ZONES = frozenset(
    {"Asia/Shanghai", "Asia/Urumqi", "Asia/Chongqing", "Asia/Chungking", "Asia/Harbin", "Asia/Kashgar", "PRC"}
)


@dataclass(slots=True)
class Row:
    """A row as read: its number in the file (the item's index + 1 for the API), its columns and text fields."""

    number: int
    fields: list[str]
    columns: list[str]

    @property
    def cells(self) -> dict[str, str]:
        return dict(zip(self.columns, self.fields, strict=True))


@dataclass(slots=True)
class RowError:
    number: int
    column: str
    value: str
    reason: str
    raw: dict = field(default_factory=dict)


@dataclass(slots=True)
class Parsed:
    number: int
    values: dict[str, Any]
    row: Row
    existing: Any = None
    refs: dict[str, Any] = field(default_factory=dict)

    @property
    def raw(self) -> dict[str, str]:
        return self.row.cells


@dataclass
class Counts:
    created: int = 0
    updated: int = 0
    unchanged: int = 0

    def add(self, other: "Counts") -> None:
        self.created += other.created
        self.updated += other.updated
        self.unchanged += other.unchanged


def parse_row(schema: Schema, row: Row) -> Parsed | list[RowError]:
    """Every cell through its column's parser: the parsed row, or one error per bad cell."""
    return row_parser(schema, row.columns)(row)


def row_parser(schema: Schema, columns: list[str]):
    """parse_row for rows with these columns, with the column lookups done once: it runs for every row of a file."""
    plan = [
        (name, column.parse, column.required, column.default) for name in columns for column in [schema.by_name[name]]
    ]

    def parse(row: Row) -> Parsed | list[RowError]:
        values = {}
        errors = None
        for (name, parse_cell, required, default), text in zip(plan, row.fields, strict=True):
            text = text.strip()
            if text:
                try:
                    values[name] = parse_cell(text)
                except CellError as error:
                    errors = errors or []
                    errors.append(RowError(row.number, name, text, str(error), row.cells))
            elif required:
                errors = errors or []
                errors.append(RowError(row.number, name, "", str(REQUIRED_VALUE), row.cells))
            else:
                values[name] = default
        return errors or Parsed(row.number, values, row)

    return parse


class Handler:
    """What is common to every kind: duplicate keys within a file, error making, counting."""

    kind: str = ""
    # The applying pass reads chunks this many times the checking pass's.
    apply_chunk_factor = 1

    def __init__(self, *, batch: ImportBatch, columns: list[str], applying: bool = False):
        self.batch = batch
        # In the applying pass; check() runs before apply() in both passes.
        self.applying = applying
        self.schema = SCHEMAS[self.kind]
        self.columns = columns
        self.parse = row_parser(self.schema, columns)
        self.seen: dict = {}
        self.ref_cache: dict[tuple, dict] = {}

    def key_of(self, parsed: Parsed):
        # Kept for every row of a file (to find repeats): a bare string where one column is the key.
        if len(self.schema.key) == 1:
            return parsed.values[self.schema.key[0]]
        return tuple(parsed.values[name] for name in self.schema.key)

    def error(self, parsed: Parsed, column: str, reason) -> RowError:
        return RowError(parsed.number, column, str(parsed.raw.get(column, "")), str(reason), parsed.raw)

    def check(self, rows: list[Parsed]) -> tuple[list[Parsed], list[RowError]]:
        unique, errors = [], []
        for parsed in rows:
            key = self.key_of(parsed)
            first = self.seen.setdefault(key, parsed.number)
            if first != parsed.number:
                reason = str(REPEATED_IN_FILE).format(row=first, key=", ".join(self.schema.key))
                errors.append(self.error(parsed, self.schema.key[0], reason))
            else:
                unique.append(parsed)
        good, more_errors = self.check_references(unique)
        return good, errors + more_errors

    def check_references(self, rows: list[Parsed]) -> tuple[list[Parsed], list[RowError]]:
        return rows, []

    def apply(self, rows: list[Parsed]) -> tuple[Counts, list[RowError]]:
        raise NotImplementedError

    def check_only(self, rows: list[Parsed]) -> list[RowError]:
        """The errors apply() would find in these checked rows, writing nothing."""
        return []

    # Helpers for the kinds that upsert one model by external id.

    def _existing_by_external_id(self, model, rows):
        ids = [parsed.values["external_id"] for parsed in rows]
        return {obj.external_id: obj for obj in model.objects.filter(external_id__in=ids)}

    def _resolve(self, rows, *, column, model, reason, ref_name, lookup="external_id"):
        """Replace a reference column by the referenced record's id; rows that point at nothing become errors."""
        wanted = {parsed.values[column] for parsed in rows if column in parsed.values}
        # Files repeat references (five payments of one account): ids found are kept for the next chunks.
        found = self.ref_cache.setdefault((model, lookup), {})
        missing = wanted - found.keys()
        if len(found) + len(missing) > REF_CACHE_MAX:
            found.clear()
            missing = wanted
        if missing:
            found.update(model.objects.filter(**{f"{lookup}__in": missing}).values_list(lookup, "id"))
        good, errors = [], []
        for parsed in rows:
            if column not in parsed.values:
                good.append(parsed)
                continue
            target = found.get(parsed.values[column])
            if target is None:
                errors.append(self.error(parsed, column, reason))
            else:
                parsed.refs[ref_name] = target
                good.append(parsed)
        return good, errors

    def _fields_of(self, parsed: Parsed) -> dict[str, Any]:
        """The model fields this row sets: its own columns (not the key's references) and its resolved references."""
        values = {name: value for name, value in parsed.values.items() if name in self.model_columns}
        values.update(parsed.refs)
        return values

    model_columns: frozenset[str] = frozenset()

    def _upsert(self, model, rows: list[Parsed], *, build_key, stamp_updated: bool = False) -> Counts:
        """Create the new rows, update the changed ones (only the fields that differ), count the rest."""
        counts = Counts()
        to_create, to_update, changed_fields = [], [], set()
        for parsed in rows:
            fields = self._fields_of(parsed)
            obj = parsed.existing
            if obj is None:
                to_create.append(model(**build_key(parsed), **fields))
                continue
            changed = [name for name, value in fields.items() if getattr(obj, name) != value]
            if not changed:
                counts.unchanged += 1
                continue
            self.before_update(obj, fields, changed)
            for name in changed:
                setattr(obj, name, fields[name])
            changed_fields.update(changed)
            to_update.append(obj)
        if to_create:
            model.objects.bulk_create(to_create, batch_size=WRITE_BATCH)
        if to_update:
            if stamp_updated:
                now = timezone.now()
                for obj in to_update:
                    obj.updated_at = now
                changed_fields.add("updated_at")
            model.objects.bulk_update(to_update, sorted(changed_fields), batch_size=WRITE_BATCH)
        counts.created = len(to_create)
        counts.updated = len(to_update)
        return counts

    def before_update(self, obj, fields, changed) -> None:
        """A hook: see an update before it is made."""


class BorrowerHandler(Handler):
    kind = ImportBatch.Kind.BORROWERS
    model_columns = frozenset(SCHEMAS[ImportBatch.Kind.BORROWERS].names) - {"external_id"}

    def check_references(self, rows):
        existing = self._existing_by_external_id(Borrower, rows)
        good, errors = [], []
        default_zone = Borrower._meta.get_field("time_zone").get_default()  # a new borrower without the column
        for parsed in rows:
            obj = parsed.existing = existing.get(parsed.values["external_id"])
            number = parsed.values.get("national_id", "")
            zone = parsed.values.get("time_zone", obj.time_zone if obj else default_zone)
            province = parsed.values.get("province", obj.province if obj else "")
            # No zone sent: the address tells (a US state is not China; no address: the lender's home market).
            in_china = zone in CHINA_TIME_ZONES or (not zone and region_for(province=province) == CHINA)
            problem = ric_problem(number) if number and in_china and not ric_shaped(number) else None
            if problem:
                errors.append(self.error(parsed, "national_id", problem))
            else:
                good.append(parsed)
        return good, errors

    def apply(self, rows):
        key = lambda parsed: {"external_id": parsed.values["external_id"]}  # noqa: E731
        return self._upsert(Borrower, rows, build_key=key, stamp_updated=True), []


class ContactPointHandler(Handler):
    kind = ImportBatch.Kind.CONTACT_POINTS
    model_columns = frozenset(SCHEMAS[ImportBatch.Kind.CONTACT_POINTS].names) - {
        "external_id",
        "borrower_external_id",
    }

    def check_references(self, rows):
        good, errors = self._resolve(
            rows, column="borrower_external_id", model=Borrower, reason=UNKNOWN_BORROWER, ref_name="borrower_id"
        )
        existing = self._existing_by_external_id(ContactPoint, good)
        checked = []
        for parsed in good:
            obj = parsed.existing = existing.get(parsed.values["external_id"])
            owner = parsed.values.get("owner", obj.owner if obj else ContactPoint.Owner.BORROWER)
            relation = parsed.values.get("relation", obj.relation if obj else "")
            if owner == ContactPoint.Owner.THIRD_PARTY and not relation:
                errors.append(self.error(parsed, "relation", THIRD_PARTY_NEEDS_RELATION))
            else:
                checked.append(parsed)
        return checked, errors

    def apply(self, rows):
        # The number in E.164, read in its borrower's country (one query a chunk for the borrowers).
        borrower_ids = {parsed.refs["borrower_id"] for parsed in rows}
        self._regions = {
            borrower_id: region_for(province=province, time_zone=zone)
            for borrower_id, province, zone in Borrower.objects.filter(id__in=borrower_ids).values_list(
                "id", "province", "time_zone"
            )
        }
        key = lambda parsed: {"external_id": parsed.values["external_id"]}  # noqa: E731
        return self._upsert(ContactPoint, rows, build_key=key), []

    def _fields_of(self, parsed):
        values = super()._fields_of(parsed)
        obj = parsed.existing
        kind = values.get("kind", obj.kind if obj else "")
        value = values.get("value", obj.value if obj else "")
        region = self._regions.get(values.get("borrower_id", obj.borrower_id if obj else None))
        values["number_e164"] = number_e164(value, region) if kind in PHONE_KINDS else ""
        return values


class AccountHandler(Handler):
    kind = ImportBatch.Kind.ACCOUNTS
    model_columns = frozenset(SCHEMAS[ImportBatch.Kind.ACCOUNTS].names) - {
        "external_id",
        "borrower_external_id",
        "product_code",
    }

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.limit_changes: list[CreditLimitChange] = []

    def check_references(self, rows):
        good, errors = self._resolve(
            rows, column="borrower_external_id", model=Borrower, reason=UNKNOWN_BORROWER, ref_name="borrower_id"
        )
        good, product_errors = self._resolve(
            good,
            column="product_code",
            model=CreditProduct,
            reason=UNKNOWN_PRODUCT,
            ref_name="product_id",
            lookup="code",
        )
        existing = self._existing_by_external_id(CreditAccount, good)
        for parsed in good:
            parsed.existing = existing.get(parsed.values["external_id"])
        return good, errors + product_errors

    def before_update(self, obj, fields, changed):
        if "credit_limit" in changed:
            self.limit_changes.append(
                CreditLimitChange(
                    account=obj,
                    changed_at=timezone.now(),
                    previous_limit=obj.credit_limit,
                    new_limit=fields["credit_limit"],
                    reason=CreditLimitChange.Reason.INTAKE,
                    note=str(_("Import batch {number}")).format(number=self.batch.pk),
                    actor=self.batch.created_by,
                )
            )

    def apply(self, rows):
        self.limit_changes = []
        key = lambda parsed: {"external_id": parsed.values["external_id"]}  # noqa: E731
        counts = self._upsert(CreditAccount, rows, build_key=key)
        CreditLimitChange.objects.bulk_create(self.limit_changes, batch_size=WRITE_BATCH)
        return counts, []


class InstallmentHandler(Handler):
    kind = ImportBatch.Kind.INSTALLMENTS
    model_columns = frozenset(SCHEMAS[ImportBatch.Kind.INSTALLMENTS].names) - {"account_external_id", "number"}

    def check_references(self, rows):
        good, errors = self._resolve(
            rows, column="account_external_id", model=CreditAccount, reason=UNKNOWN_ACCOUNT, ref_name="account_id"
        )
        pairs = {(parsed.refs["account_id"], parsed.values["number"]) for parsed in good}
        existing = {}
        if pairs:
            query = Q(account_id__in={account for account, _n in pairs}, number__in={n for _a, n in pairs})
            existing = {
                (obj.account_id, obj.number): obj
                for obj in Installment.objects.filter(query)
                if (obj.account_id, obj.number) in pairs
            }
        checked = []
        for parsed in good:
            obj = parsed.existing = existing.get((parsed.refs["account_id"], parsed.values["number"]))
            values = parsed.values
            lent_on, due_on = values.get("lent_on"), values.get("due_on")
            if lent_on and due_on and due_on < lent_on:
                errors.append(self.error(parsed, "due_on", DUE_BEFORE_LENT))
                continue
            below_paid = False
            if obj is not None:
                for column, paid_field in (
                    ("principal_due", "principal_paid"),
                    ("interest_due", "interest_paid"),
                    ("fee_due", "fee_paid"),
                ):
                    paid = getattr(obj, paid_field)
                    if column in values and values[column] < paid:
                        errors.append(self.error(parsed, column, str(DUE_BELOW_PAID).format(paid=paid)))
                        below_paid = True
            if not below_paid:
                checked.append(parsed)
        return checked, errors

    def _fields_of(self, parsed):
        values = super()._fields_of(parsed)
        values.pop("account_id", None)
        return values

    def apply(self, rows):
        def key(parsed):
            return {"account_id": parsed.refs["account_id"], "number": parsed.values["number"]}

        return self._upsert(Installment, rows, build_key=key), []


class PaymentHandler(Handler):
    """
    Payments are facts, recorded once and never updated; recording and
    allocating them is lending.services' business (payments_record_batch).
    """

    kind = ImportBatch.Kind.PAYMENTS
    # payments_record_batch has a cost per call (locking, temporary tables): fewer, larger calls.
    apply_chunk_factor = 50

    def _payment_rows(self, rows: list[Parsed]):
        from lending.services import PaymentRow

        return [
            PaymentRow(
                values["external_id"],
                values["account_external_id"],
                values["amount"],
                values["received_at"],
                values["channel"],
                parsed.number,
            )
            for parsed in rows
            for values in (parsed.values,)
        ]

    def _errors(self, rows: list[Parsed], result) -> list[RowError]:
        if not result.errors:
            return []
        row_of = {parsed.number: parsed.row for parsed in rows}
        return [
            RowError(
                error.row_number,
                error.column,
                error.value,
                error.reason,
                row_of[error.row_number].cells if error.row_number in row_of else {},
            )
            for error in result.errors
        ]

    def check_references(self, rows):
        if self.applying:
            # payments_record_batch checks each row as it records it.
            return rows, []
        # The checking pass resolves only the accounts, cheaply; what else
        # payments_record_batch refuses (a known payment with other data, a
        # closed account) it reports when the rows are applied.
        return self._resolve(
            rows, column="account_external_id", model=CreditAccount, reason=UNKNOWN_ACCOUNT, ref_name="account_id"
        )

    def check_only(self, rows):
        from lending.services import payments_record_batch

        return self._errors(rows, payments_record_batch(rows=self._payment_rows(rows), dry_run=True))

    def apply(self, rows):
        from lending.services import payments_record_batch

        result = payments_record_batch(
            rows=self._payment_rows(rows),
            import_batch=self.batch,
            quarantine_bad_rows=self.batch.quarantine_bad_rows,
        )
        return Counts(created=result.created, unchanged=result.unchanged), self._errors(rows, result)


HANDLERS: dict[str, type[Handler]] = {
    handler.kind: handler
    for handler in (BorrowerHandler, ContactPointHandler, AccountHandler, InstallmentHandler, PaymentHandler)
}


def handler_register(kind: str, handler_class: type[Handler]) -> None:
    """The handler of a kind another app registered with `schema_register` (lending.intake.schema)."""
    if kind not in SCHEMAS or handler_class.kind != kind:
        raise ValueError(kind)
    HANDLERS[kind] = handler_class
