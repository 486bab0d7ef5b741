"""
Collection's pages: reminders (see collection/reminders).

A manager sees the default reminder schedule and each product's (its own,
or "follows the default"), copies the default to a product, adds, turns off
and removes reminders. A manager or a team lead sends a bulk message to the
cases of a filtered queue and follows its progress bar.
"""

from django.contrib import messages
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts.permissions import Capability, capability_required, user_can
from collection.errors import CollectionError
from collection.filters import CaseQueueFilter
from collection.models import MessageStatus, ReminderRule
from collection.reminders import bulk, services
from collection.reminders.forms import BulkMessageForm, ReminderRuleForm
from collection.reminders.selectors import RECENT_DAYS, schedule_overview, schedule_rules
from collection.selectors.queues import QUEUES, queue_cases, queue_teams
from lending.models import CreditProduct

REMINDER_ADDED = _("Reminder added: %(when)s by %(channel)s.")
REMINDER_ON = _("Reminder turned on: %(when)s by %(channel)s.")
REMINDER_OFF = _("Reminder turned off: %(when)s by %(channel)s.")
REMINDER_REMOVED = _("Reminder removed: %(when)s by %(channel)s.")
SCHEDULE_COPIED = _("%(product)s now has a schedule of its own, copied from the default.")
SCHEDULE_DROPPED = _("%(product)s follows the default schedule again.")
BULK_STARTED = _("Queuing a message to %(count)d cases; the page shows the progress.")
BULK_SOURCE_MISSING = _("Open a bulk message from a case queue: its filter says which cases.")


def _product_or_default(product_pk):
    return get_object_or_404(CreditProduct, pk=product_pk) if product_pk else None


def _schedule_url(product):
    if product is None:
        return redirect("collection:reminder_schedule_default")
    return redirect("collection:reminder_schedule_product", product_pk=product.pk)


def _rule_words(rule: ReminderRule) -> dict:
    return {"when": services.offset_text(rule.offset_days), "channel": rule.get_channel_display()}


@require_GET
@capability_required(Capability.CONFIGURE_AUTOMATION)
def reminder_schedules(request):
    return render(request, "collection/reminders/schedules.html", schedule_overview())


@require_http_methods(["GET", "POST"])
@capability_required(Capability.CONFIGURE_AUTOMATION)
def reminder_schedule(request, product_pk=None):
    """One schedule: its reminders (with what each did in the last days) and a form to add one."""
    product = _product_or_default(product_pk)
    form = ReminderRuleForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            rule = services.reminder_rule_add(product=product, **form.cleaned_data, actor=request.user)
        except CollectionError as error:
            form.add_error(error.field or None, str(error))
        else:
            messages.success(request, REMINDER_ADDED % _rule_words(rule))
            return _schedule_url(product)
    rules = schedule_rules(product)
    follows_default = product is not None and not rules
    return render(
        request,
        "collection/reminders/schedule.html",
        {
            "product": product,
            "rules": rules,
            "default_rules": schedule_rules(None) if follows_default else [],
            "follows_default": follows_default,
            "form": form,
            "recent_days": RECENT_DAYS,
            "statuses": MessageStatus.choices,
        },
    )


@require_POST
@capability_required(Capability.CONFIGURE_AUTOMATION)
def reminder_rule_toggle(request, pk):
    rule = get_object_or_404(ReminderRule.objects.select_related("product"), pk=pk)
    turn_on = not rule.is_active
    services.reminder_rule_activate(rule=rule, is_active=turn_on, actor=request.user)
    messages.success(request, (REMINDER_ON if turn_on else REMINDER_OFF) % _rule_words(rule))
    return _schedule_url(rule.product)


@require_POST
@capability_required(Capability.CONFIGURE_AUTOMATION)
def reminder_rule_delete(request, pk):
    rule = get_object_or_404(ReminderRule.objects.select_related("product"), pk=pk)
    product, words = rule.product, _rule_words(rule)
    services.reminder_rule_remove(rule=rule, actor=request.user)
    messages.success(request, REMINDER_REMOVED % words)
    return _schedule_url(product)


@require_POST
@capability_required(Capability.CONFIGURE_AUTOMATION)
def reminder_schedule_copy(request, product_pk):
    product = get_object_or_404(CreditProduct, pk=product_pk)
    try:
        services.reminder_schedule_copy(product=product, actor=request.user)
    except CollectionError as error:
        messages.error(request, str(error))
    else:
        messages.success(request, SCHEDULE_COPIED % {"product": product.name})
    return _schedule_url(product)


@require_POST
@capability_required(Capability.CONFIGURE_AUTOMATION)
def reminder_schedule_drop(request, product_pk):
    product = get_object_or_404(CreditProduct, pk=product_pk)
    try:
        services.reminder_schedule_drop(product=product, actor=request.user)
    except CollectionError as error:
        messages.error(request, str(error))
    else:
        messages.success(request, SCHEDULE_DROPPED % {"product": product.name})
    return _schedule_url(product)


# --- Bulk messages ----------------------------------------------------------------------------


def _bulk_source_cases(user, params):
    """The cases of the queue named by params["queue"], narrowed by its filter and scoped to the user; None if not."""
    queue = next((queue for queue in QUEUES if queue.key == params.get("queue", "")), None)
    if queue is None or not user_can(user, queue.capability):
        return None
    cases = queue_cases(user=user, queue=queue)
    return CaseQueueFilter(params, queryset=cases, teams=queue_teams(user=user, queue=queue)).qs


@require_http_methods(["GET", "POST"])
@capability_required(Capability.REASSIGN_CASES)
def bulk_message_new(request):
    cases = _bulk_source_cases(request.user, request.GET)
    if cases is None:
        raise Http404(BULK_SOURCE_MISSING)
    form = BulkMessageForm(request.POST or None)
    query = request.GET.copy()
    query.pop("page", None)
    if request.method == "POST" and form.is_valid():
        try:
            batch = bulk.bulk_message_start(
                cases=cases,
                **form.cleaned_data,
                actor=request.user,
                source=request.GET.get("queue", ""),
                source_query=query.urlencode(),
            )
        except CollectionError as error:
            form.add_error(error.field or None, str(error))
        else:
            messages.success(request, BULK_STARTED % {"count": batch.total})
            return redirect("collection:bulk_message_detail", pk=batch.pk)
    return render(
        request,
        "collection/reminders/bulk_new.html",
        {"form": form, "count": cases.count(), "query": query.urlencode(), "source": request.GET.get("queue", "")},
    )


BULK_LIST_SIZE = 50


@require_GET
@capability_required(Capability.REASSIGN_CASES)
def bulk_message_list(request):
    return render(
        request,
        "collection/reminders/bulk_list.html",
        {"batches": bulk.bulk_batches_visible_to(request.user).defer("case_ids")[:BULK_LIST_SIZE]},
    )


@require_GET
@capability_required(Capability.REASSIGN_CASES)
def bulk_message_detail(request, pk):
    """The batch's progress; htmx polls the bar every second (the partial) until every message is queued."""
    batch = get_object_or_404(bulk.bulk_batches_visible_to(request.user).defer("case_ids"), pk=pk)
    context = {"batch": batch, "progress": bulk.bulk_progress(batch)}
    if request.htmx and request.htmx.target == "bulk-progress":
        return render(request, "collection/reminders/_bulk_progress.html", context)
    return render(request, "collection/reminders/bulk_detail.html", context)


@require_POST
@capability_required(Capability.REASSIGN_CASES)
def bulk_message_resume(request, pk):
    """Take a batch up again whose worker stopped: no message is queued twice."""
    batch = get_object_or_404(bulk.bulk_batches_visible_to(request.user), pk=pk)
    if batch.status != batch.Status.DONE:
        bulk.bulk_message_enqueue(batch_id=batch.pk)
    return redirect("collection:bulk_message_detail", pk=batch.pk)


urlpatterns = [
    path("automation/reminders/", reminder_schedules, name="reminder_schedules"),
    path("automation/reminders/default/", reminder_schedule, name="reminder_schedule_default"),
    path("automation/reminders/products/<int:product_pk>/", reminder_schedule, name="reminder_schedule_product"),
    path("automation/reminders/products/<int:product_pk>/copy/", reminder_schedule_copy, name="reminder_schedule_copy"),
    path("automation/reminders/products/<int:product_pk>/drop/", reminder_schedule_drop, name="reminder_schedule_drop"),
    path("automation/reminders/rules/<int:pk>/toggle/", reminder_rule_toggle, name="reminder_rule_toggle"),
    path("automation/reminders/rules/<int:pk>/remove/", reminder_rule_delete, name="reminder_rule_remove"),
    path("automation/reminders/bulk/", bulk_message_list, name="bulk_message_list"),
    path("automation/reminders/bulk/new/", bulk_message_new, name="bulk_message_new"),
    path("automation/reminders/bulk/<int:pk>/", bulk_message_detail, name="bulk_message_detail"),
    path("automation/reminders/bulk/<int:pk>/resume/", bulk_message_resume, name="bulk_message_resume"),
]
