"""
Compliance reports: the manager's refusal log (what the guard refused, by
rule, collector and day, with a CSV export through the formula-safe writer)
and the team lead's inbound contacts (contacts logged as "the borrower
started it", by collector and day, with the list behind each count). Both
read through the scoped selectors (selectors/reports.py).
"""

from urllib.parse import urlencode

from django.shortcuts import render
from django.urls import path
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_GET

from accounts.permissions import Capability, capability_required
from collection.compliance import Rule
from collection.forms.reports import ReportFilterForm, default_period
from collection.selectors import reports as reads
from documents.exports import csv_response
from lending.services import LENDER_TZ

# The rule's name for each code (lazy: translated when shown).
RULE_LABELS = dict(Rule.choices)
REFUSAL_CSV_HEADER = (
    _("Refused at"),
    _("Rule"),
    _("Rule code"),
    _("Reason"),
    _("Channel"),
    _("Attempted action"),
    _("Case"),
    _("Borrower"),
    _("Contact point"),
    _("By"),
    _("Contact asked about"),
)


def _filters(request, *, with_rule: bool, collectors):
    form = ReportFilterForm(request.GET or None, collectors=collectors, with_rule=with_rule)
    if not form.is_bound:
        return form, default_period(), "", None
    if not form.is_valid():
        return form, None, "", None
    data = form.cleaned_data
    return form, data["period"], data.get("rule") or "", data.get("collector")


def _local(value):
    return timezone.localtime(value, LENDER_TZ).strftime("%Y-%m-%d %H:%M:%S") if value else ""


@require_GET
@capability_required(Capability.CONFIGURE_COLLECTION)
def refusal_report(request):
    collectors = reads.refusal_actors(request.user, period=default_period())
    form, period, rule, actor_id = _filters(request, with_rule=True, collectors=collectors)
    context = {"form": form, "counts": [], "rows": [], "total": 0}
    if period is not None:
        refusals = reads.refusals_visible_to(request.user, period=period, rule=rule, actor_id=actor_id)
        if request.GET.get("export") == "csv":
            return csv_response(
                _refusal_csv_rows(reads.refusal_rows(refusals)),
                filename=f"refusals-{period.first.isoformat()}-{period.last.isoformat()}.csv",
                header=[str(title) for title in REFUSAL_CSV_HEADER],
            )
        counts = reads.refusal_counts(refusals)
        for row in counts:
            row["rule_label"] = RULE_LABELS.get(row["rule"], row["rule"])
            row["actor_name"] = reads.actor_name(row) or _("automatic")
        context.update(
            counts=counts,
            total=sum(row["count"] for row in counts),
            rows=list(reads.refusal_rows(refusals)[: reads.LIST_MOST_ROWS]),
            period=period,
            export_query=_with(request.GET, export="csv"),
            most_rows=reads.LIST_MOST_ROWS,
        )
    return render(request, "collection/reports/refusals.html", context)


def _refusal_csv_rows(rows):
    for refusal in rows.iterator(chunk_size=2000):
        point = refusal.contact_point
        yield (
            _local(refusal.refused_at),
            str(RULE_LABELS.get(refusal.rule, refusal.rule)),
            refusal.rule,
            refusal.reason,
            refusal.get_channel_display(),
            refusal.action,
            refusal.case_id,
            refusal.borrower_id,
            point.get_kind_display() if point is not None else "",
            refusal.actor.username if refusal.actor is not None else "",
            _local(refusal.contact_at),
        )


@require_GET
@capability_required(Capability.REASSIGN_CASES)
def inbound_report(request):
    form, period, _rule, actor_id = _filters(request, with_rule=False, collectors=())
    context = {"form": form, "counts": [], "rows": None, "total": 0}
    if period is not None:
        inbound = reads.inbound_visible_to(request.user, period=period)
        counts = reads.inbound_counts(inbound)
        for row in counts:
            row["actor_name"] = reads.actor_name(row)
            day = row["day"].isoformat()
            row["query"] = _with({}, first=day, last=day, collector=row["actor_id"] or "")
        context.update(counts=counts, total=sum(row["count"] for row in counts), period=period)
        if actor_id is not None:
            context["rows"] = list(
                reads.inbound_rows(reads.inbound_visible_to(request.user, period=period, actor_id=actor_id))[
                    : reads.LIST_MOST_ROWS
                ]
            )
            context["most_rows"] = reads.LIST_MOST_ROWS
    return render(request, "collection/reports/inbound.html", context)


def _with(query, **values) -> str:
    merged = {key: query.get(key) for key in query if key not in values}
    merged.update(values)
    return urlencode({key: value for key, value in merged.items() if value not in (None, "")})


urlpatterns = [
    path("reports/refusals/", refusal_report, name="refusal_report"),
    path("reports/inbound/", inbound_report, name="inbound_report"),
]
