"""
The case page and its actions.

The page shows one case whole: the borrower (masked per role; a deliberate,
audited click reveals a national id or phone), how to reach them with the
compliance guard's live verdict per contact point, what is owed on each
account (overdue and outstanding by component, the legal cap on charges and
the headroom left), schedules and payments, the priority and its parts,
promises, arrangements, visits, and one timeline.

Each action is a form posted with htmx: capability → the case through
`case_visible_get` (404 for outsiders) → form → one service → the actions
panel again, with the panels the action changed (header, contact points,
priority, promises, timeline) swapped out-of-band, so the page never
reloads. Without htmx the same views redirect back to the page.
"""

import datetime
import os
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from urllib.parse import urlencode

from django.contrib import messages
from django.db.models import Prefetch
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import NoReverseMatch, path, reverse
from django.utils import formats
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_POST

from accounts.permissions import Capability, capability_required, user_can
from collection.compliance import contact_points_verdicts
from collection.errors import CollectionError
from collection.forms import (
    ContactLogForm,
    HardshipForm,
    HoldForm,
    HoldReleaseForm,
    NoteForm,
    PromiseForm,
    ReasonForm,
    contact_value_masked,
)
from collection.models import (
    AnsweredBy,
    Case,
    CaseAccount,
    CaseEvent,
    Hold,
    HoldKind,
    Outcome,
)
from collection.priority import priority_parts
from collection.selectors import case_visible_get
from collection.services import contacts as contact_services
from collection.services import promises as promise_services
from collection.timeline import timeline_page
from lending.masking import national_id_for
from lending.models import Component, ContactPoint, Installment, Payment, PaymentAllocation
from lending.tables import borrower_flags

CONTACT_LOGGED = gettext_lazy("Contact logged.")
PROMISE_RECORDED = gettext_lazy("Promise recorded.")
PROMISE_SERIES_RECORDED = gettext_lazy("Promise of %(count)d parts recorded.")
NOTE_ADDED = gettext_lazy("Note added.")
REASON_SET = gettext_lazy("Reason for lateness recorded.")
HOLD_PLACED = gettext_lazy("The case is on hold: no outbound contact until the hold is released.")
HOLD_RELEASED = gettext_lazy("Hold released.")
HARDSHIP_RECORDED = gettext_lazy("Hardship recorded; the case is on hold for review.")
CONTACT_REFUSED = gettext_lazy("%(label)s — %(reason)s")

PAYMENTS_PER_ACCOUNT = 20
PROMISES_SHOWN = 20
ZERO = Decimal("0.00")
CENT = Decimal("0.01")
# The action forms, in the order of their tabs.
FORM_NAMES = ("contact", "promise", "note", "hardship", "hold", "reason")
# What a borrower said on a call that leads straight to the next form.
FOLLOW_UP_FORM = {Outcome.PROMISED: "promise", Outcome.CLAIMS_HARDSHIP: "hardship", Outcome.DISPUTES: "hold"}


# --- Loading ----------------------------------------------------------------------------


def _case_get(request, pk: int) -> Case:
    queryset = Case.objects.select_related("borrower", "portfolio", "team", "assigned_to")
    return case_visible_get(request.user, pk, queryset)


def _url_or_empty(name: str, *args) -> str:
    """A route another part of collection provides, or "" while it does not exist."""
    try:
        return reverse(name, args=args)
    except NoReverseMatch:
        return ""


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


def charges_cap(installment: Installment, annual_rate: Decimal, as_of: datetime.date) -> Decimal:
    """
    The most interest, fees and penalty an installment may carry on `as_of`:
    its principal × the product's annual cap rate × the years since it was
    lent, to the cent — the same rule the nightly accrual applies
    (lending/delinquency.py).
    """
    days = max((as_of - installment.lent_on).days, 0)
    cap = installment.principal_due * annual_rate * days / Decimal(365)
    return max(cap.quantize(CENT, rounding=ROUND_HALF_UP), ZERO)


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


def _case_accounts(case: Case) -> list[CaseAccount]:
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


def _balance_context(case: Case, today: datetime.date) -> dict:
    panels = [account_panel(membership, today) for membership in _case_accounts(case)]
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


@dataclass
class ContactRow:
    point: ContactPoint
    value: str
    masked: bool
    can_reveal: bool
    verdict: object = None


def _contact_rows(request, case: Case, points: list, revealed_phones: dict) -> tuple[list, list]:
    can_reveal = user_can(request.user, Capability.REVEAL_CONTACT_DETAILS)
    verdicts = contact_points_verdicts(case=case, contact_points=points)
    own, third = [], []
    for point in points:
        shown = revealed_phones.get(point.pk) or contact_value_masked(point)
        masked = shown != point.value
        row = ContactRow(
            point=point,
            value=shown,
            masked=masked,
            can_reveal=can_reveal and masked and point.kind in contact_services.PHONE_KINDS,
            verdict=verdicts.get(point.pk),
        )
        (third if point.is_third_party else own).append(row)
    return own, third


def _borrower_context(request, case: Case, revealed: dict) -> dict:
    borrower = case.borrower
    national_id = revealed.get("national_id") or national_id_for(request.user, borrower.national_id)
    masked = bool(borrower.national_id) and national_id != borrower.national_id
    can_view_lending = user_can(request.user, Capability.VIEW_LENDING)
    return {
        "borrower": borrower,
        "can_view_lending": can_view_lending,
        "borrower_url": reverse("lending:borrower_detail", args=[borrower.pk]) if can_view_lending else "",
        "national_id": national_id,
        "national_id_masked": masked,
        "can_reveal_national_id": masked and user_can(request.user, Capability.REVEAL_CONTACT_DETAILS),
        "flags": borrower_flags(borrower),
    }


# --- Contexts -----------------------------------------------------------------------------------


def _forms(case: Case, points: list, *, bound: dict | None = None, initial: dict | None = None) -> dict:
    """Every action form, unbound, except the one given bound (with its errors)."""
    initial = initial or {}
    forms = {
        "contact": ContactLogForm(contact_points=points, initial=initial.get("contact")),
        "promise": PromiseForm(case=case, initial=initial.get("promise")),
        "note": NoteForm(),
        "hardship": HardshipForm(),
        "hold": HoldForm(initial=initial.get("hold")),
        "reason": ReasonForm(initial={"reason": case.reason}),
    }
    forms.update(bound or {})
    return forms


def _live_context(
    request,
    case: Case,
    *,
    open_form: str = "contact",
    bound: dict | None = None,
    initial: dict | None = None,
    revealed: dict | None = None,
    focus: str = "",
) -> dict:
    """What an action can change: header and holds, contact points and verdicts, priority, promises, timeline."""
    user = request.user
    revealed = revealed or {}
    today = promise_services.lender_today()
    points = list(case.borrower.contact_points.all())
    own_rows, third_rows = _contact_rows(request, case, points, revealed.get("phones", {}))
    holds = list(case.holds.filter(released_at__isnull=True).select_related("started_by").order_by("-started_at"))
    timeline, has_older = timeline_page(case)
    can_work = user_can(user, Capability.WORK_CASES) and not case.is_closed
    parts = priority_parts(case, today=today)
    context = {
        "case": case,
        "today": today,
        "can_work": can_work,
        "can_release_holds": can_work and contact_services.hold_release_allowed(case=case, user=user),
        "holds": holds,
        "own_contact_rows": own_rows,
        "third_party_contact_rows": third_rows,
        "priority_parts": parts,
        "priority_total": sum(part.points for part in parts),
        "promises": list(case.promises.select_related("created_by").order_by("-due_on", "-id")[:PROMISES_SHOWN]),
        "timeline": timeline,
        "timeline_has_older": has_older,
        "open_form": open_form if open_form in FORM_NAMES else "contact",
        "form_names": FORM_NAMES,
        # What the keyboard user lands on after a swap: the open form ("form") or the message ("flash").
        "focus": focus,
        "next_case_url": _url_or_empty("collection:next_case") if user_can(user, Capability.WORK_CASES) else "",
        **_borrower_context(request, case, revealed),
    }
    if can_work:
        context["forms"] = _forms(case, points, bound=bound, initial=initial)
    return context


def _page_context(request, case: Case, **kwargs) -> dict:
    today = promise_services.lender_today()
    context = _live_context(request, case, **kwargs)
    context.update(_balance_context(case, today))
    context.update(
        {
            "arrangements": list(case.arrangements.select_related("requested_by", "decided_by")),
            "visits": list(case.visits.select_related("agent").order_by("-requested_at")),
            "arrangement_propose_url": _url_or_empty("collection:arrangement_propose", case.pk),
            "visit_request_url": _url_or_empty("collection:visit_request", case.pk),
        }
    )
    return context


# --- Responses after an action -----------------------------------------------------------------


def _done(request, case: Case, message, *, open_form: str = "contact", initial: dict | None = None, level="success"):
    """The action worked: the actions panel afresh and the changed panels out-of-band; or back to the page."""
    if request.htmx:
        focus = "form" if open_form != "contact" else "flash"
        context = _live_context(request, case, open_form=open_form, initial=initial, focus=focus)
        context.update({"flash": message, "flash_level": level, "oob": True})
        return render(request, "collection/case/_refresh.html", context)
    getattr(messages, level)(request, message)
    url = reverse("collection:case_detail", args=[case.pk])
    if open_form != "contact":
        query = {"form": open_form}
        if open_form == "promise" and initial and initial.get("promise", {}).get("contact"):
            query["contact"] = initial["promise"]["contact"]
        url += "?" + urlencode(query)
    return redirect(url)


def _failed(request, case: Case, name: str, form):
    """The form or the service said no: the same form again, with its errors."""
    if request.htmx:
        context = _live_context(request, case, open_form=name, bound={name: form}, focus="form")
        return render(request, "collection/case/_actions.html", context)
    context = _page_context(request, case, open_form=name, bound={name: form}, focus="form")
    return render(request, "collection/case/detail.html", context)


def _error_to_form(form, error: CollectionError) -> None:
    verdict = getattr(error, "verdict", None)
    if verdict is not None:
        # The compliance guard said no: its short verdict and the rule's full reason.
        reason = str(verdict.reason or error)
        form.add_error(None, CONTACT_REFUSED % {"label": verdict.label, "reason": reason} if verdict.label else reason)
        return
    form.add_error(error.field if error.field in form.fields else None, str(error))


def _form_action(request, case: Case, name: str, form, message, perform):
    """
    The shape of most actions: with a valid form, `perform(cleaned_data)`
    calls the service; done, or the form again with its errors (a service's
    refusal among them).
    """
    if form.is_valid():
        try:
            perform(form.cleaned_data)
        except CollectionError as error:
            _error_to_form(form, error)
        else:
            return _done(request, case, message)
    return _failed(request, case, name, form)


# --- Views --------------------------------------------------------------------------------------


@capability_required(Capability.VIEW_CASES)
@require_GET
def case_detail(request, pk):
    case = _case_get(request, pk)
    open_form = request.GET.get("form", "contact")
    initial = {}
    contact_id = request.GET.get("contact", "")
    if open_form == "promise" and contact_id.isdigit():
        initial["promise"] = {"contact": int(contact_id), "amount": case.overdue_total or None}
    focus = "form" if "form" in request.GET else ""
    context = _page_context(request, case, open_form=open_form, initial=initial, focus=focus)
    return render(request, "collection/case/detail.html", context)


@capability_required(Capability.VIEW_CASES)
@require_GET
def case_panels(request, pk):
    """Every panel of the page, out-of-band: fetched by the page after a dialog's action changed the case."""
    case = _case_get(request, pk)
    context = _page_context(request, case)
    context["oob"] = True
    return render(request, "collection/case/_panels.html", context)


@capability_required(Capability.VIEW_CASES)
@require_GET
def case_timeline(request, pk):
    """Older lines of the timeline, after the event `before`."""
    case = _case_get(request, pk)
    before_id = request.GET.get("before", "")
    before = get_object_or_404(CaseEvent, case=case, pk=int(before_id)) if before_id.isdigit() else None
    lines, has_older = timeline_page(case, before)
    context = {"case": case, "timeline": lines, "timeline_has_older": has_older}
    if request.htmx:
        return render(request, "collection/case/_timeline_rows.html", context)
    return render(request, "collection/case/timeline.html", context)


@capability_required(Capability.WORK_CASES)
@require_POST
def case_contact_log(request, pk):
    case = _case_get(request, pk)
    points = list(case.borrower.contact_points.all())
    form = ContactLogForm(request.POST, contact_points=points)
    if form.is_valid():
        data = form.cleaned_data
        try:
            contact = contact_services.contact_log(
                case=case,
                channel=data["channel"],
                contact_point=data["contact_point"],
                answered_by=data["answered_by"],
                outcome=data["outcome"],
                duration_seconds=data["duration"],
                notes=data["notes"],
                direction=data["direction"],
                actor=request.user,
            )
        except CollectionError as error:
            _error_to_form(form, error)
        else:
            follow_up = FOLLOW_UP_FORM.get(contact.outcome, "contact")
            if contact.answered_by != AnsweredBy.BORROWER:
                follow_up = "contact"
            initial = {
                "promise": {"contact": contact.pk, "amount": case.overdue_total or None},
                "hold": {"kind": HoldKind.DISPUTE},
            }
            return _done(request, case, CONTACT_LOGGED, open_form=follow_up, initial=initial)
    return _failed(request, case, "contact", form)


@capability_required(Capability.WORK_CASES)
@require_POST
def case_promise_record(request, pk):
    case = _case_get(request, pk)
    form = PromiseForm(request.POST, case=case)
    if form.is_valid():
        data = form.cleaned_data
        contact = case.contacts.filter(pk=data["contact"]).first() if data.get("contact") else None
        parts = data["parts"]
        try:
            if len(parts) == 1:
                amount, due_on = parts[0]
                promise_services.promise_record(
                    case=case,
                    amount=amount,
                    due_on=due_on,
                    actor=request.user,
                    contact=contact,
                    currency=data["currency"],
                )
                message = PROMISE_RECORDED
            else:
                promise_services.promise_series_record(
                    case=case, parts=parts, actor=request.user, contact=contact, currency=data["currency"]
                )
                message = PROMISE_SERIES_RECORDED % {"count": len(parts)}
        except CollectionError as error:
            _error_to_form(form, error)
        else:
            return _done(request, case, message)
    return _failed(request, case, "promise", form)


@capability_required(Capability.WORK_CASES)
@require_POST
def case_note_add(request, pk):
    case = _case_get(request, pk)
    return _form_action(
        request, case, "note", NoteForm(request.POST), NOTE_ADDED,
        lambda data: contact_services.note_add(case=case, text=data["text"], actor=request.user),
    )  # fmt: skip


@capability_required(Capability.WORK_CASES)
@require_POST
def case_reason_set(request, pk):
    case = _case_get(request, pk)
    return _form_action(
        request, case, "reason", ReasonForm(request.POST), REASON_SET,
        lambda data: contact_services.reason_set(case=case, reason=data["reason"], actor=request.user),
    )  # fmt: skip


@capability_required(Capability.WORK_CASES)
@require_POST
def case_hold_place(request, pk):
    case = _case_get(request, pk)
    return _form_action(
        request, case, "hold", HoldForm(request.POST, request.FILES), HOLD_PLACED,
        lambda data: contact_services.hold_place(
            case=case, kind=data["kind"], reason=data["reason"], actor=request.user,
            evidence=data["evidence"], review_on=data["review_on"],
        ),
    )  # fmt: skip


@capability_required(Capability.WORK_CASES)
@require_POST
def case_hardship_record(request, pk):
    case = _case_get(request, pk)
    return _form_action(
        request, case, "hardship", HardshipForm(request.POST, request.FILES), HARDSHIP_RECORDED,
        lambda data: contact_services.hardship_record(
            case=case, reason=data["reason"], description=data["description"], actor=request.user,
            evidence=data["evidence"], review_on=data["review_on"],
        ),
    )  # fmt: skip


@capability_required(Capability.WORK_CASES)
@require_POST
def case_hold_release(request, pk, hold_pk):
    case = _case_get(request, pk)
    hold = get_object_or_404(Hold, pk=hold_pk, case=case)
    hold.case = case
    form = HoldReleaseForm(request.POST)
    if not form.is_valid():
        message = next(iter(form.errors.values()))[0]
        return _done(request, case, message, level="error")
    try:
        contact_services.hold_release(hold=hold, actor=request.user, note=form.cleaned_data["note"])
    except CollectionError as error:
        return _done(request, case, str(error), level="error")
    return _done(request, case, HOLD_RELEASED)


@capability_required(Capability.VIEW_CASES)
@require_GET
def case_hold_evidence(request, pk, hold_pk):
    """A hold's evidence, to whoever may see the case (media files are never served openly)."""
    case = _case_get(request, pk)
    hold = get_object_or_404(Hold, pk=hold_pk, case=case)
    if not hold.evidence:
        raise Http404
    return FileResponse(hold.evidence.open("rb"), as_attachment=True, filename=os.path.basename(hold.evidence.name))


@capability_required(Capability.REVEAL_CONTACT_DETAILS)
@require_POST
def case_reveal(request, pk):
    """One deliberate look at a whole national id or phone number; audited by the service."""
    case = _case_get(request, pk)
    field_name = request.POST.get("field", "")
    point = None
    if field_name == "phone":
        point_id = request.POST.get("contact_point", "")
        point = get_object_or_404(
            ContactPoint, pk=int(point_id) if point_id.isdigit() else 0, borrower_id=case.borrower_id
        )
    try:
        value = contact_services.contact_detail_reveal(
            case=case, field=field_name, actor=request.user, contact_point=point
        )
    except CollectionError as error:
        if request.htmx:
            return render(request, "collection/case/_revealed.html", {"error": str(error)})
        messages.error(request, str(error))
        return redirect("collection:case_detail", pk=case.pk)
    if request.htmx:
        return render(request, "collection/case/_revealed.html", {"value": value})
    revealed = {"national_id": value} if point is None else {"phones": {point.pk: value}}
    return render(request, "collection/case/detail.html", _page_context(request, case, revealed=revealed))


urlpatterns = [
    path("cases/<int:pk>/", case_detail, name="case_detail"),
    path("cases/<int:pk>/timeline/", case_timeline, name="case_timeline"),
    path("cases/<int:pk>/panels/", case_panels, name="case_panels"),
    path("cases/<int:pk>/contacts/", case_contact_log, name="case_contact_log"),
    path("cases/<int:pk>/promises/", case_promise_record, name="case_promise_record"),
    path("cases/<int:pk>/notes/", case_note_add, name="case_note_add"),
    path("cases/<int:pk>/reason/", case_reason_set, name="case_reason_set"),
    path("cases/<int:pk>/holds/", case_hold_place, name="case_hold_place"),
    path("cases/<int:pk>/holds/<int:hold_pk>/release/", case_hold_release, name="case_hold_release"),
    path("cases/<int:pk>/holds/<int:hold_pk>/evidence/", case_hold_evidence, name="case_hold_evidence"),
    path("cases/<int:pk>/hardship/", case_hardship_record, name="case_hardship_record"),
    path("cases/<int:pk>/reveal/", case_reveal, name="case_reveal"),
]
