"""`manage.py bureau_file --month 2026-05 --format metro2|cn --output PATH`: a month's credit-bureau file."""

from django.core.management.base import BaseCommand, CommandError

from portfolio.bureau.files import cn_write, metro2_write


class Command(BaseCommand):
    help = "Write (and validate) the credit-bureau file of one month from the month-end snapshots."

    def add_arguments(self, parser):
        parser.add_argument("--month", required=True, help="YYYY-MM")
        parser.add_argument("--format", choices=("metro2", "cn"), default="metro2")
        parser.add_argument("--output", required=True)
        parser.add_argument("--reporter", default="Arrears", help="the reporter's name in the Metro 2 header")

    def handle(self, *args, month, format, output, reporter, **options):
        if len(month) != 7 or month[4] != "-" or not (month[:4] + month[5:]).isdigit() or not 1 <= int(month[5:]) <= 12:
            raise CommandError(f"--month must be YYYY-MM, not {month!r}")
        if format == "cn":
            count = cn_write(output, month=month)
            self.stdout.write(f"{count} account records written to {output}")
            return
        count, problems = metro2_write(output, month=month, reporter=reporter)
        for problem in problems[:50]:
            self.stderr.write(str(problem))
        if problems:
            raise CommandError(f"{output}: {len(problems)} problems against the Metro 2 layout")
        self.stdout.write(f"{count} base segments written to {output}; the file validates")
