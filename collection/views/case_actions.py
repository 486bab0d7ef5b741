"""
The case page's actions.

Each action is a form posted with htmx: capability → the case through the
case page's selector (404 for outsiders) → form → one service → the actions
panel again, with the panels the action changed (header, contact points,
priority, promises, timeline) swapped out-of-band, so the page never
reloads. Without htmx the same views redirect back to the page.
"""

from urllib.parse import urlencode

from django.contrib import messages
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST
from django_htmx.http import HttpResponseClientRedirect

from accounts.permissions import Capability
from collection.agencies.portal import is_agency_user
from collection.errors import CollectionError
from collection.forms import ContactLogForm, HardshipForm, HoldForm, HoldReleaseForm, NoteForm, PromiseForm, ReasonForm
from collection.models import AnsweredBy, Case, HoldKind, Outcome
from collection.selectors import case_page as reads
from collection.selectors.cases import cases_visible_to
from collection.services import contacts as contact_services
from collection.services import promises as promise_services
from collection.views.access import case_required
from collection.views.case import live_context, page_context

CONTACT_LOGGED = gettext_lazy("Contact logged.")
CONTACT_LOGGED_HELD = gettext_lazy(
    "Contact logged; the case is on hold (%(kind)s): no outbound contact until released."
)
PROMISE_RECORDED = gettext_lazy("Promise recorded.")
PROMISE_SERIES_RECORDED = gettext_lazy("Promise of %(count)d parts recorded.")
NOTE_ADDED = gettext_lazy("Note added.")
REASON_SET = gettext_lazy("Reason for lateness recorded.")
HOLD_PLACED = gettext_lazy("The case is on hold: no outbound contact until the hold is released.")
HOLD_RELEASED = gettext_lazy("Hold released.")
HARDSHIP_RECORDED = gettext_lazy("Hardship recorded; the case is on hold for review.")
RECALLED_TO_LENDER = gettext_lazy(
    "%(message)s The case went back to the lender (recalled from your agency), so it has left your queue."
)
CONTACT_REFUSED = gettext_lazy("%(label)s — %(reason)s")

# What a borrower said on a call that leads straight to the next form.
# A dispute, a request to stop or a report of death needs no form: the service placed the hold.
FOLLOW_UP_FORM = {Outcome.PROMISED: "promise", Outcome.CLAIMS_HARDSHIP: "hardship"}


# --- Responses after an action -----------------------------------------------------------------


def _left_the_agency(request, case: Case, message):
    """
    What an agency agent gets when their action recalled the case (a dispute, a hardship review, a
    death reported: collection/agencies/recall.py): the case is no longer theirs to see, so they go
    back to their queue with the reason, rather than to panels whose next click would be a 404.
    """
    if not is_agency_user(request.user) or cases_visible_to(request.user).filter(pk=case.pk).exists():
        return None
    messages.info(request, RECALLED_TO_LENDER % {"message": message})
    url = reverse("collection:agency_queue")
    return HttpResponseClientRedirect(url) if request.htmx else redirect(url)


def _done(request, case: Case, message, *, open_form: str = "contact", initial: dict | None = None, level="success"):
    """The action worked: the actions panel afresh and the changed panels out-of-band; or back to the page."""
    left = _left_the_agency(request, case, message)
    if left is not None:
        return left
    if request.htmx:
        focus = "form" if open_form != "contact" else "flash"
        context = live_context(request, case, open_form=open_form, initial=initial, focus=focus)
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
        context = live_context(request, case, open_form=name, bound={name: form}, focus="form")
        return render(request, "collection/case/_actions.html", context)
    context = page_context(request, case, open_form=name, bound={name: form}, focus="form")
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


@case_required(Capability.WORK_CASES)
@require_POST
def case_contact_log(request, pk):
    case = reads.case_page_get(request.user, pk)
    points = reads.case_contact_points(case, request.user)
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
            message = CONTACT_LOGGED
            if contact.outcome in contact_services.SPOKEN_HOLDS:
                message = CONTACT_LOGGED_HELD % {"kind": HoldKind(contact_services.SPOKEN_HOLDS[contact.outcome]).label}
            return _done(request, case, message, open_form=follow_up, initial=initial)
    return _failed(request, case, "contact", form)


@case_required(Capability.WORK_CASES)
@require_POST
def case_promise_record(request, pk):
    case = reads.case_page_get(request.user, pk)
    form = PromiseForm(request.POST, case=case)
    if form.is_valid():
        data = form.cleaned_data
        contact = reads.case_contact_find(case, data.get("contact"))
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


@case_required(Capability.WORK_CASES)
@require_POST
def case_note_add(request, pk):
    case = reads.case_page_get(request.user, pk)
    return _form_action(
        request, case, "note", NoteForm(request.POST), NOTE_ADDED,
        lambda data: contact_services.note_add(case=case, text=data["text"], actor=request.user),
    )  # fmt: skip


@case_required(Capability.WORK_CASES)
@require_POST
def case_reason_set(request, pk):
    case = reads.case_page_get(request.user, pk)
    return _form_action(
        request, case, "reason", ReasonForm(request.POST), REASON_SET,
        lambda data: contact_services.reason_set(case=case, reason=data["reason"], actor=request.user),
    )  # fmt: skip


@case_required(Capability.WORK_CASES)
@require_POST
def case_hold_place(request, pk):
    case = reads.case_page_get(request.user, pk)
    return _form_action(
        request, case, "hold", HoldForm(request.POST, request.FILES), HOLD_PLACED,
        lambda data: contact_services.hold_place(
            case=case, kind=data["kind"], reason=data["reason"], actor=request.user,
            evidence=data["evidence"], review_on=data["review_on"],
        ),
    )  # fmt: skip


@case_required(Capability.WORK_CASES)
@require_POST
def case_hardship_record(request, pk):
    case = reads.case_page_get(request.user, pk)
    return _form_action(
        request, case, "hardship", HardshipForm(request.POST, request.FILES), HARDSHIP_RECORDED,
        lambda data: contact_services.hardship_record(
            case=case, reason=data["reason"], description=data["description"], actor=request.user,
            evidence=data["evidence"], review_on=data["review_on"],
        ),
    )  # fmt: skip


@case_required(Capability.WORK_CASES)
@require_POST
def case_hold_release(request, pk, hold_pk):
    case = reads.case_page_get(request.user, pk)
    hold = reads.case_hold_get(case, hold_pk)
    form = HoldReleaseForm(request.POST)
    if not form.is_valid():
        message = next(iter(form.errors.values()))[0]
        return _done(request, case, message, level="error")
    try:
        contact_services.hold_release(hold=hold, actor=request.user, note=form.cleaned_data["note"])
    except CollectionError as error:
        return _done(request, case, str(error), level="error")
    return _done(request, case, HOLD_RELEASED)


@case_required(Capability.REVEAL_CONTACT_DETAILS)
@require_POST
def case_reveal(request, pk):
    """One deliberate look at a whole national id or phone number; audited by the service."""
    case = reads.case_page_get(request.user, pk)
    field_name = request.POST.get("field", "")
    point = None
    if field_name == "phone":
        point = reads.case_contact_point_get(case, request.POST.get("contact_point", ""))
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
    return render(request, "collection/case/detail.html", page_context(request, case, revealed=revealed))


urlpatterns = [
    path("cases/<int:pk>/contacts/", case_contact_log, name="case_contact_log"),
    path("cases/<int:pk>/promises/", case_promise_record, name="case_promise_record"),
    path("cases/<int:pk>/notes/", case_note_add, name="case_note_add"),
    path("cases/<int:pk>/reason/", case_reason_set, name="case_reason_set"),
    path("cases/<int:pk>/holds/", case_hold_place, name="case_hold_place"),
    path("cases/<int:pk>/holds/<int:hold_pk>/release/", case_hold_release, name="case_hold_release"),
    path("cases/<int:pk>/hardship/", case_hardship_record, name="case_hardship_record"),
    path("cases/<int:pk>/reveal/", case_reveal, name="case_reveal"),
]
