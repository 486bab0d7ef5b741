import django_tables2 as tables
from django.utils.html import format_html_join
from django.utils.translation import gettext_lazy as _

from lending.masking import national_id_for
from lending.models import Borrower


class BorrowerTable(tables.Table):
    # The list is boosted by htmx to swap itself; a link to another page must load that page whole.
    name = tables.Column(
        verbose_name=_("Name"),
        linkify=("lending:borrower_detail", [tables.A("pk")]),
        attrs={"a": {"hx-boost": "false"}},
    )
    external_id = tables.Column(verbose_name=_("External id"))
    national_id = tables.Column(verbose_name=_("National id"), orderable=False)
    province = tables.Column(verbose_name=_("Province"))
    city = tables.Column(verbose_name=_("City"))
    risk_grade = tables.Column(verbose_name=_("Risk grade"))
    flags = tables.Column(verbose_name=_("Flags"), empty_values=(), orderable=False)

    class Meta:
        model = Borrower
        fields = ("name", "external_id", "national_id", "province", "city", "risk_grade", "flags")
        attrs = {"class": "dense"}
        order_by = ("-id",)

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user

    def render_national_id(self, value):
        return national_id_for(self.user, value)

    def render_flags(self, record):
        return render_flag_chips(record)


def borrower_flags(borrower) -> list[str]:
    """The flags that change how (or whether) a borrower may be contacted."""
    labels = [
        (borrower.is_deceased, _("Deceased")),
        (borrower.is_bankrupt, _("Bankrupt")),
        (borrower.is_vulnerable, _("Vulnerable")),
        (borrower.do_not_contact, _("Do not contact")),
        (borrower.cease_contact_requested, _("Cease contact requested")),
    ]
    return [str(label) for flagged, label in labels if flagged]


def render_flag_chips(borrower):
    flags = borrower_flags(borrower)
    if not flags:
        return "—"
    return format_html_join(" ", '<span class="flag">{}</span>', ((flag,) for flag in flags))
