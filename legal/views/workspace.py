"""
The legal officer's workspace (their landing page): the queue of litigation
files by status and next deadline, the calendar of the next 60 days'
deadlines, the cases in the legal stage, and links to the other legal pages.

Three tabs on one URL (`?tab=files|calendar|cases`), each reading only what
it shows. The tables follow the collectors' queues: django-tables2, sortable,
paged without counting (LazyPaginator); when htmx asks for the table only
(HX-Target: results) the answer is the table alone.
"""

from django.shortcuts import render
from django.urls import path, reverse
from django.utils.cache import patch_vary_headers
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_GET
from django_tables2 import LazyPaginator, RequestConfig

from accounts.permissions import Capability, capability_required
from legal.forms.files import FileQueueFilter
from legal.litigation.selectors import (
    CALENDAR_DAYS,
    deadlines_upcoming,
    legal_officers,
    legal_stage_cases,
    workspace_counts,
    workspace_files,
)
from legal.models import FileStatus
from legal.tables import FileQueueTable, LegalStageCaseTable

PER_PAGE = 50
TABS = (
    ("files", _("Files")),
    ("calendar", _("Deadlines")),
    ("cases", _("Cases in the legal stage")),
)
DEADLINE_KINDS = {
    "hearing": _("Hearing"),
    "appeal": _("Appeal deadline"),
    "limitation": _("Limitation expires"),
}
# The legal officer's other lists, linked from the workspace.
LINKS = (
    ("legal:referral_list", _("Referrals")),
    ("legal:limitation_list", _("Limitation periods")),
    ("legal:batch_list", _("Letter batches")),
)


def workspace_links() -> list[tuple[str, str]]:
    return [(reverse(name), label) for name, label in LINKS]


def _paged(request, table):
    RequestConfig(request, paginate={"per_page": PER_PAGE, "paginator_class": LazyPaginator}).configure(table)
    return table


@capability_required(Capability.WORK_LEGAL)
@require_GET
def workspace(request):
    tab = request.GET.get("tab", "files")
    if tab not in dict(TABS):
        tab = "files"
    context = {"tab": tab, "tabs": TABS, "links": workspace_links(), "calendar_days": CALENDAR_DAYS}
    if tab == "files":
        queue = FileQueueFilter(request.GET, queryset=workspace_files(request.user), officers=legal_officers())
        context["filter"] = queue
        counts = workspace_counts(request.user)
        context["status_counts"] = [
            (status, label, counts[status]) for status, label in FileStatus.choices if counts.get(status)
        ]
        context["table"] = _paged(request, FileQueueTable(queue.qs))
    elif tab == "calendar":
        context["calendar"] = deadlines_upcoming(request.user)
        context["deadline_kinds"] = DEADLINE_KINDS
    else:
        context["table"] = _paged(request, LegalStageCaseTable(legal_stage_cases(request.user)))
    htmx = getattr(request, "htmx", None)
    partial = bool(htmx) and not htmx.history_restore_request and htmx.target == "results" and "table" in context
    template = "legal/files/_queue_results.html" if partial else "legal/workspace.html"
    response = render(request, template, context)
    patch_vary_headers(response, ("HX-Request", "HX-Target"))
    return response


urlpatterns = [
    path("", workspace, name="workspace"),
]
