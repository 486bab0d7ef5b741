"""
The manager's placements (MANAGE_AGENCIES), under /agencies/placements/:

- `placement_new`: the cases chosen on a queue (ticked, `case` ids; or every
  case matching the queue's filter, `?queue=<key>&<filter>`, up to
  PLACE_MOST_CASES) → which agency, or several and a rule → a confirmation
  showing how many cases and what balance go to each agency, and which cases
  cannot be placed and why → placing → the batch's page;
- the batches' list and a batch's page (its placements; recall the whole
  batch or the cases ticked, with a reason; the placement file, when part E's
  page exists);
- `placement_recall`: one case's recall, from the case page's "Agency" section
  (`case_placement_section`, registered in collection/agencies/placement_wiring.py).
"""

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import Count, DecimalField, OuterRef, Q, Subquery, Sum
from django.db.models.functions import Coalesce
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import NoReverseMatch, path, reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts.permissions import Capability, capability_required, user_can
from collection.agencies.allocation import AllocationPlan, allocation_plan
from collection.agencies.placement import cases_allocate, refusal_text
from collection.agencies.recall import placement_recall, placements_recall
from collection.errors import CollectionError
from collection.filters import CaseQueueFilter
from collection.forms.placements import PlacementForm, RecallForm
from collection.models import (
    Agency,
    CaseStatus,
    CommissionLine,
    Placement,
    PlacementBatch,
    PlacementStatus,
    Stage,
)
from collection.selectors.cases import cases_visible_to
from collection.selectors.queues import QUEUES, queue_cases, queue_teams

PLACE_MOST_CASES = 20_000
BATCHES_PER_PAGE = 50
PLACEMENTS_PER_PAGE = 100
REFUSALS_SHOWN = 100
NOTHING_SELECTED = _("Select the cases to place (tick them on the queue, or open this page from a queue's filter).")
CAPPED = _("Only the %(most)s most urgent cases matching the filter are placed at once.")
NOTHING_TO_RECALL = _("Tick the cases to recall, or recall the whole batch.")


def _url_or_empty(name: str, *args) -> str:
    """A route another part provides (the placement file, part E), or "" while it does not exist."""
    try:
        return reverse(name, args=args)
    except NoReverseMatch:
        return ""


def _back(request, default: str) -> str:
    target = request.POST.get("next", "")
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return default


# --- Placing ------------------------------------------------------------------------------------


def _selection(request) -> tuple[list[int], dict]:
    """
    The cases to place and how they were chosen: a queue's filter
    (`?queue=<key>&...`, capped at PLACE_MOST_CASES, the most urgent first)
    or ticked ids (`case`, from the queue's bulk form or a link).
    """
    params = request.GET
    queue = next((queue for queue in QUEUES if queue.key == params.get("queue", "")), None)
    if queue is not None:
        if not user_can(request.user, queue.capability):
            raise PermissionDenied
        cases = CaseQueueFilter(
            params,
            queryset=queue_cases(user=request.user, queue=queue),
            teams=queue_teams(user=request.user, queue=queue),
        ).qs
        ids = list(cases.order_by("-priority", "pk").values_list("pk", flat=True)[: PLACE_MOST_CASES + 1])
        query = params.copy()
        query.pop("page", None)
        capped = len(ids) > PLACE_MOST_CASES
        return ids[:PLACE_MOST_CASES], {"query": query.urlencode(), "queue": queue, "capped": capped}
    raw = request.POST.getlist("case") or params.getlist("case")
    ids = sorted({int(pk) for pk in raw if str(pk).isdigit()})[:PLACE_MOST_CASES]
    return ids, {"query": "", "queue": None, "capped": False}


def _plan_rows(plan: AllocationPlan) -> dict:
    """The confirmation's figures: each agency's cases and balance, the refusals counted and listed."""
    by_reason = {}
    for code in plan.refusals.values():
        by_reason[code] = by_reason.get(code, 0) + 1
    refused = [
        {"pk": pk, "number": plan.rows[pk].number if pk in plan.rows else str(pk), "reason": refusal_text(code)}
        for pk, code in list(plan.refusals.items())[:REFUSALS_SHOWN]
    ]
    return {
        "shares": [
            {
                "agency": share.agency,
                "contract": share.terms.contract,
                "cases": len(share.case_ids),
                "balance": share.balance,
                "currency": share.terms.contract.currency,
                "capacity": share.terms.capacity,
            }
            for share in plan.shares
        ],
        "agencies_refused": list(plan.agencies_refused.values()),
        "placeable": plan.placeable,
        "refused_count": len(plan.refusals),
        "refused_by_reason": [(refusal_text(code), count) for code, count in sorted(by_reason.items())],
        "refused": refused,
    }


@capability_required(Capability.MANAGE_AGENCIES)
@require_http_methods(["GET", "POST"])
def placement_new(request):
    case_ids, source = _selection(request)
    # Posted by this page's own form (the queue's bulk form posts only the ticked cases).
    submitted = request.method == "POST" and "rule" in request.POST
    form = PlacementForm(request.POST if submitted else None)
    context = {"form": form, "case_ids": case_ids, "count": len(case_ids), **source}
    if source["capped"]:
        messages.warning(request, CAPPED % {"most": f"{PLACE_MOST_CASES:,}"})
    if not case_ids:
        context["error"] = NOTHING_SELECTED
        return render(request, "collection/agencies/placements/new.html", context)
    if submitted and form.is_valid():
        data = form.cleaned_data
        try:
            if request.POST.get("confirm"):
                result = cases_allocate(
                    case_ids=case_ids,
                    agencies=data["agencies"],
                    rule=data["rule"],
                    actor=request.user,
                    note=data["note"],
                )
            else:
                plan = allocation_plan(
                    case_ids=case_ids, agencies=data["agencies"], rule=data["rule"], actor=request.user
                )
                context.update(plan=_plan_rows(plan))
                return render(request, "collection/agencies/placements/new.html", context)
        except CollectionError as error:
            form.add_error(None, str(error))
        else:
            placed = sum(batch.case_count for batch in result)
            messages.success(
                request,
                ngettext(
                    "%(count)d case placed in %(batches)d batch.",
                    "%(count)d cases placed in %(batches)d batches.",
                    placed,
                )
                % {"count": placed, "batches": len(result)},
            )
            if result.unplaced:
                messages.warning(
                    request,
                    ngettext(
                        "%(count)d case could not be placed.",
                        "%(count)d cases could not be placed.",
                        len(result.unplaced),
                    )
                    % {"count": len(result.unplaced)},
                )
            if len(result) == 1:
                return redirect("collection:placement_batch_detail", pk=result[0].pk)
            return redirect("collection:placement_batch_list")
    return render(request, "collection/agencies/placements/new.html", context)


# --- The batches --------------------------------------------------------------------------------


def _collected(outer: str):
    """The sum of the commission lines (payments and clawbacks) of a batch's / a placement's placements."""
    lines = (
        CommissionLine.objects.filter(**{outer: OuterRef("pk")})
        .order_by()
        .values(outer)
        .annotate(total=Sum("amount"))
        .values("total")
    )
    return Coalesce(Subquery(lines), 0, output_field=DecimalField(max_digits=14, decimal_places=2))


def batches_listed(agency_id=None):
    batches = (
        PlacementBatch.objects.select_related("agency")
        .annotate(
            active_count=Count("placements", filter=Q(placements__status=PlacementStatus.ACTIVE)),
            recalled_count=Count("placements", filter=Q(placements__status=PlacementStatus.RECALLED)),
            collected=_collected("placement__batch"),
        )
        .order_by("-placed_on", "-id")
    )
    if agency_id:
        batches = batches.filter(agency_id=agency_id)
    return batches


@capability_required(Capability.MANAGE_AGENCIES)
@require_GET
def placement_batch_list(request):
    agency_id = request.GET.get("agency", "")
    agency_id = int(agency_id) if agency_id.isdigit() else None
    page = Paginator(batches_listed(agency_id), BATCHES_PER_PAGE).get_page(request.GET.get("page"))
    context = {
        "page": page,
        "batches": page.object_list,
        "agencies": Agency.objects.order_by("name", "pk"),
        "agency_id": agency_id,
    }
    return render(request, "collection/agencies/placements/batch_list.html", context)


@capability_required(Capability.MANAGE_AGENCIES)
@require_GET
def placement_batch_detail(request, pk: int):
    batch = get_object_or_404(batches_listed().select_related("contract", "created_by", "strategy_step"), pk=pk)
    placements = (
        Placement.objects.filter(batch=batch)
        .select_related("case", "case__borrower", "agent", "recalled_by")
        .annotate(collected=_collected("placement"))
        .order_by("status", "case_id")
    )
    status = request.GET.get("status", "")
    if status in PlacementStatus.values:
        placements = placements.filter(status=status)
    page = Paginator(placements, PLACEMENTS_PER_PAGE).get_page(request.GET.get("page"))
    file_url = _url_or_empty("collection:placement_file", batch.pk)
    context = {
        "batch": batch,
        "page": page,
        "placements": page.object_list,
        "status": status,
        "recall_form": RecallForm(),
        "file_url": file_url,
    }
    return render(request, "collection/agencies/placements/batch_detail.html", context)


@capability_required(Capability.MANAGE_AGENCIES)
@require_POST
def placement_batch_recall(request, pk: int):
    batch = get_object_or_404(PlacementBatch, pk=pk)
    back = reverse("collection:placement_batch_detail", args=[batch.pk])
    form = RecallForm(request.POST)
    if not form.is_valid():
        for errors in form.errors.values():
            for error in errors:
                messages.error(request, error)
        return redirect(back)
    placements = batch.placements.all()
    if not request.POST.get("all"):
        ids = [int(pk) for pk in request.POST.getlist("placement") if pk.isdigit()]
        if not ids:
            messages.error(request, NOTHING_TO_RECALL)
            return redirect(back)
        placements = placements.filter(pk__in=ids)
    recalled = placements_recall(
        placements=placements, reason=form.cleaned_data["reason"], actor=request.user, note=form.cleaned_data["note"]
    )
    messages.success(
        request, ngettext("%(count)d case recalled.", "%(count)d cases recalled.", recalled) % {"count": recalled}
    )
    return redirect(back)


# --- One case -----------------------------------------------------------------------------------


@capability_required(Capability.MANAGE_AGENCIES)
@require_POST
def placement_recall_view(request, pk: int):
    placement = get_object_or_404(Placement.objects.select_related("case"), pk=pk)
    if not cases_visible_to(request.user).filter(pk=placement.case_id).exists():
        raise Http404
    back = _back(request, reverse("collection:case_detail", args=[placement.case_id]))
    form = RecallForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose the reason for the recall."))
        return redirect(back)
    try:
        placement_recall(
            placement=placement,
            reason=form.cleaned_data["reason"],
            actor=request.user,
            note=form.cleaned_data["note"],
        )
    except CollectionError as error:
        messages.error(request, str(error))
    else:
        messages.success(
            request, _("Case %(case)s recalled from %(agency)s.") % {"case": placement.case, "agency": placement.agency}
        )
    return redirect(back)


def case_placement_section(request, case) -> dict | None:
    """
    The case page's "Agency" section for the lender's staff: the active
    placement (agency, batch, since, recall due) with the recall form for
    MANAGE_AGENCIES, and the case's placement history. None for agency users
    (their portal says what they need), for a case not placed now unless the
    user manages agencies, and for a case never placed that the user may not place.
    """
    user = request.user
    if user_can(user, Capability.WORK_AGENCY_CASES):
        return None
    manage = user_can(user, Capability.MANAGE_AGENCIES)
    if not manage and case.stage != Stage.AGENCY:
        return None  # the timeline tells a collector the case's past placements; no query for it here
    placements = list(
        Placement.objects.filter(case_id=case.pk)
        .select_related("agency", "batch", "recalled_by")
        .order_by("-placed_at")
    )
    placeable = (
        manage
        and not case.is_closed
        and case.stage not in (Stage.AGENCY, Stage.LEGAL)
        and case.status != CaseStatus.ON_HOLD
    )
    if not placements and not placeable:
        return None
    active = next((placement for placement in placements if placement.is_active), None)
    return {
        "active": active,
        "history": [placement for placement in placements if not placement.is_active],
        "recall_form": RecallForm(auto_id="recall_%s") if manage and active else None,
        "place_url": f"{reverse('collection:placement_new')}?case={case.pk}" if placeable and not active else "",
    }


urlpatterns = [
    path("agencies/placements/", placement_batch_list, name="placement_batch_list"),
    path("agencies/placements/new/", placement_new, name="placement_new"),
    path("agencies/placements/<int:pk>/", placement_batch_detail, name="placement_batch_detail"),
    path("agencies/placements/<int:pk>/recall/", placement_batch_recall, name="placement_batch_recall"),
    path("agencies/placement/<int:pk>/recall/", placement_recall_view, name="placement_recall"),
]
