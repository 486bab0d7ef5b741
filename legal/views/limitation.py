"""
The legal officer's list of open cases whose limitation period expires within
90 days (or has expired), the nearest expiry first (`/legal/limitation/`).

WORK_LEGAL (legal officers and managers), 403 without it; the cases are those
the user may see (cases_visible_to): a legal officer's are the legal-stage
cases, a manager's every case. Paged without counting, as the queues are.
"""

from datetime import timedelta

from django.shortcuts import render
from django.urls import path
from django.views.decorators.http import require_GET
from django_tables2 import LazyPaginator, RequestConfig

from accounts.permissions import Capability, capability_required
from collection.models import CaseStatus
from collection.selectors.cases import cases_visible_to
from legal.limitation import WARNING_DAYS
from legal.tables import LimitationCaseTable
from lending.services import lender_today

PER_PAGE = 50


def limitation_cases(user, *, today, days: int = WARNING_DAYS):
    """The open cases the user sees whose period expires by `today + days` (expired ones included)."""
    return (
        cases_visible_to(user)
        .exclude(status=CaseStatus.CLOSED)
        .filter(limitation_expires_on__lte=today + timedelta(days=days))
        .select_related("borrower")
        .order_by("limitation_expires_on", "id")
    )


@capability_required(Capability.WORK_LEGAL)
@require_GET
def limitation_list(request):
    today = lender_today()
    table = LimitationCaseTable(limitation_cases(request.user, today=today), today=today, warning_days=WARNING_DAYS)
    RequestConfig(request, paginate={"per_page": PER_PAGE, "paginator_class": LazyPaginator}).configure(table)
    template = "legal/limitation/_results.html" if request.headers.get("HX-Target") == "results" else None
    context = {"table": table, "warning_days": WARNING_DAYS}
    return render(request, template or "legal/limitation/list.html", context)


urlpatterns = [
    path("limitation/", limitation_list, name="limitation_list"),
]
