"""
The case page.

The page shows one case whole: the borrower (masked per role; a deliberate,
audited click reveals a national id or phone), how to reach them with the
compliance guard's live verdict per contact point, what is owed on each
account (overdue and outstanding by component, the legal cap on charges and
the headroom left), schedules and payments, the priority and its parts,
promises, arrangements, visits, and one timeline. Its reads are
collection/selectors/case_page.py's; its actions (case_actions.py) answer
with the panels built here.
"""

import os

from django.http import FileResponse, Http404
from django.shortcuts import render
from django.urls import NoReverseMatch, path, reverse
from django.views.decorators.http import require_GET

from accounts.permissions import Capability, user_can
from collection.case_sections import case_sections_for
from collection.forms import ContactLogForm, HardshipForm, HoldForm, NoteForm, PromiseForm, ReasonForm
from collection.models import Case
from collection.selectors.case_page import (
    case_hold_get,
    case_live_reads,
    case_page_get,
    case_page_reads,
    case_timeline_reads,
)
from collection.services import contacts as contact_services
from collection.services.promises import lender_today
from collection.views.access import case_required, stage_allows

# The action forms, in the order of their tabs.
FORM_NAMES = ("contact", "promise", "note", "hardship", "hold", "reason")


def _url_or_empty(name: str, *args) -> str:
    """A route another part of collection provides, or "" while it does not exist."""
    try:
        return reverse(name, args=args)
    except NoReverseMatch:
        return ""


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


def _context(
    request,
    case: Case,
    reads: dict,
    *,
    open_form: str = "contact",
    bound: dict | None = None,
    initial: dict | None = None,
    focus: str = "",
) -> dict:
    """The reads with what this user may do on them, and the action forms."""
    user = request.user
    # A legal-stage case is read-only unless the user works litigation (issue 11), a placed case
    # unless the user is its agency's (collection/views/access.py).
    read_only = not stage_allows(user, case.stage, Capability.WORK_CASES)
    can_work = user_can(user, Capability.WORK_CASES) and not case.is_closed and not read_only
    context = {
        **reads,
        "case": case,
        "can_work": can_work,
        "can_release_holds": can_work and contact_services.hold_release_allowed(case=case, user=user),
        "open_form": open_form if open_form in FORM_NAMES else "contact",
        "form_names": FORM_NAMES,
        # What the keyboard user lands on after a swap: the open form ("form") or the message ("flash").
        "focus": focus,
        # Next case is the lender's queues' (an agency agent works their agency's queue instead).
        "next_case_url": _url_or_empty("collection:next_case")
        if user_can(user, Capability.WORK_CASES) and not user_can(user, Capability.WORK_AGENCY_CASES)
        else "",
    }
    if can_work:
        context["forms"] = _forms(case, reads["contact_points"], bound=bound, initial=initial)
    return context


def live_context(request, case: Case, *, revealed: dict | None = None, **kwargs) -> dict:
    """What an action can change: header and holds, contact points and verdicts, priority, promises, timeline."""
    today = lender_today()
    reads = case_live_reads(user=request.user, case=case, today=today, revealed=revealed)
    return _context(request, case, {**reads, "today": today}, **kwargs)


def page_context(request, case: Case, *, revealed: dict | None = None, **kwargs) -> dict:
    """The whole page: the live panels, the balance, arrangements, visits and the dialogs' links."""
    today = lender_today()
    reads = case_page_reads(user=request.user, case=case, today=today, revealed=revealed)
    context = _context(request, case, {**reads, "today": today}, **kwargs)
    context["case_sections"] = case_sections_for(request, case)
    context["arrangement_propose_url"] = _url_or_empty("collection:arrangement_propose", case.pk)
    context["visit_request_url"] = _url_or_empty("collection:visit_request", case.pk)
    return context


# --- Views --------------------------------------------------------------------------------------


@case_required(Capability.VIEW_CASES)
@require_GET
def case_detail(request, pk):
    case = case_page_get(request.user, pk)
    open_form = request.GET.get("form", "contact")
    initial = {}
    contact_id = request.GET.get("contact", "")
    if open_form == "promise" and contact_id.isdigit():
        initial["promise"] = {"contact": int(contact_id), "amount": case.overdue_total or None}
    focus = "form" if "form" in request.GET else ""
    context = page_context(request, case, open_form=open_form, initial=initial, focus=focus)
    return render(request, "collection/case/detail.html", context)


@case_required(Capability.VIEW_CASES)
@require_GET
def case_panels(request, pk):
    """Every panel of the page, out-of-band: fetched by the page after a dialog's action changed the case."""
    case = case_page_get(request.user, pk)
    context = page_context(request, case)
    context["oob"] = True
    return render(request, "collection/case/_panels.html", context)


@case_required(Capability.VIEW_CASES)
@require_GET
def case_timeline(request, pk):
    """Older lines of the timeline, after the event `before`."""
    case = case_page_get(request.user, pk)
    lines, has_older = case_timeline_reads(case, request.GET.get("before", ""))
    context = {"case": case, "timeline": lines, "timeline_has_older": has_older}
    if request.htmx:
        return render(request, "collection/case/_timeline_rows.html", context)
    return render(request, "collection/case/timeline.html", context)


@case_required(Capability.VIEW_CASES)
@require_GET
def case_hold_evidence(request, pk, hold_pk):
    """A hold's evidence, to whoever may see the case (media files are never served openly)."""
    hold = case_hold_get(case_page_get(request.user, pk), hold_pk)
    if not hold.evidence:
        raise Http404
    return FileResponse(hold.evidence.open("rb"), as_attachment=True, filename=os.path.basename(hold.evidence.name))


urlpatterns = [
    path("cases/<int:pk>/", case_detail, name="case_detail"),
    path("cases/<int:pk>/timeline/", case_timeline, name="case_timeline"),
    path("cases/<int:pk>/panels/", case_panels, name="case_panels"),
    path("cases/<int:pk>/holds/<int:hold_pk>/evidence/", case_hold_evidence, name="case_hold_evidence"),
]
