"""
The agency queue's filter and table: the workspace queue's (collection/filters.py CaseQueueFilter,
collection/tables.py CaseQueueTable) with what an agency works by — the placement's dates and the
agency's own agent instead of the lender's stage, team and collector — and a "Mine / Whole agency"
switch. Rows are written in one plain loop, as the workspace queue's are (bench/agency_queue.py).
"""

import django_filters
import django_tables2 as tables
from django import forms
from django.urls import reverse
from django.utils import formats, timezone
from django.utils.html import format_html
from django.utils.safestring import SafeString
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from accounts.templatetags.arrears import money
from collection.filters import CaseQueueFilter
from collection.models import Case
from collection.tables import DASH, _sortable, queue_broken_flag, queue_rows_joined, queue_select_cell, queue_when

MINE = "mine"


class AgencyQueueFilter(CaseQueueFilter):
    """The workspace queue's filters less those an agency has no use for (team, stage, limitation)."""

    who = django_filters.ChoiceFilter(
        label=_("Cases"),
        choices=[(MINE, _("Mine"))],
        empty_label=_("Whole agency"),
        method="filter_who",
        widget=forms.HiddenInput,
    )

    def __init__(self, data=None, *args, **kwargs):
        kwargs["teams"] = None
        super().__init__(data, *args, **kwargs)
        for name in ("stage", "limitation_soon"):
            del self.filters[name]

    def filter_who(self, queryset, name, value):
        if value == MINE:
            return queryset.filter(active_placement__agent=self.request.user)
        return queryset


def _date(day) -> str:
    return formats.date_format(day, "SHORT_DATE_FORMAT") if day else DASH


class AgencyQueueTable(tables.Table):
    select = tables.CheckBoxColumn(
        accessor="pk",
        attrs={"th__input": {"data-select-all": "", "aria-label": _("Select every case on this page")}},
    )
    number = tables.Column(verbose_name=_("Case"), accessor="pk", order_by=_sortable())
    borrower = tables.Column(
        verbose_name=_("Borrower"), accessor="borrower__name", order_by=_sortable("borrower__name")
    )
    bucket = tables.Column(verbose_name=_("Bucket"), order_by=_sortable("days_past_due"))
    days_past_due = tables.Column(
        verbose_name=_("DPD"), order_by=_sortable("days_past_due"), attrs={"th": {"title": _("Days past due")}}
    )
    overdue_total = tables.Column(verbose_name=_("Overdue"), order_by=_sortable("overdue_total"))
    placed_on = tables.Column(verbose_name=_("Placed on"), order_by=_sortable("placed_on"))
    recall_due_on = tables.Column(verbose_name=_("Recall due"), order_by=_sortable("recall_due_on"))
    agency_agent = tables.Column(verbose_name=_("Agent"), accessor="agency_agent_id", orderable=False)
    next_action_at = tables.Column(verbose_name=_("Next action"), order_by=_sortable("next_action_at"))
    last_contact_at = tables.Column(verbose_name=_("Last contact"), order_by=_sortable("last_contact_at"))
    priority = tables.Column(verbose_name=_("Priority"), order_by=_sortable("priority"), visible=False)

    class Meta:
        model = Case
        fields = ()
        sequence = (
            "select",
            "number",
            "borrower",
            "bucket",
            "days_past_due",
            "overdue_total",
            "placed_on",
            "recall_due_on",
            "agency_agent",
            "next_action_at",
            "last_contact_at",
            "priority",
        )
        attrs = {"class": "dense queue", "data-queue-table": "", "data-testid": "agency-queue"}
        template_name = "collection/queues/table.html"
        order_by = ("-priority",)
        empty_text = _("No case matches.")

    def __init__(self, *args, exclude=(), agent_names=None, **kwargs):
        super().__init__(*args, exclude=exclude, **kwargs)
        self.show_select = "select" not in exclude
        self.agent_names = agent_names or {}
        self.now = timezone.now()

    def rows_html(self) -> SafeString:
        pool, select, broken = gettext("agency pool"), gettext("Select"), gettext("broken")
        broken_title = gettext("A promise was broken")
        url_pattern = reverse("collection:case_detail", args=[987654321]).replace("987654321", "{}")
        rows = []
        for row in self.paginated_rows:
            case = row.record
            url = url_pattern.format(case.pk)
            due = case.next_action_at is None or case.next_action_at <= self.now
            select_cell = ""
            if self.show_select:
                select_cell = queue_select_cell(case, select)
            cells = format_html(
                '<td class="nowrap"><a href="{}" hx-boost="false" data-row-link>{}</a></td><td>{}{}</td>'
                '<td><span class="bucket bucket-{}">{}</span></td><td class="num">{}</td>'
                '<td class="num nowrap">{}</td><td class="nowrap">{}</td><td class="nowrap">{}</td>'
                "<td>{}</td><td>{}</td><td>{}</td>",
                url,
                case.number,
                case.borrower.name,
                queue_broken_flag(case, broken_title, broken),
                case.bucket.lower().replace("+", "-plus"),
                case.bucket,
                case.days_past_due,
                money(case.overdue_total, case.currency),
                _date(case.placed_on),
                _date(case.recall_due_on),
                self.agent_names.get(case.agency_agent_id, pool) if case.agency_agent_id else pool,
                queue_when(case.next_action_at),
                queue_when(case.last_contact_at),
            )
            rows.append(
                format_html('<tr data-href="{}" class="{}">{}{}</tr>', url, "due" if due else "", select_cell, cells)
            )
        return queue_rows_joined(self, rows)
