"""
The agency return file: what an agency's own system sends back — the
contacts its agents made, the promises they took, the payments they say
they collected — one CSV per file, imported as a lending ImportBatch of kind
`agency_returns` through lending's intake (the same upload, declared
encoding, preview, all-or-nothing or quarantine, and error report as the
core system's files). Lending knows nothing of collection: `register()`
hands it this format (schema_register) and this handler (handler_register).

Each row is judged as if the agency's agent had entered it on the case page:
- the case must be placed with the uploader's agency now (an active
  placement); otherwise the row is refused as "not placed with your agency",
  whether or not the case exists;
- a contact is logged through `contact_log`, so the compliance guard judges
  it at its `occurred_at` (contact hours then, the day's connected calls with
  the lender's and every agency's); a refusal is a bad row with the rule's
  reason (and, when the file is applied, a line of the refusal log); the
  number or address used must be one the agency's placement file holds;
- a promise goes through `promise_record` (today to 60 days ahead, within
  the balance); a contact of the same case at the same moment is its contact;
- a claimed payment becomes a ClaimedPayment, matched against the payments
  really received (exchange_claims.py), never booked.

Re-importing duplicates nothing, without a mapping table: a row whose
natural key is already on the case counts as unchanged — a contact by the
same agency on the same case at the same second on the same channel with
the same outcome, a promise by the agency of the same amount due the same
day, a claim with the same agency reference (a unique constraint).

The check pass tries each new contact and promise in a savepoint that is
rolled back (so the preview's verdict is the service's own); the applying
pass logs them for real, in the order of the file, so a row the file's
earlier rows make refusable (a fourth connected call that day) is refused
then.
"""

import datetime

from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from collection.agencies.members import agency_id_of
from collection.compliance import ContactRefused
from collection.compliance.rules import Rule
from collection.errors import CollectionError
from collection.models import (
    AgencyField,
    AnsweredBy,
    Channel,
    ClaimedPayment,
    ContactAttempt,
    Direction,
    Outcome,
    Placement,
    PlacementStatus,
    PromiseToPay,
)
from collection.services.contacts import CONTACT_POINT_KINDS_BY_CHANNEL, contact_log
from collection.services.promises import promise_record
from lending.intake.schema import (
    REQUIRED_VALUE,
    Column,
    Schema,
    aware_datetime,
    choice,
    date,
    integer,
    money,
    schema_register,
    text,
)
from lending.intake.upsert import Counts, Handler, RowError, handler_register
from lending.models import ContactPoint, ImportBatch
from lending.phones import number_e164, region_for
from lending.services import LENDER_TZ

KIND = ImportBatch.Kind.AGENCY_RETURNS


class RecordType:
    ACTIVITY = "activity"
    PROMISE = "promise"
    PAYMENT = "payment"
    CHOICES = [(ACTIVITY, ACTIVITY), (PROMISE, PROMISE), (PAYMENT, PAYMENT)]


# Reasons a row is refused. Tests assert against these.
NOT_PLACED_WITH_YOUR_AGENCY = _("This case is not placed with your agency.")
BEFORE_PLACEMENT = _("Before the case was placed with your agency (on {placed_on}).")
CONTACT_NOT_IN_FILE = _("Not one of the numbers or addresses your placement file gives for this case.")
CONTACT_NOT_NEEDED = _("An in-app message goes to the borrower's app: leave the contact blank.")
REFERENCE_CLAIMED_OTHERWISE = _("Your agency claimed this reference before, with another case, amount or date.")
REPEATED_IN_FILE = _("Repeats row {row} of this file.")

RETURNS = Schema(
    kind=KIND,
    key=("record_type", "case_number"),
    columns=(
        Column("record_type", choice(RecordType.CHOICES), required=True),
        Column("case_number", text(32), required=True),
        Column("occurred_at", aware_datetime, required=True),
        Column("channel", choice(Channel.choices)),
        Column("contact", text(300)),
        Column("answered_by", choice(AnsweredBy.choices)),
        Column("outcome", choice(Outcome.choices)),
        Column("duration_seconds", integer(low=0, high=4 * 60 * 60), default=0),
        Column("amount", money(positive=True), default=None),
        Column("due_on", date, default=None),
        Column("reference", text(64)),
        Column("notes", text(2000)),
    ),
)

# What each kind of record needs besides the three columns every row has.
NEEDED = {
    RecordType.ACTIVITY: ("channel", "answered_by", "outcome"),
    RecordType.PROMISE: ("amount", "due_on"),
    RecordType.PAYMENT: ("amount", "reference"),
}
# Which contract detail lets the agency use a kind of contact point (a third party's: THIRD_PARTIES).
KIND_FIELD = {
    ContactPoint.Kind.MOBILE: AgencyField.PHONE,
    ContactPoint.Kind.HOME_PHONE: AgencyField.PHONE,
    ContactPoint.Kind.WORK_PHONE: AgencyField.PHONE,
    ContactPoint.Kind.EMAIL: AgencyField.EMAIL,
    ContactPoint.Kind.HOME_ADDRESS: AgencyField.ADDRESS,
    ContactPoint.Kind.WORK_ADDRESS: AgencyField.ADDRESS,
}
# Where in the row a guard refusal points.
RULES_ON_THE_CONTACT = frozenset(
    {
        Rule.CONTACT_POINT,
        Rule.NUMBER_MARKED,
        Rule.CONSENT,
        Rule.THIRD_PARTY_CHANNEL,
        Rule.THIRD_PARTY_REFUSED,
        Rule.THIRD_PARTY_ONCE,
        Rule.THIRD_PARTY_BORROWER_REACHABLE,
        Rule.THIRD_PARTY_LOCATE_ONLY,
    }
)
RULES_ON_THE_CASE = frozenset({Rule.BORROWER_FLAG, Rule.HOLD, Rule.CEASE_CONTACT, Rule.TIME_BARRED})


class _DryRun(Exception):
    """Raised inside the savepoint of a check, to roll back what the service wrote."""


def usable_contact_point(placement: Placement, points, kind_wanted, value: str) -> ContactPoint | None:
    """The borrower's contact point written as `value`, if the contract shows its kind to the agency; else None."""
    shown = set(placement.contract.visible_fields or [])
    region = region_for(province=placement.case.borrower.province, time_zone=placement.case.borrower.time_zone)
    wanted_e164 = number_e164(value, region)
    for point in points:
        if point.kind not in kind_wanted:
            continue
        field = AgencyField.THIRD_PARTIES if point.is_third_party else KIND_FIELD[point.kind]
        if field not in shown:
            continue
        if point.value.strip().casefold() == value.casefold() or (wanted_e164 and point.number_e164 == wanted_e164):
            return point
    return None


def _day(moment: datetime.datetime) -> datetime.date:
    return moment.astimezone(LENDER_TZ).date()


class AgencyReturnHandler(Handler):
    kind = KIND

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        creator = self.batch.created_by
        self.agency_id = agency_id_of(creator) if creator is not None else None
        self.actor = creator
        # (case id, occurred_at) → the contact this file logged, for a promise taken on it.
        self.contacts: dict[tuple[int, datetime.datetime], ContactAttempt] = {}
        self.claims: list[int] = []

    # --- Within the file ---------------------------------------------------------------

    def key_of(self, parsed):
        values = parsed.values
        record_type = values["record_type"]
        if record_type == RecordType.PAYMENT:
            # No reference: a bad row of its own (a value is required), not a repeat of another.
            return (record_type, values.get("reference") or f"#{parsed.number}")
        if record_type == RecordType.PROMISE:
            return (record_type, values["case_number"].upper(), values.get("amount"), values.get("due_on"))
        return (
            record_type,
            values["case_number"].upper(),
            values["occurred_at"],
            values.get("channel"),
            values.get("outcome"),
        )

    def check(self, rows):
        unique, errors = [], []
        for parsed in rows:
            first = self.seen.setdefault(self.key_of(parsed), parsed.number)
            if first != parsed.number:
                column = "reference" if parsed.values["record_type"] == RecordType.PAYMENT else "case_number"
                errors.append(self.error(parsed, column, str(REPEATED_IN_FILE).format(row=first)))
            else:
                unique.append(parsed)
        good, more = self.check_references(unique)
        return good, errors + more

    # --- Against the database -----------------------------------------------------------

    def _placements(self, rows) -> dict[str, Placement]:
        """The agency's active placements of the cases these rows name, by case number."""
        from collection.models.cases import case_id_from_number

        ids = {case_id_from_number(parsed.values["case_number"]) for parsed in rows} - {None}
        if not ids or self.agency_id is None:
            return {}
        placements = (
            Placement.objects.filter(case_id__in=ids, agency_id=self.agency_id, status=PlacementStatus.ACTIVE)
            .select_related("case__borrower", "case__portfolio", "contract")
            .prefetch_related("case__borrower__contact_points")
        )
        return {placement.case.number: placement for placement in placements}

    def check_references(self, rows):
        good, errors = [], []
        for parsed in rows:
            missing = [name for name in NEEDED[parsed.values["record_type"]] if parsed.values.get(name) in ("", None)]
            if missing:
                errors.extend(RowError(parsed.number, name, "", str(REQUIRED_VALUE), parsed.raw) for name in missing)
            else:
                good.append(parsed)
        placements = self._placements(good)
        placed = []
        for parsed in good:
            placement = placements.get(parsed.values["case_number"].strip().upper())
            if placement is None:
                errors.append(self.error(parsed, "case_number", NOT_PLACED_WITH_YOUR_AGENCY))
                continue
            if parsed.values["occurred_at"] < placement.placed_at:
                reason = str(BEFORE_PLACEMENT).format(placed_on=placement.placed_on)
                errors.append(self.error(parsed, "occurred_at", reason))
                continue
            parsed.refs["placement"] = placement
            placed.append(parsed)
        checked, more = self._contact_points(placed)
        errors += more
        self._existing(checked)
        if not self.applying:
            more = self.check_only([parsed for parsed in checked if parsed.existing is None])
            bad = {error.number for error in more}
            checked = [parsed for parsed in checked if parsed.number not in bad]
            errors += more
        return checked, errors

    def _contact_points(self, rows):
        good, errors = [], []
        for parsed in rows:
            values = parsed.values
            if values["record_type"] != RecordType.ACTIVITY:
                good.append(parsed)
                continue
            kinds = CONTACT_POINT_KINDS_BY_CHANNEL[values["channel"]]
            given = values.get("contact", "")
            if not kinds:
                if given:
                    errors.append(self.error(parsed, "contact", CONTACT_NOT_NEEDED))
                    continue
                parsed.refs["contact_point"] = None
                good.append(parsed)
                continue
            placement = parsed.refs["placement"]
            points = placement.case.borrower.contact_points.all()
            point = usable_contact_point(placement, points, kinds, given) if given else None
            if point is None:
                errors.append(self.error(parsed, "contact", REQUIRED_VALUE if not given else CONTACT_NOT_IN_FILE))
                continue
            parsed.refs["contact_point"] = point
            good.append(parsed)
        return good, errors

    def _existing(self, rows) -> None:
        """Mark the rows already on their case (a file sent again): they count as unchanged."""
        by_type: dict[str, list] = {}
        for parsed in rows:
            by_type.setdefault(parsed.values["record_type"], []).append(parsed)
        case_ids = {parsed.refs["placement"].case_id for parsed in rows}
        if by_type.get(RecordType.ACTIVITY):
            known = {
                (contact.case_id, contact.occurred_at, contact.channel, contact.outcome): contact
                for contact in ContactAttempt.objects.filter(
                    case_id__in=case_ids,
                    occurred_at__in={parsed.values["occurred_at"] for parsed in by_type[RecordType.ACTIVITY]},
                    actor__agency_membership__agency_id=self.agency_id,
                )
            }
            for parsed in by_type[RecordType.ACTIVITY]:
                values = parsed.values
                key = (parsed.refs["placement"].case_id, values["occurred_at"], values["channel"], values["outcome"])
                parsed.existing = known.get(key)
        if by_type.get(RecordType.PROMISE):
            known = {
                (promise.case_id, promise.amount, promise.due_on): promise
                for promise in PromiseToPay.objects.filter(
                    case_id__in=case_ids, created_by__agency_membership__agency_id=self.agency_id
                )
            }
            for parsed in by_type[RecordType.PROMISE]:
                values = parsed.values
                parsed.existing = known.get((parsed.refs["placement"].case_id, values["amount"], values["due_on"]))
        if by_type.get(RecordType.PAYMENT):
            references = {parsed.values["reference"] for parsed in by_type[RecordType.PAYMENT]}
            known = {
                claim.reference: claim
                for claim in ClaimedPayment.objects.filter(agency_id=self.agency_id, reference__in=references)
            }
            for parsed in by_type[RecordType.PAYMENT]:
                parsed.existing = known.get(parsed.values["reference"])

    # --- Applying -----------------------------------------------------------------------

    def _write(self, parsed):
        """The row's record, through the services (CollectionError when one refuses it)."""
        values = parsed.values
        placement = parsed.refs["placement"]
        # An earlier row of the file may have recalled it (a dispute said on a call holds the case).
        if not Placement.objects.filter(pk=placement.pk, status=PlacementStatus.ACTIVE).exists():
            raise CollectionError(NOT_PLACED_WITH_YOUR_AGENCY, field="case_number")
        case = placement.case
        record_type = values["record_type"]
        if record_type == RecordType.ACTIVITY:
            contact = contact_log(
                case=case,
                channel=values["channel"],
                contact_point=parsed.refs["contact_point"],
                answered_by=values["answered_by"],
                outcome=values["outcome"],
                duration_seconds=values.get("duration_seconds") or 0,
                notes=values.get("notes", ""),
                direction=Direction.OUTBOUND,
                actor=self.actor,
                at=values["occurred_at"],
            )
            self.contacts[(case.pk, values["occurred_at"])] = contact
            return contact
        if record_type == RecordType.PROMISE:
            contact = self.contacts.get((case.pk, values["occurred_at"]))
            return promise_record(
                case=case, amount=values["amount"], due_on=values["due_on"], actor=self.actor, contact=contact
            )
        return self._claim(parsed, placement)

    def _claim(self, parsed, placement) -> ClaimedPayment:
        values = parsed.values
        try:
            with transaction.atomic():
                claim = ClaimedPayment.objects.create(
                    agency_id=placement.agency_id,
                    placement=placement,
                    reference=values["reference"],
                    amount=values["amount"],
                    paid_on=_day(values["occurred_at"]),
                    import_batch=self.batch,
                    note=values.get("notes", "")[:300],
                )
        except IntegrityError:  # the same reference, claimed by another file at this very moment
            raise CollectionError(REFERENCE_CLAIMED_OTHERWISE, field="reference") from None
        self.claims.append(claim.pk)
        return claim

    def _refusal(self, parsed, error: CollectionError) -> RowError:
        if isinstance(error, ContactRefused):
            rule = error.verdict.rule
            column = "contact" if rule in RULES_ON_THE_CONTACT else "case_number" if rule in RULES_ON_THE_CASE else ""
            column = column or "occurred_at"
        else:
            column = getattr(error, "field", "") or ""
            column = column if column in self.schema.by_name else "record_type"
        return self.error(parsed, column, str(error))

    def _changed_payment(self, parsed) -> bool:
        claim, values = parsed.existing, parsed.values
        return (claim.placement_id, claim.amount, claim.paid_on) != (
            parsed.refs["placement"].pk,
            values["amount"],
            _day(values["occurred_at"]),
        )

    def check_only(self, rows):
        """What applying these rows would refuse, each tried in a savepoint rolled back."""
        errors = []
        for parsed in rows:
            if parsed.existing is not None:
                if parsed.values["record_type"] == RecordType.PAYMENT and self._changed_payment(parsed):
                    errors.append(self.error(parsed, "reference", REFERENCE_CLAIMED_OTHERWISE))
                continue
            try:
                with transaction.atomic():
                    self._write(parsed)
                    raise _DryRun
            except _DryRun:
                pass
            except CollectionError as error:
                errors.append(self._refusal(parsed, error))
        self.contacts.clear()
        self.claims.clear()
        return errors

    def apply(self, rows):
        from collection.agencies.exchange_claims import claims_match

        counts, errors = Counts(), []
        self.claims = []
        for parsed in rows:
            if parsed.existing is not None:
                if parsed.values["record_type"] == RecordType.PAYMENT and self._changed_payment(parsed):
                    errors.append(self.error(parsed, "reference", REFERENCE_CLAIMED_OTHERWISE))
                else:
                    counts.unchanged += 1
                continue
            # Each service is atomic (a savepoint here): a refused row leaves nothing but, for a contact
            # the guard refused, its line in the refusal log, which no savepoint of ours may roll back.
            try:
                self._write(parsed)
            except CollectionError as error:
                errors.append(self._refusal(parsed, error))
            else:
                counts.created += 1
        if self.claims:
            claims_match(claims=ClaimedPayment.objects.filter(pk__in=self.claims))
        return counts, errors


def agency_return_batches(agency_id: int | None):
    """The return files uploaded by an agency's members (every agency's: None)."""
    batches = ImportBatch.objects.filter(kind=KIND).select_related("created_by")
    if agency_id is not None:
        batches = batches.filter(Q(created_by__agency_membership__agency_id=agency_id))
    return batches


def register() -> None:
    schema_register(KIND, RETURNS)
    handler_register(KIND, AgencyReturnHandler)
