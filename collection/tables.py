"""
Collection's tables: the queues' (CaseQueueTable), the approval queue's
(ApprovalTable) and the team lead's visit requests (VisitRequestTable).

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
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import formats, timezone
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _

from accounts.templatetags.arrears import money
from collection.models import Arrangement, Case, CaseStatus, FieldVisit, Stage
from collection.services import arrangement_rules as rules
from collection.services import arrangements as arrangement_services

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
                select_cell = queue_select_cell(case, select)
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
                queue_broken_flag(case, broken_title, broken),
                case.bucket.lower().replace("+", "-plus"),
                case.bucket,
                case.days_past_due,
                money(case.overdue_total, case.currency),
                case.priority,
                queue_when(case.next_action_at),
                formats.date_format(case.promise_due_on, "SHORT_DATE_FORMAT") if case.promise_due_on else DASH,
                queue_when(case.last_contact_at),
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
        return queue_rows_joined(self, rows)


# --- What the queues' hand-written rows share (this one and the agency queue's, collection/agencies/) ---


def queue_when(moment) -> str:
    """A date and time in the viewer's time zone, short."""
    if moment is None:
        return DASH
    return formats.date_format(timezone.localtime(moment), "SHORT_DATETIME_FORMAT")


def queue_select_cell(case, select_label: str) -> str:
    """The row's checkbox of the bulk form around the table."""
    return format_html(
        '<td><input type="checkbox" name="case" value="{}" data-row-select aria-label="{} {}"></td>',
        case.pk,
        select_label,
        case.number,
    )


def queue_broken_flag(case, title: str, text: str) -> str:
    """The "broken" flag after the borrower's name when a promise was broken, else nothing."""
    return format_html(' <span class="flag" title="{}">{}</span>', title, text) if case.has_broken_promise else ""


def queue_rows_joined(table, rows: list) -> SafeString:
    """The page's rows, or the one row saying none matches."""
    if not rows:
        return format_html('<tr><td colspan="{}" class="muted">{}</td></tr>', len(table.columns), table.empty_text)
    return format_html_join("\n", "{}", ((row,) for row in rows))


# --- The approval queue (collection/views/arrangements.py) ---------------------------------------


class ApprovalTable(tables.Table):
    requested_at = tables.DateTimeColumn(verbose_name=_("Requested"), format="SHORT_DATETIME_FORMAT")
    case = tables.Column(
        verbose_name=_("Case"),
        order_by=("case_id",),
        linkify=lambda record: reverse("collection:case_detail", args=[record.case_id]),
    )
    borrower = tables.Column(verbose_name=_("Borrower"), accessor="case__borrower__name", orderable=False)
    kind = tables.Column(verbose_name=_("Kind"))
    balance_at_start = tables.Column(verbose_name=_("Balance"), attrs={"td": {"class": "num"}, "th": {"class": "num"}})
    total_to_pay = tables.Column(verbose_name=_("To pay"), attrs={"td": {"class": "num"}, "th": {"class": "num"}})
    concession = tables.Column(verbose_name=_("Concession"), attrs={"td": {"class": "num"}, "th": {"class": "num"}})
    share = tables.Column(
        verbose_name=_("Share"),
        empty_values=(),
        orderable=False,
        attrs={"td": {"class": "num"}, "th": {"class": "num"}},
    )
    dates = tables.Column(verbose_name=_("Dates if approved today"), empty_values=(), orderable=False)
    requested_by = tables.Column(verbose_name=_("Requested by"), default="—", orderable=False)
    notes = tables.Column(verbose_name=_("Notes"), default="", orderable=False)
    actions = tables.Column(verbose_name=_("Decision"), empty_values=(), orderable=False)

    class Meta:
        model = Arrangement
        fields = (
            "requested_at",
            "case",
            "borrower",
            "kind",
            "balance_at_start",
            "total_to_pay",
            "concession",
            "share",
            "dates",
            "requested_by",
            "notes",
            "actions",
        )
        attrs = {"class": "dense", "data-testid": "approvals"}
        row_attrs = {"id": lambda record: f"arrangement-{record.pk}"}
        order_by = ("requested_at",)
        empty_text = _("Nothing waits for your decision.")

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user

    def render_balance_at_start(self, value, record):
        return money(value, record.currency)

    def render_total_to_pay(self, value, record):
        return money(value, record.currency)

    def render_concession(self, value, record):
        return money(value, record.currency)

    def render_share(self, record):
        share = rules.concession_share(record)
        return "—" if share is None else f"{share * 100:.1f} %"

    def render_dates(self, record):
        """The installments' dates as an approval today would set them; moved ones say so."""
        moved = arrangement_services.arrangement_dates_shift(record)
        dates = ", ".join(
            formats.date_format(due_on, "SHORT_DATE_FORMAT")
            for _number, due_on in arrangement_services.arrangement_dates_if_approved(record)
        )
        if not moved:
            return dates
        note = ngettext("moved on by %(count)d day", "moved on by %(count)d days", moved) % {"count": moved}
        return format_html(
            '{} <span class="chip" title="{}">{}</span>',
            dates,
            _("The first date passed while the request waited"),
            note,
        )

    def render_notes(self, value):
        return value if len(value) <= 80 else value[:79] + "…"

    def render_actions(self, record):
        return render_to_string(
            "collection/arrangements/_decide_actions.html",
            {
                "arrangement": record,
                "within_limit": arrangement_services.arrangement_within_limit(self.user, record),
                "own": record.requested_by_id == self.user.pk,
            },
            request=getattr(self, "request", None),
        )


# --- The team lead's visit requests (collection/views/visits.py) ---------------------------------


class VisitRequestTable(tables.Table):
    requested_at = tables.DateTimeColumn(verbose_name=_("Requested"), format="SHORT_DATETIME_FORMAT")
    case = tables.Column(
        verbose_name=_("Case"),
        order_by=("case_id",),
        linkify=lambda record: reverse("collection:case_detail", args=[record.case_id]),
    )
    borrower = tables.Column(verbose_name=_("Borrower"), accessor="case__borrower__name", orderable=False)
    overdue = tables.Column(
        verbose_name=_("Overdue"),
        accessor="case__overdue_total",
        order_by=("case__overdue_total",),
        attrs={"td": {"class": "num"}, "th": {"class": "num"}},
    )
    district = tables.Column(verbose_name=_("District"))
    address = tables.Column(verbose_name=_("Address"), orderable=False)
    reason = tables.Column(verbose_name=_("Why"), orderable=False)
    preferred_on = tables.DateColumn(verbose_name=_("Preferred"), format="SHORT_DATE_FORMAT", default="—")
    requested_by = tables.Column(verbose_name=_("Requested by"), default="—", orderable=False)
    actions = tables.Column(verbose_name=_("Schedule or reject"), empty_values=(), orderable=False)

    class Meta:
        model = FieldVisit
        fields = (
            "requested_at",
            "case",
            "borrower",
            "overdue",
            "district",
            "address",
            "reason",
            "preferred_on",
            "requested_by",
            "actions",
        )
        attrs = {"class": "dense", "data-testid": "visit-requests"}
        row_attrs = {"id": lambda record: f"visit-{record.pk}"}
        order_by = ("requested_at",)
        empty_text = _("No visit waits for a decision.")

    def __init__(self, *args, agents, today, **kwargs):
        super().__init__(*args, **kwargs)
        self.agents = agents
        self.today = today

    def render_overdue(self, value, record):
        return money(value, record.case.currency)

    def render_actions(self, record):
        day = record.scheduled_on or max(record.preferred_on or self.today, self.today)
        return render_to_string(
            "collection/visits/_schedule_actions.html",
            {"visit": record, "agents": self.agents, "day": day, "today": self.today},
            request=getattr(self, "request", None),
        )
