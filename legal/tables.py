"""
Legal's tables (django-tables2), with the collectors' queue conventions:
dense rows, every column sortable that can be, sorting that always ends on
the id so that pages never overlap, lazy paging.

- FileQueueTable: the legal officer's queue of files (legal/views/workspace.py);
- LegalStageCaseTable: the cases in the legal stage, the nearest limitation expiry first.
"""

import django_tables2 as tables
from django.urls import reverse
from django.utils import formats
from django.utils.translation import gettext_lazy as _

from accounts.templatetags.arrears import money
from collection.models import Case, LimitationStart
from legal.limitation.section import EXPIRED, limitation_state
from legal.models import LitigationFile

DASH = "—"
NUM = {"td": {"class": "num"}, "th": {"class": "num"}}


def _sortable(*fields):
    return (*fields, "id")


class FileQueueTable(tables.Table):
    number = tables.Column(
        verbose_name=_("File"),
        accessor="pk",
        order_by=_sortable(),
        linkify=lambda record: reverse("legal:file_detail", args=[record.pk]),
        attrs={"td": {"class": "nowrap"}},
    )
    case = tables.Column(
        verbose_name=_("Case"),
        accessor="case_id",
        order_by=_sortable("case_id"),
        linkify=lambda record: reverse("collection:case_detail", args=[record.case_id]),
    )
    borrower = tables.Column(
        verbose_name=_("Borrower"), accessor="case__borrower__name", order_by=_sortable("case__borrower__name")
    )
    status = tables.Column(verbose_name=_("Status"), order_by=_sortable("status"))
    next_deadline_on = tables.DateColumn(
        verbose_name=_("Next deadline"),
        format="SHORT_DATE_FORMAT",
        order_by=_sortable("next_deadline_on"),
        default=DASH,
    )
    court = tables.Column(verbose_name=_("Court"), order_by=_sortable("court"), default=DASH)
    legal_officer = tables.Column(
        verbose_name=_("Legal officer"), order_by=_sortable("legal_officer__username"), default=DASH
    )
    claim_total = tables.Column(verbose_name=_("Claim"), order_by=_sortable("claim_total"), attrs=NUM)
    referred_at = tables.DateColumn(
        verbose_name=_("Referred"), format="SHORT_DATE_FORMAT", order_by=_sortable("referred_at")
    )

    class Meta:
        model = LitigationFile
        fields = (
            "number",
            "case",
            "borrower",
            "status",
            "next_deadline_on",
            "court",
            "legal_officer",
            "claim_total",
            "referred_at",
        )
        attrs = {"class": "dense", "data-testid": "file-queue"}
        row_attrs = {"id": lambda record: f"file-{record.pk}"}
        empty_text = _("No open litigation file.")

    def render_number(self, record):
        return record.number

    def render_case(self, record):
        return record.case.number

    def render_status(self, record):
        return record.get_status_display()

    def render_legal_officer(self, value):
        return value.get_full_name() or value.username

    def render_claim_total(self, value, record):
        return money(value, record.currency)


class CaseTable(tables.Table):
    """The columns every legal list of cases starts with: the case (linked), its borrower, days past due."""

    number = tables.Column(
        verbose_name=_("Case"),
        accessor="pk",
        order_by=_sortable(),
        linkify=lambda record: reverse("collection:case_detail", args=[record.pk]),
        attrs={"td": {"class": "nowrap"}},
    )
    borrower = tables.Column(
        verbose_name=_("Borrower"), accessor="borrower__name", order_by=_sortable("borrower__name")
    )
    days_past_due = tables.Column(verbose_name=_("DPD"), order_by=_sortable("days_past_due"), attrs=NUM)
    limitation_expires_on = tables.DateColumn(
        verbose_name=_("Limitation expires"),
        format="SHORT_DATE_FORMAT",
        order_by=_sortable("limitation_expires_on"),
        default=DASH,
    )

    def render_number(self, record):
        return record.number


class LegalStageCaseTable(CaseTable):
    status = tables.Column(verbose_name=_("Status"), order_by=_sortable("status"))
    overdue_total = tables.Column(verbose_name=_("Overdue"), order_by=_sortable("overdue_total"), attrs=NUM)

    class Meta:
        model = Case
        fields = ("number", "borrower", "status", "days_past_due", "overdue_total", "limitation_expires_on")
        sequence = ("number", "borrower", "status", "days_past_due", "overdue_total", "limitation_expires_on")
        attrs = {"class": "dense", "data-testid": "legal-cases"}
        row_attrs = {"id": lambda record: f"case-{record.pk}"}
        empty_text = _("No case is in the legal stage.")

    def render_status(self, record):
        return record.get_status_display()

    def render_overdue_total(self, value, record):
        return money(value, record.currency)


class LimitationCaseTable(CaseTable):
    """The legal officer's list of cases near the end of their limitation period (legal/views/limitation.py)."""

    stage = tables.Column(verbose_name=_("Stage"), order_by=_sortable("stage"))
    days_left = tables.Column(
        verbose_name=_("Days left"),
        accessor="limitation_expires_on",
        order_by=_sortable("limitation_expires_on"),
        attrs=NUM,
    )
    limitation_restarted_by = tables.Column(
        verbose_name=_("Last restarted by"), order_by=_sortable("limitation_restarted_by", "limitation_restarted_on")
    )

    class Meta:
        model = Case
        fields = ("number", "borrower", "stage", "days_past_due", "limitation_expires_on")
        sequence = (
            "number",
            "borrower",
            "stage",
            "days_past_due",
            "limitation_expires_on",
            "days_left",
            "limitation_restarted_by",
        )
        attrs = {"class": "dense", "data-testid": "limitation-cases"}
        empty_text = _("No open case's limitation period expires within 90 days.")

    def __init__(self, *args, today, warning_days, **kwargs):
        self.today, self.warning_days = today, warning_days
        kwargs.setdefault(
            "row_attrs",
            {
                "id": lambda record: f"case-{record.pk}",
                "data-state": lambda record: limitation_state(record.limitation_expires_on, self.today, warning_days),
            },
        )
        super().__init__(*args, **kwargs)

    def render_stage(self, record):
        return record.get_stage_display()

    def render_days_left(self, value):
        days = (value - self.today).days
        if limitation_state(value, self.today, self.warning_days) == EXPIRED:
            return _("expired %(days)s days ago") % {"days": -days}
        return days

    def render_limitation_restarted_by(self, record):
        code = record.limitation_restarted_by
        label = LimitationStart(code).label if code else ""
        if record.limitation_restarted_on:
            return f"{label} · {formats.date_format(record.limitation_restarted_on, 'SHORT_DATE_FORMAT')}"
        return label
