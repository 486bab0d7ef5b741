"""
The queues' table: one dense row per case, every column sortable except the
checkbox. Sorting always ends on the id so that pages never overlap.

django-tables2 does the ordering, the header links and the paging; the rows
themselves are written here in one plain loop (`rows_html`), because
rendering each cell through a Column, or each row through the template
engine, costs several times the whole rest of the page (measured by
bench/queue_page.py against the admin changelist, which renders its rows in
Python too).
"""

import django_tables2 as tables
from django.urls import reverse
from django.utils import formats, timezone
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from accounts.templatetags.arrears import money
from collection.models import Case, CaseStatus, Stage

DASH = "—"


def _sortable(*fields):
    return (*fields, "id")


class CaseQueueTable(tables.Table):
    # The checkboxes belong to the bulk reassign form around the table; the header box selects the page.
    select = tables.CheckBoxColumn(
        accessor="pk",
        attrs={"th__input": {"data-select-all": "", "aria-label": _("Select every case on this page")}},
    )
    number = tables.Column(verbose_name=_("Case"), accessor="pk", order_by=_sortable())
    borrower = tables.Column(
        verbose_name=_("Borrower"), accessor="borrower__name", order_by=_sortable("borrower__name")
    )
    place = tables.Column(
        verbose_name=_("Province / city"),
        accessor="borrower__province",
        order_by=_sortable("borrower__province", "borrower__city"),
    )
    stage = tables.Column(verbose_name=_("Stage"), order_by=_sortable("stage"))
    status = tables.Column(verbose_name=_("Status"), order_by=_sortable("status"))
    bucket = tables.Column(verbose_name=_("Bucket"), order_by=_sortable("days_past_due"))
    days_past_due = tables.Column(
        verbose_name=_("DPD"), order_by=_sortable("days_past_due"), attrs={"th": {"title": _("Days past due")}}
    )
    overdue_total = tables.Column(verbose_name=_("Overdue"), order_by=_sortable("overdue_total"))
    priority = tables.Column(verbose_name=_("Priority"), order_by=_sortable("priority"))
    next_action_at = tables.Column(verbose_name=_("Next action"), order_by=_sortable("next_action_at"))
    promise_due_on = tables.Column(verbose_name=_("Promise due"), order_by=_sortable("promise_due_on"))
    last_contact_at = tables.Column(verbose_name=_("Last contact"), order_by=_sortable("last_contact_at"))
    assigned_to = tables.Column(verbose_name=_("Collector"), order_by=_sortable("assigned_to__username"))

    class Meta:
        model = Case
        fields = ()
        sequence = (
            "select",
            "number",
            "borrower",
            "place",
            "stage",
            "status",
            "bucket",
            "days_past_due",
            "overdue_total",
            "priority",
            "next_action_at",
            "promise_due_on",
            "last_contact_at",
            "assigned_to",
        )
        attrs = {"class": "dense queue", "data-queue-table": ""}
        # django-tables2's own template with the body replaced by rows_html.
        template_name = "collection/queues/table.html"
        order_by = ("-priority",)
        empty_text = _("No case matches.")

    def __init__(self, *args, exclude=(), **kwargs):
        super().__init__(*args, exclude=exclude, **kwargs)
        # What the row template needs to know.
        self.show_select = "select" not in exclude
        self.show_collector = "assigned_to" not in exclude
        self.now = timezone.now()

    def rows_html(self) -> SafeString:
        """The rows of the current page, in the order of Meta.sequence (less the columns left out)."""
        unassigned, select, broken = gettext("unassigned"), gettext("Select"), gettext("broken")
        stages = {value: str(label) for value, label in Stage.choices}
        statuses = {value: str(label) for value, label in CaseStatus.choices}
        broken_title = gettext("A promise was broken")
        # One reverse() for the page: the case pages' URLs differ only by the id.
        url_pattern = reverse("collection:case_detail", args=[987654321]).replace("987654321", "{}")
        rows = []
        for row in self.paginated_rows:
            case = row.record
            borrower = case.borrower
            url = url_pattern.format(case.pk)
            due = case.status != CaseStatus.ON_HOLD and (case.next_action_at is None or case.next_action_at <= self.now)
            select_cell = collector_cell = ""
            if self.show_select:
                select_cell = format_html(
                    '<td><input type="checkbox" name="case" value="{}" data-row-select aria-label="{} {}"></td>',
                    case.pk,
                    select,
                    case.number,
                )
            if self.show_collector:
                collector_cell = format_html("<td>{}</td>", case.assigned_to or unassigned)
            cells = format_html(
                '<td class="nowrap"><a href="{}" hx-boost="false" data-row-link>{}</a></td>'
                "<td>{}</td><td>{}</td><td>{}</td><td>{}{}</td>"
                '<td><span class="bucket bucket-{}">{}</span></td>'
                '<td class="num">{}</td><td class="num nowrap">{}</td><td class="num">{}</td>'
                "<td>{}</td><td>{}</td><td>{}</td>",
                url,
                case.number,
                borrower.name,
                " · ".join(part for part in (borrower.province, borrower.city) if part) or DASH,
                stages.get(case.stage, case.stage),
                statuses.get(case.status, case.status),
                format_html(' <span class="flag" title="{}">{}</span>', broken_title, broken)
                if case.has_broken_promise
                else "",
                case.bucket.lower().replace("+", "-plus"),
                case.bucket,
                case.days_past_due,
                money(case.overdue_total, case.currency),
                case.priority,
                _when(case.next_action_at),
                formats.date_format(case.promise_due_on, "SHORT_DATE_FORMAT") if case.promise_due_on else DASH,
                _when(case.last_contact_at),
            )
            rows.append(
                format_html(
                    '<tr data-href="{}" class="{}">{}{}{}</tr>',
                    url,
                    "due" if due else "",
                    select_cell,
                    cells,
                    collector_cell,
                )
            )
        if not rows:
            return format_html('<tr><td colspan="{}" class="muted">{}</td></tr>', len(self.columns), self.empty_text)
        return format_html_join("\n", "{}", ((row,) for row in rows))


def _when(moment) -> str:
    """A date and time in the viewer's time zone, short."""
    if moment is None:
        return DASH
    return formats.date_format(timezone.localtime(moment), "SHORT_DATETIME_FORMAT")
