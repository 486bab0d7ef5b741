"""The legal officer's list of cases near the end of their limitation period (legal/views/limitation.py)."""

import django_tables2 as tables
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from collection.models import Case, LimitationStart
from legal.limitation.section import EXPIRED, limitation_state

NUM = {"td": {"class": "num"}, "th": {"class": "num"}}


def _sortable(*fields):
    # Sorting always ends on the id, so that pages never overlap.
    return (*fields, "id")


class LimitationCaseTable(tables.Table):
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
    stage = tables.Column(verbose_name=_("Stage"), order_by=_sortable("stage"))
    days_past_due = tables.Column(verbose_name=_("DPD"), order_by=_sortable("days_past_due"), attrs=NUM)
    limitation_expires_on = tables.DateColumn(
        verbose_name=_("Limitation expires"),
        format="SHORT_DATE_FORMAT",
        order_by=_sortable("limitation_expires_on"),
    )
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
        sequence = ("number", "borrower", "stage", "days_past_due", "limitation_expires_on", "days_left")
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

    def render_number(self, record):
        return record.number

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
            return f"{label} · {record.limitation_restarted_on:%Y-%m-%d}"
        return label
