import django_tables2 as tables
from django.utils.translation import gettext_lazy as _

from lending.models import ImportBatch


class ImportBatchTable(tables.Table):
    created_at = tables.DateTimeColumn(
        verbose_name=_("Started"),
        format="SHORT_DATETIME_FORMAT",
        short=False,
        linkify=("lending:import_detail", [tables.A("pk")]),
    )
    kind = tables.Column(verbose_name=_("Kind"))
    source = tables.Column(verbose_name=_("Source"))
    original_name = tables.Column(verbose_name=_("File"), default="")
    status = tables.Column(verbose_name=_("Status"))
    total_rows = tables.Column(verbose_name=_("Rows"), attrs={"td": {"class": "num"}})
    created_count = tables.Column(verbose_name=_("Created"), attrs={"td": {"class": "num"}})
    updated_count = tables.Column(verbose_name=_("Updated"), attrs={"td": {"class": "num"}})
    unchanged_count = tables.Column(verbose_name=_("Unchanged"), attrs={"td": {"class": "num"}})
    error_count = tables.Column(verbose_name=_("Bad rows"), attrs={"td": {"class": "num"}})
    created_by = tables.Column(verbose_name=_("By"), default=_("core system"), order_by=("created_by__username",))

    class Meta:
        model = ImportBatch
        fields = (
            "created_at",
            "kind",
            "source",
            "original_name",
            "status",
            "total_rows",
            "created_count",
            "updated_count",
            "unchanged_count",
            "error_count",
            "created_by",
        )
        attrs = {"class": "dense"}
        order_by = ("-created_at",)
