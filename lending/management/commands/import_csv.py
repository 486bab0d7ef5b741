"""
Import a CSV file from the core system, here and now (no worker needed):

    manage.py import_csv payments /data/payments-2026-03-01.csv [--encoding gb18030] [--quarantine]

The encoding is the sender's to declare (default UTF-8, with or without a
byte-order mark); a file that does not decode in it is rejected.

The file is stored and recorded as an import batch like a browser upload,
and run by the same service. Exit status 1 when it was rejected or failed.
"""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from lending.intake.forms import CORE_SYSTEM_KINDS
from lending.intake.selectors import import_row_errors
from lending.intake.services import IntakeError, import_file
from lending.models import ImportBatch

SHOWN_ERRORS = 20


class Command(BaseCommand):
    help = "Import a CSV file of borrowers, contact points, accounts, installments or payments."

    def add_arguments(self, parser):
        parser.add_argument("kind", choices=[value for value, _label in CORE_SYSTEM_KINDS])
        parser.add_argument("path")
        parser.add_argument(
            "--encoding",
            choices=ImportBatch.Encoding.values,
            default=ImportBatch.Encoding.UTF8.value,
            help="The encoding the file was saved in: utf-8 (default; with or without BOM) or gb18030 (GBK, GB2312).",
        )
        parser.add_argument(
            "--quarantine",
            action="store_true",
            help="Apply the good rows and quarantine the bad ones (default: any bad row applies nothing).",
        )

    def handle(self, *args, kind, path, quarantine, encoding, **options):
        path = Path(path)
        if not path.is_file():
            raise CommandError(f"No such file: {path}")
        try:
            batch = import_file(kind=kind, path=path, encoding=encoding, quarantine_bad_rows=quarantine)
        except IntakeError as error:
            raise CommandError(str(error)) from None
        self.stdout.write(
            f"Batch {batch.pk}: {batch.get_status_display()} — {batch.total_rows} rows: "
            f"{batch.created_count} created, {batch.updated_count} updated, "
            f"{batch.unchanged_count} unchanged, {batch.error_count} bad."
        )
        if batch.message:
            self.stdout.write(batch.message)
        for error in import_row_errors(batch)[:SHOWN_ERRORS]:
            self.stdout.write(f"  row {error.row_number} {error.column or '-'} {error.value!r}: {error.reason}")
        if batch.error_count > SHOWN_ERRORS:
            self.stdout.write(f"  … see the error report of batch {batch.pk} for all bad rows.")
        if batch.status in (ImportBatch.Status.REJECTED, ImportBatch.Status.FAILED):
            raise CommandError(f"Import batch {batch.pk} was {batch.get_status_display().lower()}.")
