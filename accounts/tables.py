import django_tables2 as tables
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from accounts.audit_text import audit_facts, audit_text
from accounts.models import AuditEvent


class AuditEventTable(tables.Table):
    occurred_at = tables.DateTimeColumn(verbose_name=_("When"), format="SHORT_DATETIME_FORMAT", short=False)
    actor = tables.Column(verbose_name=_("Who"), default=_("system"), order_by=("actor__username",))
    action = tables.Column(verbose_name=_("What"))
    target_type = tables.Column(verbose_name=_("Object type"), default="")
    target_repr = tables.Column(verbose_name=_("Object"), default="")
    ip_address = tables.Column(verbose_name=_("IP address"), default="")
    data = tables.Column(verbose_name=_("Details"), orderable=False, default="")

    class Meta:
        model = AuditEvent
        fields = ("occurred_at", "actor", "action", "target_type", "target_repr", "ip_address", "data")
        attrs = {"class": "dense"}
        order_by = ("-occurred_at",)

    def render_target_type(self, value):
        return value.name if value else ""

    def render_action(self, record):
        # The sentence for the reader; the code stays findable (it is what the filter takes).
        return format_html('{} <code class="muted small-print">{}</code>', audit_text(record), record.action)

    def render_data(self, record):
        """The raw facts one click away, not a dump across the row."""
        if not record.data:
            return ""
        return format_html(
            '<details class="audit-facts"><summary>{}</summary><pre>{}</pre></details>',
            _("Details"),
            audit_facts(record),
        )
