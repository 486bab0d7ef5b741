"""
Referring a case to legal, and deciding a referral.

- The case page's "Legal" section (`case_referral_section`, registered by
  legal/litigation/__init__.py): for a case not with legal, its checklist,
  loaded with htmx from `/legal/cases/<id>/checklist/` so that the case page
  does not pay for it, and the "Refer to legal" button (REFER_TO_LEGAL,
  enabled only when every check passes); for a referral waiting for a
  decision, its status and the checklist as it stood.
- `/legal/cases/<id>/refer/` (POST): case_refer.
- `/legal/referrals/`: the referred files with their checklists, Accept /
  Reject with reasons (WORK_LEGAL), and those awaiting a manager's approval
  (Approve / Reject: APPROVE_LITIGATION).

Scope first: a case or file the user may not see is a 404 whatever their
role; then the capability (403).
"""

from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_GET, require_POST

from accounts.permissions import Capability, user_can
from collection.models import Case, CaseStatus, Stage
from collection.selectors.cases import cases_visible_to
from collection.views.access import in_scope_required
from legal.forms.referrals import AcceptForm, ApproveForm, ReferForm, RejectForm
from legal.litigation import referral as services
from legal.litigation.files import LitigationError
from legal.litigation.selectors import files_visible_to
from legal.models import ENDED_STATUSES, FileStatus, LitigationFile

REFERRED = _("The case is referred to legal: it has left the collectors' queues.")
ACCEPTED = _("The referral is accepted: file %(number)s.")
AWAITING = _("The referral is accepted; its claim of %(total)s needs a manager's approval.")
REJECTED = _("The referral is rejected: the case is back in its stage.")
APPROVED = _("The litigation is approved: file %(number)s.")

DECIDING = (FileStatus.REFERRED, FileStatus.AWAITING_APPROVAL)


def _may_see_referrals(user) -> bool:
    return user_can(user, Capability.WORK_LEGAL) or user_can(user, Capability.APPROVE_LITIGATION)


def _refer_allowed(user, case: Case) -> bool:
    return user_can(user, Capability.REFER_TO_LEGAL) and case.status != CaseStatus.CLOSED and case.stage != Stage.LEGAL


# --- The case page ------------------------------------------------------------------------------


def case_referral_section(request, case) -> dict | None:
    """The "Legal" section: None for users who neither refer nor work legal, and once a file is accepted."""
    user = request.user
    if not (user_can(user, Capability.REFER_TO_LEGAL) or _may_see_referrals(user)):
        return None
    latest = LitigationFile.objects.filter(case=case).select_related("referred_by").order_by("-referred_at").first()
    if latest is not None and latest.status in DECIDING:
        return {
            "file": latest,
            "checklist": services.checklist_rows(latest.checklist),
            "referrals_url": reverse("legal:referral_list") if _may_see_referrals(user) else "",
        }
    if latest is not None and latest.status not in ENDED_STATUSES:
        return None  # an accepted file: the "Litigation file" section says it all
    if case.stage == Stage.LEGAL or case.status == CaseStatus.CLOSED:
        return None
    return {
        "file": None,
        "rejected": latest if latest is not None and latest.status == FileStatus.REJECTED else None,
        "checklist_url": reverse("legal:case_checklist", args=[case.pk]),
    }


def _refer_scope(user) -> QuerySet:
    return cases_visible_to(user)


@in_scope_required(Capability.VIEW_CASES, _refer_scope)
@require_GET
def case_checklist(request, pk):
    """The checklist evaluated now, and the refer form when the user may refer and every check passes."""
    if not (user_can(request.user, Capability.REFER_TO_LEGAL) or _may_see_referrals(request.user)):
        raise PermissionDenied
    case = Case.objects.select_related("borrower", "portfolio__legal_policy").get(pk=pk)
    items = services.referral_checklist(case=case)
    context = {
        "case": case,
        "checklist": services.checklist_rows(items),
        "all_passed": all(item.passed for item in items),
        "may_refer": _refer_allowed(request.user, case),
        "form": ReferForm(),
    }
    return render(request, "legal/referrals/_checklist.html", context)


@in_scope_required(Capability.REFER_TO_LEGAL, _refer_scope)
@require_POST
def case_refer(request, pk):
    case = Case.objects.get(pk=pk)
    back = reverse("collection:case_detail", args=[pk])
    form = ReferForm(request.POST)
    if not form.is_valid():
        messages.error(request, " ".join(str(error) for errors in form.errors.values() for error in errors))
        return redirect(back)
    try:
        services.case_refer(case=case, actor=request.user, note=form.cleaned_data["note"])
    except LitigationError as error:
        messages.error(request, str(error))
        return redirect(back)
    messages.success(request, REFERRED)
    return redirect(back)


# --- The referrals page -----------------------------------------------------------------------------


def referral_files(user) -> list[LitigationFile]:
    """The files waiting for a decision that the user may see, the oldest referral first."""
    files = (
        files_visible_to(user)
        .filter(status__in=DECIDING)
        .select_related("case__borrower", "referred_by", "decided_by")
        .order_by("referred_at", "id")
    )
    return list(files[:200])


@require_GET
def referral_list(request):
    if not request.user.is_authenticated:
        return redirect_to_login(request.get_full_path())
    if not _may_see_referrals(request.user):
        raise PermissionDenied
    files = referral_files(request.user)
    for file in files:
        file.checklist_rows = services.checklist_rows(file.checklist)
        # One set of forms per file, with ids of its own: every "Note" label names its own box.
        file.accept_form = AcceptForm(auto_id=f"accept-{file.pk}-%s")
        file.reject_form = RejectForm(auto_id=f"reject-{file.pk}-%s")
        file.approve_form = ApproveForm(auto_id=f"approve-{file.pk}-%s")
    context = {
        "referred": [file for file in files if file.status == FileStatus.REFERRED],
        "awaiting": [file for file in files if file.status == FileStatus.AWAITING_APPROVAL],
        "may_decide": user_can(request.user, Capability.WORK_LEGAL),
        "may_approve": user_can(request.user, Capability.APPROVE_LITIGATION),
    }
    return render(request, "legal/referrals/list.html", context)


def _decision(request, pk, capabilities: tuple[str, ...], form_class, act):
    """Scope (404), capability (403), form, one service call, message, back to the referrals page."""
    if not request.user.is_authenticated:
        return redirect_to_login(request.get_full_path())
    file = files_visible_to(request.user).filter(pk=pk).first()
    if file is None:
        raise Http404
    if not any(user_can(request.user, capability) for capability in capabilities):
        raise PermissionDenied
    form = form_class(request.POST)
    if not form.is_valid():
        messages.error(request, " ".join(str(error) for errors in form.errors.values() for error in errors))
        return redirect("legal:referral_list")
    try:
        message = act(file, form.cleaned_data["note"])
    except LitigationError as error:
        messages.error(request, str(error))
        return redirect("legal:referral_list")
    messages.success(request, message)
    return redirect("legal:referral_list")


@require_POST
def referral_accept(request, pk):
    def act(file, note):
        from accounts.templatetags.arrears import money

        file = services.referral_accept(file=file, actor=request.user, note=note)
        if file.status == FileStatus.AWAITING_APPROVAL:
            return AWAITING % {"total": money(file.claim_total, file.currency)}
        return ACCEPTED % {"number": file.number}

    return _decision(request, pk, (Capability.WORK_LEGAL,), AcceptForm, act)


@require_POST
def referral_reject(request, pk):
    def act(file, note):
        services.referral_reject(file=file, actor=request.user, note=note)
        return REJECTED

    return _decision(request, pk, (Capability.WORK_LEGAL, Capability.APPROVE_LITIGATION), RejectForm, act)


@require_POST
def referral_approve(request, pk):
    def act(file, note):
        file = services.referral_approve(file=file, actor=request.user, note=note)
        return APPROVED % {"number": file.number}

    return _decision(request, pk, (Capability.APPROVE_LITIGATION,), ApproveForm, act)


urlpatterns = [
    path("cases/<int:pk>/checklist/", case_checklist, name="case_checklist"),
    path("cases/<int:pk>/refer/", case_refer, name="case_refer"),
    path("referrals/", referral_list, name="referral_list"),
    path("referrals/<int:pk>/accept/", referral_accept, name="referral_accept"),
    path("referrals/<int:pk>/reject/", referral_reject, name="referral_reject"),
    path("referrals/<int:pk>/approve/", referral_approve, name="referral_approve"),
]
