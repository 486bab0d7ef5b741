"""
Placing cases with an agency: one agency (`cases_place`), or several by a
rule (`cases_allocate`: round-robin, by region, by past performance), within
each agency's caseload cap.

Set-based: the checks read the cases in a few queries (chunks of ids), the
Placement rows are one INSERT ... SELECT a chunk, the cases move in one
UPDATE, their StageChange rows and timeline lines are one INSERT ... SELECT
each from the batch's placements; one audit event per batch. No query per case.

A case that cannot be placed is never dropped without a word: `cases_check`
says why (a refusal code, `REFUSAL_TEXT`), `cases_place` refuses the whole
batch with the cases and their reasons (PlacementRefused), and the plan of an
allocation (`allocation_plan`) lists the cases no agency may take.
"""

import datetime
from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal

from django.db import IntegrityError, connection, transaction
from django.db.models import CharField, DateField, DateTimeField, Exists, F, IntegerField, OuterRef, Value
from django.db.models.functions import JSONObject
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from accounts.services import audit_record
from collection.errors import CollectionError
from collection.models import (
    Agency,
    AgencyContract,
    AgencyStatus,
    AllocationRule,
    Case,
    CaseAccount,
    CaseEvent,
    CaseStatus,
    EventKind,
    Hold,
    Placement,
    PlacementBatch,
    PlacementStatus,
    Stage,
    StageChange,
    case_number,
)
from lending.services import lender_today
from lending.services.calendar import LENDER_TZ
from lending.sql import chunks

# Why a case cannot be placed (codes; the sentence is REFUSAL_TEXT's, for the reader).
MISSING, CLOSED, PLACED, ON_HOLD, IN_LEGAL, DISPOSED = "missing", "closed", "placed", "on_hold", "legal", "disposed"
REGION, PRODUCT, CURRENCY, CASELOAD = "region", "product", "currency", "caseload"
REFUSAL_TEXT = {
    MISSING: _("not found among the cases you may place"),
    CLOSED: _("the case is closed"),
    PLACED: _("already placed with an agency"),
    ON_HOLD: _("the case is on hold"),
    IN_LEGAL: _("the case is with legal"),
    DISPOSED: _("the case is written off or sold"),
    REGION: _("the borrower's province is outside the contract's regions"),
    PRODUCT: _("a product of the case is not one the contract covers"),
    CURRENCY: _("the case is in another currency than the contract"),
    CASELOAD: _("beyond the agency's maximum caseload"),
}
# The order a case's refusals are reported in when several agencies refuse it for different reasons.
AGENCY_REFUSALS = (REGION, PRODUCT, CURRENCY, CASELOAD)
DISPOSED_STAGES = (Stage.WRITE_OFF, Stage.SOLD)

AGENCY_INACTIVE = _("%(agency)s is not active: no case can be placed with it.")
NO_CONTRACT = _("%(agency)s has no contract in force on %(date)s.")
NOTHING_TO_PLACE = _("Select the cases to place.")
NO_AGENCY = _("Choose the agency (or the agencies) to place the cases with.")
RULE_UNKNOWN = _("Choose how the cases are shared among the agencies.")
AUDIT_PLACED = "collection.placement.placed"


def refusal_text(code: str) -> str:
    return str(REFUSAL_TEXT.get(code, code))


class PlacementRefused(CollectionError):
    """Some cases cannot be placed: `refusals` is {case_id: refusal code}; `numbers` their case numbers."""

    def __init__(self, *, agency, refusals: dict[int, str], numbers: dict[int, str]):
        self.refusals = refusals
        listed = [f"{numbers.get(pk, pk)} ({refusal_text(code)})" for pk, code in list(refusals.items())[:5]]
        if len(refusals) > 5:
            listed.append("…")
        message = ngettext(
            "%(count)d case cannot be placed with %(agency)s: %(cases)s.",
            "%(count)d cases cannot be placed with %(agency)s: %(cases)s.",
            len(refusals),
        ) % {"count": len(refusals), "agency": agency, "cases": "; ".join(listed)}
        super().__init__(message, field="cases")


def contract_in_force(agency: Agency, on: datetime.date) -> AgencyContract | None:
    """The agency's contract covering `on` (the one that started last), or None."""
    return (
        AgencyContract.objects.filter(agency=agency, starts_on__lte=on, ends_on__gte=on)
        .order_by("-starts_on", "-id")
        .first()
    )


def active_placements_count(agency) -> int:
    return Placement.objects.filter(agency=agency, status=PlacementStatus.ACTIVE).count()


# --- Reading the cases ------------------------------------------------------------------------


@dataclass(frozen=True)
class CaseRow:
    """What placing needs of one case, read in bulk."""

    pk: int
    number: str
    province: str
    currency: str
    balance: Decimal
    priority: int
    refusal: str  # a refusal whatever the agency ("" if none)
    product_ids: frozenset = frozenset()


def cases_read(case_ids, *, actor=None, lock: bool = False) -> dict[int, CaseRow]:
    """
    The cases by id, with the refusals that do not depend on the agency
    (closed, placed, on hold, in legal, disposed), in a query a chunk of ids
    (and one for their products). With `actor`, only the cases they may see.
    """
    from collection.selectors.cases import cases_visible_to

    ids = sorted({int(pk) for pk in case_ids})
    held = Hold.objects.filter(case_id=OuterRef("pk"), released_at__isnull=True)
    placed = Placement.objects.filter(case_id=OuterRef("pk"), status=PlacementStatus.ACTIVE)
    rows: dict[int, CaseRow] = {}
    products = defaultdict(set)
    for chunk in chunks(ids):
        cases = Case.objects.filter(pk__in=chunk)
        if actor is not None:
            cases = cases_visible_to(actor, cases)
        if lock:
            cases = cases.select_for_update(of=("self",))
        cases = cases.annotate(x_held=Exists(held), x_placed=Exists(placed)).order_by()
        columns = ("pk", "opened_on", "status", "stage", "agency_id", "borrower__province", "currency")
        columns += ("outstanding_balance", "priority", "x_held", "x_placed")
        for (
            pk,
            opened_on,
            status,
            stage,
            agency_id,
            province,
            currency,
            balance,
            priority,
            held_,
            placed_,
        ) in cases.values_list(*columns):
            if status == CaseStatus.CLOSED:
                refusal = CLOSED
            elif placed_ or agency_id is not None or stage == Stage.AGENCY:
                refusal = PLACED
            elif stage == Stage.LEGAL:
                refusal = IN_LEGAL
            elif stage in DISPOSED_STAGES:
                refusal = DISPOSED
            elif held_ or status == CaseStatus.ON_HOLD:
                refusal = ON_HOLD
            else:
                refusal = ""
            number = case_number(pk, opened_on.year)
            rows[pk] = CaseRow(pk, number, province or "", currency, balance or Decimal("0"), priority, refusal)
        memberships = CaseAccount.objects.filter(case_id__in=chunk, left_on__isnull=True).values_list(
            "case_id", "account__product_id"
        )
        for case_id, product_id in memberships:
            products[case_id].add(product_id)
    for pk, row in rows.items():
        if products.get(pk):
            rows[pk] = CaseRow(**{**row.__dict__, "product_ids": frozenset(products[pk])})
    return rows


@dataclass(frozen=True)
class Terms:
    """What an agency's contract in force allows, read once for a batch."""

    agency: Agency
    contract: AgencyContract
    regions: frozenset
    product_ids: frozenset
    capacity: int  # how many more cases it may take now

    def refusal(self, row: CaseRow) -> str:
        if self.regions and row.province not in self.regions:
            return REGION
        if self.product_ids and not row.product_ids <= self.product_ids:
            return PRODUCT
        if row.currency != self.contract.currency:
            return CURRENCY
        return ""


def agency_terms(agency: Agency, *, on: datetime.date) -> Terms:
    """The agency's terms on `on`; CollectionError if it is inactive or has no contract in force."""
    if agency.status != AgencyStatus.ACTIVE:
        raise CollectionError(AGENCY_INACTIVE % {"agency": agency}, field="agency")
    contract = contract_in_force(agency, on)
    if contract is None:
        raise CollectionError(NO_CONTRACT % {"agency": agency, "date": on.isoformat()}, field="agency")
    regions = frozenset(str(region).strip() for region in (contract.regions or ()) if str(region).strip())
    product_ids = frozenset(contract.products.values_list("pk", flat=True))
    capacity = max(contract.max_caseload - active_placements_count(agency), 0)
    return Terms(agency, contract, regions, product_ids, capacity)


# --- Placing with one agency ------------------------------------------------------------------


def _sql(queryset) -> tuple[str, tuple]:
    return queryset.query.get_compiler(using=queryset.db).as_sql()


def _execute(statement: str, params) -> int:
    with connection.cursor() as cursor:
        cursor.execute(statement, params)
        return max(cursor.rowcount, 0)


def placement_moment(placed_on: datetime.date, *, now: datetime.datetime) -> datetime.datetime:
    """
    When a placement starts: now, or for a placement back-dated to an earlier day the start of that
    day in the lender's time zone, so the payments received since count for the agency
    (commission and performance go by `placed_at`).
    """
    if placed_on >= timezone.localdate(now, LENDER_TZ):
        return now
    return datetime.datetime.combine(placed_on, datetime.time.min, tzinfo=LENDER_TZ)


def _placements_insert(batch: PlacementBatch, case_ids: list[int], *, now) -> None:
    """One INSERT ... SELECT of the batch's Placement rows a chunk of cases."""
    table = Placement._meta.db_table
    for chunk in chunks(case_ids):
        rows = (
            Case.objects.filter(pk__in=chunk)
            .annotate(
                x_batch=Value(batch.pk, output_field=IntegerField()),
                x_agency=Value(batch.agency_id, output_field=IntegerField()),
                x_contract=Value(batch.contract_id, output_field=IntegerField()),
                x_on=Value(batch.placed_on, output_field=DateField()),
                x_at=Value(now, output_field=DateTimeField()),
                x_due=Value(batch.recall_due_on, output_field=DateField()),
                x_status=Value(PlacementStatus.ACTIVE, output_field=CharField()),
                x_empty=Value("", output_field=CharField()),
            )
            .order_by()
            .values_list(
                "x_batch",
                "x_agency",
                "x_contract",
                "pk",
                "x_on",
                "x_at",
                "x_due",
                "stage",
                "outstanding_balance",
                "overdue_total",
                "bucket",
                "days_past_due",
                "currency",
                "x_status",
                "x_empty",
                "x_empty",
            )
        )
        select, params = _sql(rows)
        _execute(
            f"INSERT INTO {table} (batch_id, agency_id, contract_id, case_id, placed_on, placed_at, "  # noqa: S608
            "recall_due_on, stage_before, balance_at_placement, overdue_at_placement, bucket_at_placement, "
            f"days_past_due_at_placement, currency, status, recall_reason, recall_note) {select}",
            params,
        )


def stage_changes_insert(placements, *, on: datetime.date, from_stage, to_stage, actor) -> int:
    """
    One INSERT ... SELECT of a StageChange per placement (placing: from the
    stage before to the agency; recalling: back); the stages are expressions.
    """
    rows = (
        placements.annotate(
            x_on=Value(on, output_field=DateField()),
            x_from=from_stage,
            x_to=to_stage,
            x_actor=Value(actor.pk if actor else None, output_field=IntegerField()),
        )
        .order_by()
        .values_list("case_id", "x_on", "x_from", "x_to", "x_actor")
    )
    select, params = _sql(rows)
    return _execute(
        f"INSERT INTO {StageChange._meta.db_table} (case_id, changed_on, from_stage, to_stage, actor_id) {select}",  # noqa: S608
        params,
    )


def events_insert(placements, *, code: str, facts: dict, stage_facts: dict, actor, now, notes: str = "") -> int:
    """
    One INSERT ... SELECT of a timeline line per placement: `facts` are the
    batch's constants (collection/events.py builds them), `stage_facts` the
    placement's own columns ({"from": "stage_before"}).
    """
    values = {
        key: Value(value, output_field=IntegerField() if isinstance(value, int) else CharField())
        for key, value in facts.items()
    }
    values.update({key: F(column) for key, column in stage_facts.items()})
    rows = (
        placements.annotate(
            x_at=Value(now, output_field=DateTimeField()),
            x_kind=Value(EventKind.STAGE, output_field=CharField()),
            x_code=Value(code, output_field=CharField()),
            x_actor=Value(actor.pk if actor else None, output_field=IntegerField()),
            x_notes=Value(notes, output_field=CharField()),
            x_empty=Value("", output_field=CharField()),
            x_data=JSONObject(**values),
        )
        .order_by()
        .values_list("case_id", "x_at", "x_kind", "x_actor", "x_code", "x_data", "x_notes", "x_empty")
    )
    select, params = _sql(rows)
    return _execute(
        f"INSERT INTO {CaseEvent._meta.db_table} (case_id, occurred_at, kind, actor_id, code, data, notes, summary) "  # noqa: S608
        f"{select}",
        params,
    )


def cases_place(
    *,
    case_ids,
    agency: Agency,
    actor,
    placed_on: datetime.date | None = None,
    note: str = "",
    rule: str = AllocationRule.SINGLE,
    strategy_step=None,
) -> PlacementBatch:
    """
    Place the cases with the agency as one numbered batch, under its contract
    in force: each Placement records the balance, overdue amount, bucket and
    days past due at placement and the recall-due date (placed_on + the
    contract's placement days); the cases move to the agency stage with
    `Case.agency` set. Refuses (PlacementRefused) when any case cannot be
    placed, naming them and why; CollectionError for an inactive agency or no
    contract in force.
    """
    from collection import events

    case_ids = sorted({int(pk) for pk in case_ids})
    if not case_ids:
        raise CollectionError(NOTHING_TO_PLACE, field="cases")
    placed_on = placed_on or lender_today()
    note = (note or "").strip()[:300]
    with transaction.atomic():
        # One placing at a time per agency: the caseload is counted under the lock.
        agency = Agency.objects.select_for_update().get(pk=agency.pk)
        terms = agency_terms(agency, on=placed_on)
        rows = cases_read(case_ids, actor=actor, lock=True)
        refusals = {}
        for pk in case_ids:
            row = rows.get(pk)
            refusal = MISSING if row is None else (row.refusal or terms.refusal(row))
            if refusal:
                refusals[pk] = refusal
        if not refusals and len(case_ids) > terms.capacity:
            refusals = {pk: CASELOAD for pk in case_ids[terms.capacity :]}
        if refusals:
            raise PlacementRefused(
                agency=agency, refusals=refusals, numbers={pk: row.number for pk, row in rows.items()}
            )
        contract = terms.contract
        now = timezone.now()
        placed_at = placement_moment(placed_on, now=now)
        balance = sum((rows[pk].balance for pk in case_ids), Decimal("0.00"))
        batch = PlacementBatch.objects.create(
            agency=agency,
            contract=contract,
            rule=rule,
            placed_on=placed_on,
            recall_due_on=placed_on + datetime.timedelta(days=contract.placement_days),
            case_count=len(case_ids),
            balance_placed=balance,
            currency=contract.currency,
            note=note,
            strategy_step=strategy_step,
            created_by=actor,
        )
        try:
            with transaction.atomic():
                _placements_insert(batch, case_ids, now=placed_at)
        except IntegrityError:  # placed at the same moment by someone else: the one-active constraint says no
            numbers = {pk: row.number for pk, row in rows.items()}
            raise PlacementRefused(agency=agency, refusals=dict.fromkeys(case_ids, PLACED), numbers=numbers) from None
        placements = Placement.objects.filter(batch=batch)
        agency_stage = Value(Stage.AGENCY, output_field=CharField())
        stage_changes_insert(placements, on=placed_on, from_stage=F("stage_before"), to_stage=agency_stage, actor=actor)
        facts = events.case_placed(agency=agency, batch=batch)
        events_insert(
            placements,
            code=facts.code,
            facts=facts.data,
            stage_facts={"from": "stage_before"},
            actor=actor,
            now=placed_at,
        )
        Case.objects.filter(pk__in=placements.values("case_id")).update(
            stage=Stage.AGENCY, agency=agency, worked_by=None, worked_until=None, updated_at=now
        )
        audit_record(
            action=AUDIT_PLACED,
            target=batch,
            actor=actor,
            data={
                **facts.data,
                "cases": len(case_ids),
                "balance": str(balance),
                "currency": batch.currency,
                "rule": str(rule),
            },
        )
    return batch


# --- Several agencies, by a rule --------------------------------------------------------------


def cases_allocate(
    *,
    case_ids,
    agencies: list[Agency],
    rule: str,
    actor,
    placed_on: datetime.date | None = None,
    note: str = "",
    strategy_step=None,
) -> list[PlacementBatch]:
    """
    Place the cases with several agencies by the rule, one batch per agency
    that takes any; the cases none may take are reported back (the list
    returned is an `Allocation`: its `unplaced` names them and why), not dropped.
    Refuses when no agency can take a case at all.
    """
    from collection.agencies.allocation import Allocation, allocation_plan

    placed_on = placed_on or lender_today()
    with transaction.atomic():
        # Serialise with other placings on these agencies: the caps are read under the lock.
        ids = [agency.pk for agency in agencies]
        locked = list(Agency.objects.select_for_update().filter(pk__in=ids).order_by("pk"))
        plan = allocation_plan(case_ids=case_ids, agencies=locked, rule=rule, actor=actor, placed_on=placed_on)
        if not plan.shares:
            raise CollectionError("; ".join(plan.agencies_refused.values()) or NO_AGENCY, field="agencies")
        batches = [
            cases_place(
                case_ids=share.case_ids,
                agency=share.agency,
                actor=actor,
                placed_on=placed_on,
                note=note,
                rule=rule,
                strategy_step=strategy_step,
            )
            for share in plan.shares
            if share.case_ids
        ]
    return Allocation(batches, plan.refusals)


def register() -> None:
    """The placements' navigation, case section, strategy action, timeline and audit sentences."""
    from collection.agencies.placement_wiring import placement_register

    placement_register()
