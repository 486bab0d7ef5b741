"""
The credit-line buttons of the account page (freeze, cut, restore) and the
"Core-system deliveries" page with its manual retries. Each view: the right
(403 without it), the account in the user's scope (404 outside), one service
call, a message, back to the page.
"""

from django.contrib import messages
from django.db.models import Count, Exists
from django.http import QueryDict
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST
from django_tables2 import LazyPaginator

from accounts.permissions import Capability, capability_required, user_can
from lending import selectors
from lending.credit_lines import services
from lending.credit_lines.forms import CoreDeliveryFilter, LineCutForm, LineFreezeForm, LineRestoreForm
from lending.credit_lines.outbox import (
    FILE_DELIVERY,
    NOT_CONFIGURED,
    core_system_configured,
    core_system_folder,
    earlier_undelivered,
)
from lending.models import CoreSystemDelivery, CreditAccount
from lending.services.errors import LendingError

DELIVERIES_PER_PAGE = 50
# The lines the buttons may change (a closed, charged-off or sold account's are not ours to change).
LINE_STATUSES = (CreditAccount.Status.ACTIVE, CreditAccount.Status.FROZEN)


def line_context_for(user, account) -> dict:
    """
    The account page's credit-line part: the open restriction (since when,
    and the limit a restore gives back) and, for who may manage lines, the
    forms of the actions that apply to the line as it stands.
    """
    restriction = next((row for row in account.line_restrictions.all() if row.restored_at is None), None)
    may_manage = user_can(user, Capability.MANAGE_CREDIT_LINES)
    context = {"line_restriction": restriction, "may_manage_lines": may_manage}
    if not may_manage or account.status not in LINE_STATUSES:
        return context
    Status = CreditAccount.Status
    context["freeze_form"] = LineFreezeForm(prefix="freeze") if account.status == Status.ACTIVE else None
    context["cut_form"] = LineCutForm(prefix="cut") if account.credit_limit > 0 else None
    context["restore_form"] = LineRestoreForm(prefix="restore") if restriction else None
    return context


def _line_action(request, pk, form_class, prefix, action):
    account = get_object_or_404(selectors.accounts_visible_to(request.user), pk=pk)
    form = form_class(request.POST, prefix=prefix)
    if not form.is_valid():
        for field, errors in form.errors.items():
            label = form.fields[field].label if field in form.fields else ""
            messages.error(request, f"{label}: {' '.join(errors)}" if label else " ".join(errors))
        return redirect("lending:account_detail", pk=account.pk)
    try:
        change = action(account, form.cleaned_data)
    except LendingError as error:
        messages.error(request, str(error))
    else:
        if change is None:
            messages.info(request, _("Nothing to change: the line already stands so."))
        else:
            messages.success(
                request, _("%(change)s. The core system will be told.") % {"change": change.get_action_display()}
            )
    return redirect("lending:account_detail", pk=account.pk)


@capability_required(Capability.MANAGE_CREDIT_LINES)
@require_POST
def credit_line_freeze(request, pk):
    return _line_action(
        request,
        pk,
        LineFreezeForm,
        "freeze",
        lambda account, data: services.credit_line_freeze(
            account=account, actor=request.user, reason=data["reason"], note=data["note"]
        ),
    )


@capability_required(Capability.MANAGE_CREDIT_LINES)
@require_POST
def credit_line_cut(request, pk):
    return _line_action(
        request,
        pk,
        LineCutForm,
        "cut",
        lambda account, data: services.credit_line_cut(
            account=account, new_limit=data["new_limit"], actor=request.user, reason=data["reason"], note=data["note"]
        ),
    )


@capability_required(Capability.MANAGE_CREDIT_LINES)
@require_POST
def credit_line_restore(request, pk):
    return _line_action(
        request,
        pk,
        LineRestoreForm,
        "restore",
        lambda account, data: services.credit_line_restore(account=account, actor=request.user, note=data["note"]),
    )


@capability_required(Capability.MANAGE_CREDIT_LINES)
def core_deliveries(request):
    """Every change sent (or to send) to the core system: account external ids only, no personal data."""
    rows = (
        CoreSystemDelivery.objects.select_related("limit_change", "account")
        .annotate(waits_for_earlier=Exists(earlier_undelivered()))
        .order_by("-created_at", "-id")
    )
    delivery_filter = CoreDeliveryFilter(request.GET, queryset=rows)
    page = LazyPaginator(delivery_filter.qs, DELIVERIES_PER_PAGE).get_page(request.GET.get("page"))
    counts = dict(CoreSystemDelivery.objects.values_list("status").annotate(count=Count("id")).order_by())
    return render(
        request,
        "lending/credit_lines/deliveries.html",
        {
            "filter": delivery_filter,
            "page": page,
            "status_counts": [
                (status, label, counts.get(status, 0)) for status, label in CoreSystemDelivery.Status.choices
            ],
            "failed_count": counts.get(CoreSystemDelivery.Status.FAILED, 0),
            "configured": core_system_configured(),
            "not_configured": None if core_system_configured() else NOT_CONFIGURED,
            "file_delivery": str(FILE_DELIVERY).format(folder=core_system_folder()) if core_system_folder() else "",
        },
    )


@capability_required(Capability.MANAGE_CREDIT_LINES)
@require_POST
def core_delivery_retry(request, pk):
    delivery = get_object_or_404(CoreSystemDelivery, pk=pk)
    try:
        services.core_delivery_retry(delivery=delivery, actor=request.user)
    except LendingError as error:
        messages.error(request, str(error))
    else:
        messages.success(
            request,
            _("The change to account %(account)s will be delivered again.") % {"account": delivery.payload["account"]},
        )
    return redirect(_back(request))


@capability_required(Capability.MANAGE_CREDIT_LINES)
@require_POST
def core_deliveries_retry_failed(request):
    retried = services.core_deliveries_retry_failed(actor=request.user)
    if retried:
        messages.success(
            request,
            ngettext(
                "%(count)s failed change will be delivered again.",
                "%(count)s failed changes will be delivered again.",
                retried,
            )
            % {"count": retried},
        )
    else:
        messages.info(request, _("No delivery has failed."))
    return redirect(_back(request))


def _back(request) -> str:
    """The deliveries page with the filters it was showing (only its own parameters are carried back)."""
    shown = QueryDict(request.POST.get("query", ""))
    kept = {name: shown[name] for name in ("status", "action", "account", "page") if shown.get(name)}
    return f"{reverse('lending:core_deliveries')}?{urlencode(kept)}" if kept else reverse("lending:core_deliveries")
