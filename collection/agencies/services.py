"""
The manager's edits of agencies: the agency itself and its status, its
contracts with their commission tiers, its periodic evaluations and the users
who work for it. Each write validates, runs in one transaction and writes
its audit event there; refusals are CollectionErrors naming the form field.

Suspending or terminating an agency only changes its status: the placements'
nightly step (collection/agencies/recall.py) recalls the cases of agencies
that no longer work, so a status change never half-recalls a batch here.
"""

import datetime
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal

from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils.translation import gettext_lazy as _

from accounts.permissions import Capability, user_can
from accounts.services import audit_record
from collection.errors import CollectionError
from collection.models import (
    EVALUATION_INTERVAL_DAYS,
    Agency,
    AgencyContract,
    AgencyEvaluation,
    AgencyField,
    AgencyMember,
    AgencyStatus,
    CommissionTier,
    EvaluationOutcome,
    Placement,
    PlacementStatus,
    TierBasis,
)
from lending.models import Bucket

# An evaluation falling due within this many days is flagged on the agency list and the hub.
EVALUATION_NOTICE_DAYS = 30

CODE_TAKEN = _("Another agency has this code.")
CODE_REQUIRED = _("Give the agency a code.")
NAME_REQUIRED = _("Give the agency a name.")
STATUS_UNKNOWN = _("Choose a status.")
STATUS_UNCHANGED = _("The agency is %(status)s already.")
TERMINATED_FINAL = _("A terminated agency stays terminated: make a new agency for a new relationship.")
CONTRACT_DATES = _("The contract ends before it starts.")
CONTRACT_REFERENCE_TAKEN = _("This agency has another contract with this reference.")
CONTRACT_REFERENCE_REQUIRED = _("Give the contract a reference.")
CONTRACT_CURRENCY = _("The currency is a three-letter ISO 4217 code, e.g. CNY.")
CONTRACT_FEE = _("The flat fee cannot be negative.")
CONTRACT_PLACEMENT_DAYS = _("The placement period is at least one day.")
CONTRACT_CASELOAD = _("The maximum caseload is at least one case.")
CONTRACT_FIELD_UNKNOWN = _("Unknown borrower detail: %(field)s.")
CONTRACT_TERMINATED_AGENCY = _("A terminated agency gets no new contract.")
TIERS_REQUIRED = _("A contract needs at least one commission tier.")
TIER_RATE = _("Tier %(position)s: the rate is from 0 to 100%%.")
TIER_BUCKET_UNKNOWN = _("Tier %(position)s: there is no bucket %(bucket)s.")
TIER_BUCKET_TWICE = _("Bucket %(bucket)s has two tiers.")
TIER_ANY_TWICE = _("Only one tier may be “any other bucket”.")
TIER_BUCKETS_UNCOVERED = _(
    "No tier covers bucket %(buckets)s: add a tier for it, or one for any other bucket (bucket left empty)."
)
TIER_DAYS_NEEDED = _("Tier %(position)s: tiers by days since placement have a from day (and a to day but the last).")
TIER_DAYS_START = _("The first tier by days since placement starts at day 0.")
TIER_DAYS_GAP = _(
    "Tier %(position)s starts at day %(start)s: the tier above ends at day %(end)s, so it should start at %(next)s."
)
TIER_DAYS_REVERSED = _("Tier %(position)s ends before it starts.")
TIER_DAYS_OPEN = _("Only the last tier may have no to day.")
TIER_DAYS_CLOSED = _("The last tier has no to day, so that every day of the placement has a rate.")
EVALUATION_FUTURE = _("An evaluation is recorded once it has taken place: the date is in the future.")
EVALUATION_OUTCOME = _("Choose the evaluation's outcome.")
MEMBER_NOT_AGENCY_USER = _("%(user)s is not a user of the agency role: an administrator gives them that role first.")
MEMBER_AGENCY_INACTIVE = _("Only an active agency gets new members.")


# --- Agencies ------------------------------------------------------------------------------------


def _agency_data(agency: Agency) -> dict:
    return {
        "code": agency.code,
        "name": agency.name,
        "licence_number": agency.licence_number,
        "registration_number": agency.registration_number,
        "contact_name": agency.contact_name,
        "contact_phone": agency.contact_phone,
        "contact_email": agency.contact_email,
        "address": agency.address,
    }


@transaction.atomic
def agency_save(*, agency: Agency, actor) -> Agency:
    """Create or change an agency (its status changes through agency_status_set)."""
    agency.code = (agency.code or "").strip().upper()
    agency.name = (agency.name or "").strip()
    if not agency.code:
        raise CollectionError(CODE_REQUIRED, field="code")
    if not agency.name:
        raise CollectionError(NAME_REQUIRED, field="name")
    if Agency.objects.filter(code__iexact=agency.code).exclude(pk=agency.pk).exists():
        raise CollectionError(CODE_TAKEN, field="code")
    created = agency.pk is None
    before = {} if created else _agency_data(Agency.objects.get(pk=agency.pk))
    if created:
        agency.status = AgencyStatus.ACTIVE
        agency.save()
    else:
        agency.save(update_fields=[*_agency_data(agency), "updated_at"])
    after = _agency_data(agency)
    changed = sorted(key for key in after if before.get(key) != after[key])
    if created or changed:
        audit_record(
            action="collection.agency.created" if created else "collection.agency.changed",
            target=agency,
            actor=actor,
            data={"code": agency.code, "fields": changed},
        )
    return agency


@transaction.atomic
def agency_status_set(*, agency: Agency, status: str, actor, note: str = "") -> Agency:
    """Suspend, terminate or reactivate an agency. Its placements are recalled by the nightly step, not here."""
    if status not in AgencyStatus.values:
        raise CollectionError(STATUS_UNKNOWN, field="status")
    agency = Agency.objects.select_for_update().get(pk=agency.pk)
    if agency.status == status:
        raise CollectionError(STATUS_UNCHANGED % {"status": agency.get_status_display()}, field="status")
    if agency.status == AgencyStatus.TERMINATED:
        raise CollectionError(TERMINATED_FINAL, field="status")
    before = agency.status
    agency.status = status
    agency.save(update_fields=["status", "updated_at"])
    audit_record(
        action="collection.agency.status_changed",
        target=agency,
        actor=actor,
        data={"from": before, "to": status, "note": note[:300]},
    )
    return agency


# --- Contracts and their tiers -----------------------------------------------------------------


@dataclass(frozen=True)
class TierDraft:
    """One commission tier as the form gives it: `rate` a fraction (0.15 is 15%)."""

    rate: Decimal
    bucket: str = ""
    min_days: int | None = None
    max_days: int | None = None


def placeable_bucket_codes() -> list[str]:
    """The buckets a case can be in when it is placed (every overdue one), in their order."""
    return list(Bucket.objects.filter(min_days__gt=0).order_by("min_days").values_list("code", flat=True))


def _tiers_check(basis: str, tiers: list[TierDraft]) -> list[TierDraft]:
    if not tiers:
        raise CollectionError(TIERS_REQUIRED, field="tiers")
    for position, tier in enumerate(tiers, start=1):
        if tier.rate is None or not Decimal(0) <= tier.rate <= Decimal(1):
            raise CollectionError(TIER_RATE % {"position": position}, field="tiers")
    if basis == TierBasis.BUCKET:
        return _bucket_tiers_check(tiers)
    return _day_tiers_check(tiers)


def _bucket_tiers_check(tiers: list[TierDraft]) -> list[TierDraft]:
    all_codes = set(Bucket.objects.values_list("code", flat=True))
    named: set[str] = set()
    any_other = False
    cleaned = []
    for position, tier in enumerate(tiers, start=1):
        bucket = (tier.bucket or "").strip()
        if not bucket:
            if any_other:
                raise CollectionError(TIER_ANY_TWICE, field="tiers")
            any_other = True
        elif bucket not in all_codes:
            raise CollectionError(TIER_BUCKET_UNKNOWN % {"position": position, "bucket": bucket}, field="tiers")
        elif bucket in named:
            raise CollectionError(TIER_BUCKET_TWICE % {"bucket": bucket}, field="tiers")
        else:
            named.add(bucket)
        cleaned.append(TierDraft(rate=tier.rate, bucket=bucket))
    if not any_other:
        missing = [code for code in placeable_bucket_codes() if code not in named]
        if missing:
            raise CollectionError(TIER_BUCKETS_UNCOVERED % {"buckets": ", ".join(missing)}, field="tiers")
    return cleaned


def _day_tiers_check(tiers: list[TierDraft]) -> list[TierDraft]:
    for position, tier in enumerate(tiers, start=1):
        if tier.min_days is None:
            raise CollectionError(TIER_DAYS_NEEDED % {"position": position}, field="tiers")
    ordered = sorted(tiers, key=lambda tier: tier.min_days)
    if ordered[0].min_days != 0:
        raise CollectionError(TIER_DAYS_START, field="tiers")
    cleaned = []
    for index, tier in enumerate(ordered):
        position = index + 1
        last = index == len(ordered) - 1
        if tier.max_days is None and not last:
            raise CollectionError(TIER_DAYS_OPEN, field="tiers")
        if tier.max_days is not None and last:
            raise CollectionError(TIER_DAYS_CLOSED, field="tiers")
        if tier.max_days is not None and tier.max_days < tier.min_days:
            raise CollectionError(TIER_DAYS_REVERSED % {"position": position}, field="tiers")
        if index:
            previous = ordered[index - 1]
            if tier.min_days != previous.max_days + 1:
                raise CollectionError(
                    TIER_DAYS_GAP
                    % {
                        "position": position,
                        "start": tier.min_days,
                        "end": previous.max_days,
                        "next": previous.max_days + 1,
                    },
                    field="tiers",
                )
        cleaned.append(TierDraft(rate=tier.rate, min_days=tier.min_days, max_days=tier.max_days))
    return cleaned


def _contract_check(contract: AgencyContract) -> None:
    contract.reference = (contract.reference or "").strip()
    contract.currency = (contract.currency or "").strip().upper()
    if not contract.reference:
        raise CollectionError(CONTRACT_REFERENCE_REQUIRED, field="reference")
    if contract.starts_on and contract.ends_on and contract.ends_on < contract.starts_on:
        raise CollectionError(CONTRACT_DATES, field="ends_on")
    if len(contract.currency) != 3 or not contract.currency.isalpha():
        raise CollectionError(CONTRACT_CURRENCY, field="currency")
    if contract.flat_fee_per_case is None or contract.flat_fee_per_case < 0:
        raise CollectionError(CONTRACT_FEE, field="flat_fee_per_case")
    if not contract.placement_days or contract.placement_days < 1:
        raise CollectionError(CONTRACT_PLACEMENT_DAYS, field="placement_days")
    if not contract.max_caseload or contract.max_caseload < 1:
        raise CollectionError(CONTRACT_CASELOAD, field="max_caseload")
    for field in contract.visible_fields or []:
        if field not in AgencyField.values:
            raise CollectionError(CONTRACT_FIELD_UNKNOWN % {"field": field}, field="visible_fields")
    taken = AgencyContract.objects.filter(agency_id=contract.agency_id, reference__iexact=contract.reference)
    if taken.exclude(pk=contract.pk).exists():
        raise CollectionError(CONTRACT_REFERENCE_TAKEN, field="reference")


def _tier_facts(tiers) -> list[list]:
    return [[tier.bucket, tier.min_days, tier.max_days, str(tier.rate)] for tier in tiers]


@transaction.atomic
def contract_save(
    *, contract: AgencyContract, tiers: list[TierDraft], products: Iterable | None = None, actor
) -> AgencyContract:
    """
    Create or change a contract and replace its tiers, in one transaction.
    `products` empty or None: every product. Commission already computed keeps its rate
    (each CommissionLine stores its own); new payments use the tiers saved here.
    """
    created = contract.pk is None
    if created and contract.agency.status == AgencyStatus.TERMINATED:
        raise CollectionError(CONTRACT_TERMINATED_AGENCY)
    contract.regions = sorted({region.strip() for region in (contract.regions or []) if region and region.strip()})
    shown = set(contract.visible_fields or [])
    contract.visible_fields = [code for code in AgencyField.values if code in shown] + sorted(
        shown - set(AgencyField.values)
    )
    _contract_check(contract)
    cleaned = _tiers_check(contract.tier_basis, list(tiers))
    contract.save()
    contract.products.set(list(products or []))
    contract.tiers.all().delete()
    CommissionTier.objects.bulk_create(
        [
            CommissionTier(
                contract=contract, bucket=tier.bucket, min_days=tier.min_days, max_days=tier.max_days, rate=tier.rate
            )
            for tier in cleaned
        ]
    )
    audit_record(
        action="collection.agency_contract.created" if created else "collection.agency_contract.changed",
        target=contract,
        actor=actor,
        data={
            "agency": contract.agency.code,
            "reference": contract.reference,
            "starts_on": contract.starts_on.isoformat(),
            "ends_on": contract.ends_on.isoformat(),
            "basis": contract.tier_basis,
            "tiers": _tier_facts(cleaned),
        },
    )
    return contract


# --- Evaluations --------------------------------------------------------------------------------


@transaction.atomic
def evaluation_record(
    *, agency: Agency, evaluated_on: datetime.date, outcome: str, notes: str = "", actor
) -> AgencyEvaluation:
    """Record an evaluation; the agency's last evaluation date moves to it (an older one recorded late does not)."""
    from lending.services import lender_today

    if outcome not in EvaluationOutcome.values:
        raise CollectionError(EVALUATION_OUTCOME, field="outcome")
    if evaluated_on > lender_today():
        raise CollectionError(EVALUATION_FUTURE, field="evaluated_on")
    agency = Agency.objects.select_for_update().get(pk=agency.pk)
    evaluation = AgencyEvaluation.objects.create(
        agency=agency, evaluated_on=evaluated_on, outcome=outcome, notes=notes.strip(), evaluated_by=actor
    )
    if agency.last_evaluated_on is None or evaluated_on > agency.last_evaluated_on:
        agency.last_evaluated_on = evaluated_on
        agency.save(update_fields=["last_evaluated_on", "updated_at"])
    audit_record(
        action="collection.agency.evaluated",
        target=agency,
        actor=actor,
        data={"evaluated_on": evaluated_on.isoformat(), "outcome": outcome},
    )
    return evaluation


def agencies_evaluation_due(on: datetime.date) -> QuerySet:
    """Agencies still working (not terminated) never evaluated, or whose yearly evaluation is due within 30 days."""
    threshold = on + datetime.timedelta(days=EVALUATION_NOTICE_DAYS - EVALUATION_INTERVAL_DAYS)
    return (
        Agency.objects.exclude(status=AgencyStatus.TERMINATED)
        .filter(Q(last_evaluated_on__isnull=True) | Q(last_evaluated_on__lte=threshold))
        .order_by("last_evaluated_on", "name")
    )


def evaluation_state(agency: Agency, on: datetime.date) -> str:
    """ "never", "overdue", "due" (within 30 days) or "" (not due yet): how the list flags the agency."""
    due_on = agency.evaluation_due_on
    if due_on is None:
        return "never"
    if due_on < on:
        return "overdue"
    if due_on <= on + datetime.timedelta(days=EVALUATION_NOTICE_DAYS):
        return "due"
    return ""


# --- Members ------------------------------------------------------------------------------------


@transaction.atomic
def member_link(*, user, agency: Agency, is_supervisor: bool, actor) -> AgencyMember:
    """
    Link a user of the agency role to `agency` as agent or supervisor (or change their role there).
    Moving them from another agency hands that agency's placements they worked back to its pool.
    """
    if not user_can(user, Capability.WORK_AGENCY_CASES):
        raise CollectionError(MEMBER_NOT_AGENCY_USER % {"user": user}, field="user")
    if agency.status != AgencyStatus.ACTIVE:
        raise CollectionError(MEMBER_AGENCY_INACTIVE, field="user")
    member = AgencyMember.objects.select_for_update().filter(user=user).first()
    previous_agency = member.agency if member else None
    if member is None:
        member = AgencyMember.objects.create(user=user, agency=agency, is_supervisor=is_supervisor)
    else:
        if member.agency_id == agency.pk and member.is_supervisor == is_supervisor:
            return member
        if member.agency_id != agency.pk:
            Placement.objects.filter(agency_id=member.agency_id, agent=user, status=PlacementStatus.ACTIVE).update(
                agent=None
            )
        member.agency = agency
        member.is_supervisor = is_supervisor
        member.save(update_fields=["agency", "is_supervisor"])
    user.__dict__.pop("agency_membership", None)
    audit_record(
        action="collection.agency.member_linked",
        target=agency,
        actor=actor,
        data={
            "user": user.get_username(),
            "supervisor": is_supervisor,
            "from_agency": previous_agency.code if previous_agency and previous_agency.pk != agency.pk else "",
        },
    )
    return member


# --- How the audit events read ------------------------------------------------------------------


def _status_sentence(event) -> str:
    from django.utils.translation import gettext as gettext_now

    labels = dict(AgencyStatus.choices)
    return gettext_now("Agency %(agency)s: %(before)s → %(after)s") % {
        "agency": event.target_repr,
        "before": labels.get(event.data["from"], event.data["from"]),
        "after": labels.get(event.data["to"], event.data["to"]),
    }


def _evaluated_sentence(event) -> str:
    from django.utils.translation import gettext as gettext_now

    from collection.timeline import short_date

    return gettext_now("Agency %(agency)s evaluated on %(date)s: %(outcome)s") % {
        "agency": event.target_repr,
        "date": short_date(event.data["evaluated_on"]),
        "outcome": dict(EvaluationOutcome.choices).get(event.data["outcome"], event.data["outcome"]),
    }


def _member_sentence(event) -> str:
    from django.utils.translation import gettext as gettext_now

    if event.data.get("supervisor"):
        text = gettext_now("%(user)s works for agency %(agency)s as a supervisor")
    else:
        text = gettext_now("%(user)s works for agency %(agency)s as an agent")
    return text % {"user": event.data["user"], "agency": event.target_repr}


def register() -> None:
    from accounts.audit_text import audit_sentence_register
    from accounts.navigation import NavGroup, NavItem, nav_group_register, nav_register

    # The agencies' pages share one entry of the bar, "Agencies", whose page lists them (A, D, E add theirs).
    nav_group_register(NavGroup("agencies", _("Agencies"), "collection:agencies_hub", order=70))
    nav_register(
        NavItem(
            "agency_list",
            _("Agencies and contracts"),
            "collection:agency_list",
            Capability.MANAGE_AGENCIES,
            order=70,
            group="agencies",
            description=_(
                "The agencies, their contracts and commission tiers, their yearly evaluations and their users."
            ),
        )
    )

    audit_sentence_register("collection.agency.created", _("Agency %(target)s added"))
    audit_sentence_register("collection.agency.changed", _("Agency %(target)s changed"))
    audit_sentence_register("collection.agency.status_changed", _status_sentence)
    audit_sentence_register("collection.agency_contract.created", _("Agency contract %(target)s added"))
    audit_sentence_register("collection.agency_contract.changed", _("Agency contract %(target)s changed"))
    audit_sentence_register("collection.agency.evaluated", _evaluated_sentence)
    audit_sentence_register("collection.agency.member_linked", _member_sentence)
