"""
The case page's reads: the case (through the scope: 404 for outsiders), what
is owed on each account with the legal cap on charges and the headroom left,
the borrower and their contact points as this user may see them, holds,
priority, promises, arrangements, visits and the timeline's first page.

The cap is lending's rule (lending.delinquency.charges_cap, the same the
nightly accrual applies in SQL); this module only adds it up per account.
"""

import datetime
from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import Prefetch
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils import formats

from accounts.permissions import Capability, user_can
from collection.agencies import portal
from collection.compliance import contact_points_verdicts
from collection.models import AgencyField, Case, CaseAccount, CaseEvent, Hold
from collection.priority import priority_parts
from collection.selectors.cases import case_visible_get
from collection.timeline import timeline_page
from lending.delinquency import charges_cap
from lending.masking import contact_rows as lending_contact_rows
from lending.masking import mask_national_id, national_id_for
from lending.models import Component, ContactPoint, Installment, Payment, PaymentAllocation
from lending.tables import borrower_flags

PAYMENTS_PER_ACCOUNT = 20
PROMISES_SHOWN = 20
ZERO = Decimal("0.00")


# --- The case ---------------------------------------------------------------------------------


def case_page_get(user, pk: int) -> Case:
    """The case with what its header shows, if the user may see it; else 404."""
    queryset = Case.objects.select_related("borrower", "portfolio", "team", "assigned_to")
    return case_visible_get(user, pk, queryset)


def case_hold_get(case: Case, hold_pk: int) -> Hold:
    hold = get_object_or_404(Hold, pk=hold_pk, case=case)
    hold.case = case
    return hold


def case_contact_point_get(case: Case, point_id: str) -> ContactPoint:
    """One of the case's borrower's contact points by the id posted, else 404."""
    return get_object_or_404(ContactPoint, pk=int(point_id) if point_id.isdigit() else 0, borrower_id=case.borrower_id)


def case_contact_points(case: Case, user=None) -> list[ContactPoint]:
    """
    The borrower's contact points, for the contact form to offer; given the user, only those they may
    see (an agency agent: the kinds their agency's contract shows, collection/agencies/portal.py).
    """
    points = list(case.borrower.contact_points.all())
    return points if user is None else portal.contact_points_shown(user, case, points)


def case_contact_find(case: Case, contact_id: int | None):
    """The case's contact (call, message) with this id, or None: the one a promise was taken on."""
    return case.contacts.filter(pk=contact_id).first() if contact_id else None


def case_timeline_reads(case: Case, before_id: str = "") -> tuple[list, bool]:
    """The timeline's lines older than the event `before_id` (404 if it is not the case's), and whether more remain."""
    before = get_object_or_404(CaseEvent, case=case, pk=int(before_id)) if before_id.isdigit() else None
    return timeline_page(case, before)


# --- The balance, per account, with the legal cap -------------------------------------------


@dataclass
class Amounts:
    principal: Decimal = ZERO
    interest: Decimal = ZERO
    fees: Decimal = ZERO
    penalty: Decimal = ZERO

    @property
    def total(self) -> Decimal:
        return self.principal + self.interest + self.fees + self.penalty

    def add(self, other: "Amounts") -> None:
        self.principal += other.principal
        self.interest += other.interest
        self.fees += other.fees
        self.penalty += other.penalty


@dataclass
class ScheduleRow:
    installment: Installment
    overdue: bool
    cap: Decimal
    charges: Decimal
    headroom: Decimal


@dataclass
class AccountPanel:
    membership: CaseAccount
    rows: list[ScheduleRow] = field(default_factory=list)
    payments: list[Payment] = field(default_factory=list)
    overdue: Amounts = field(default_factory=Amounts)
    outstanding: Amounts = field(default_factory=Amounts)
    cap: Decimal = ZERO
    charges: Decimal = ZERO
    headroom: Decimal = ZERO

    @property
    def account(self):
        return self.membership.account

    @property
    def currency(self) -> str:
        return self.membership.account.product.currency

    @property
    def in_case(self) -> bool:
        return self.membership.left_on is None

    @property
    def cap_rate(self) -> str:
        """The product's annual cap rate as a percentage: 0.2400 -> "24.00%"."""
        rate = self.membership.account.product.charges_cap_annual_rate * 100
        return formats.number_format(rate, decimal_pos=2, use_l10n=True) + "%"


def _remaining(installment: Installment) -> Amounts:
    return Amounts(
        principal=installment.remaining(Component.PRINCIPAL),
        interest=installment.remaining(Component.INTEREST),
        fees=installment.remaining(Component.FEE),
        penalty=installment.remaining(Component.PENALTY),
    )


def account_panel(membership: CaseAccount, today: datetime.date) -> AccountPanel:
    """An account's schedule with each unpaid installment's cap, and its overdue and outstanding amounts now."""
    panel = AccountPanel(membership=membership)
    account = membership.account
    rate = account.product.charges_cap_annual_rate
    for installment in account.installments.all():
        unpaid = installment.paid_off_on is None
        cap = charges_cap(installment, rate, today)
        charges = installment.interest_due + installment.fee_due + installment.penalty_accrued
        headroom = max(cap - charges, ZERO)
        overdue = unpaid and installment.due_on < today and installment.total_remaining > 0
        panel.rows.append(ScheduleRow(installment, overdue, cap, charges, headroom))
        if not unpaid:
            continue
        remaining = _remaining(installment)
        panel.outstanding.add(remaining)
        if installment.due_on < today:
            panel.overdue.add(remaining)
        panel.cap += cap
        panel.charges += charges
        panel.headroom += headroom
    panel.payments = account.recent_payments
    return panel


def case_accounts(case: Case) -> list[CaseAccount]:
    """The accounts of the case with schedules and their latest payments (and what each paid): four queries."""
    allocations = PaymentAllocation.objects.select_related("installment").order_by(
        "installment__due_on", "installment__number", "id"
    )
    payments = Payment.objects.order_by("-received_at", "-id").prefetch_related(
        Prefetch("allocations", queryset=allocations)
    )
    return list(
        CaseAccount.objects.filter(case=case)
        .select_related("account__product")
        .prefetch_related(
            Prefetch("account__installments", queryset=Installment.objects.order_by("due_on", "number")),
            Prefetch("account__payments", queryset=payments[:PAYMENTS_PER_ACCOUNT], to_attr="recent_payments"),
        )
        .order_by("left_on", "joined_on", "id")
    )


def balance_context(case: Case, today: datetime.date) -> dict:
    """Every account's panel, and the totals of those still in the case."""
    panels = [account_panel(membership, today) for membership in case_accounts(case)]
    current = [panel for panel in panels if panel.in_case]
    overdue, outstanding = Amounts(), Amounts()
    cap = charges = headroom = ZERO
    for panel in current:
        overdue.add(panel.overdue)
        outstanding.add(panel.outstanding)
        cap += panel.cap
        charges += panel.charges
        headroom += panel.headroom
    return {
        "account_panels": panels,
        "current_panels": current,
        "left_panels": [panel for panel in panels if not panel.in_case],
        "total_overdue": overdue,
        "total_outstanding": outstanding,
        "total_cap": cap,
        "total_charges": charges,
        "total_headroom": headroom,
    }


# --- The borrower and how to reach them ----------------------------------------------------------


def contact_rows(user, case: Case, points: list, revealed_phones: dict) -> tuple[list, list]:
    """
    The borrower's own contact points and the third parties', masked for every
    role until Reveal (lending's rows), each with the compliance guard's verdict.
    """
    own, third = lending_contact_rows(user, points, revealed_phones, masked_for_everyone=True)
    verdicts = contact_points_verdicts(case=case, contact_points=points)
    for row in (*own, *third):
        row.verdict = verdicts.get(row.point.pk)
    return own, third


def borrower_context(user, case: Case, revealed: dict) -> dict:
    borrower = case.borrower
    national_id = revealed.get("national_id") or national_id_for(user, borrower.national_id)
    agency_user = portal.is_agency_user(user)
    if agency_user and borrower.national_id:
        # Never whole to an agency, and never revealable (contact_detail_reveal refuses it too).
        national_id = mask_national_id(borrower.national_id)
    masked = bool(borrower.national_id) and national_id != borrower.national_id
    can_view_lending = user_can(user, Capability.VIEW_LENDING)
    return {
        **portal.borrower_fields_shown(user, case),
        "borrower": borrower,
        "can_view_lending": can_view_lending,
        "borrower_url": reverse("lending:borrower_detail", args=[borrower.pk]) if can_view_lending else "",
        "national_id": national_id,
        "national_id_masked": masked,
        "can_reveal_national_id": masked and not agency_user and user_can(user, Capability.REVEAL_CONTACT_DETAILS),
        "flags": borrower_flags(borrower),
    }


# --- The page's panels ----------------------------------------------------------------------------


def case_live_reads(*, user, case: Case, today: datetime.date, revealed: dict | None = None) -> dict:
    """
    What an action can change: holds, contact points (`contact_points`, for
    the forms, and the rows shown), priority, promises, the timeline's first
    page and the borrower.
    """
    revealed = revealed or {}
    points = case_contact_points(case, user)
    own_rows, third_rows = contact_rows(user, case, points, revealed.get("phones", {}))
    timeline, has_older = timeline_page(case)
    parts = priority_parts(case, today=today)
    return {
        "contact_points": points,
        "holds": list(case.holds.filter(released_at__isnull=True).select_related("started_by").order_by("-started_at")),
        "own_contact_rows": own_rows,
        "third_party_contact_rows": third_rows,
        "priority_parts": parts,
        "priority_total": sum(part.points for part in parts),
        "promises": list(case.promises.select_related("created_by").order_by("-due_on", "-id")[:PROMISES_SHOWN]),
        "timeline": timeline,
        "timeline_has_older": has_older,
        **borrower_context(user, case, revealed),
    }


def case_page_reads(*, user, case: Case, today: datetime.date, revealed: dict | None = None) -> dict:
    """The whole page: the live panels, the balance, arrangements and visits."""
    return {
        **case_live_reads(user=user, case=case, today=today, revealed=revealed),
        **balance_context(case, today),
        "arrangements": list(case.arrangements.select_related("requested_by", "decided_by")),
        "visits": list(case.visits.select_related("agent").order_by("-requested_at")),
        # An agency whose contract withholds addresses sees no visit's address, and requests none.
        "show_visit_addresses": portal.contact_field_shown(user, case, AgencyField.ADDRESS),
    }
