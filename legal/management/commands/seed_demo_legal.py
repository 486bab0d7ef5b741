from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from legal.demo import DEMO_FILES_EXIST, legal_demo_seed
from legal.models import LitigationFile


class Command(BaseCommand):
    help = (
        "Install the default letter templates, a legal policy for each demo portfolio, final notices and "
        "litigation files in every state (referred to closed) with their exhibits, hearings, judgments and "
        "recoveries, on long-overdue demo cases. Run after seed_demo_collection."
    )

    def add_arguments(self, parser):
        parser.add_argument("--seed", type=int, default=1)
        parser.add_argument("--if-empty", action="store_true", help="Do nothing if litigation files exist.")

    def handle(self, *args, seed, if_empty, **options):
        if LitigationFile.objects.exists():
            if if_empty:
                self.stdout.write("Litigation files exist already; nothing loaded.")
                return
            raise CommandError(DEMO_FILES_EXIST)
        try:
            result = legal_demo_seed(seed=seed, today=timezone.localdate())
        except ValueError as error:
            raise CommandError(str(error)) from error
        states = ", ".join(f"{count} {status}" for status, count in sorted(result.files.items()))
        self.stdout.write(
            f"{result.templates} letter templates, {result.policies} legal policies, {result.notices} final "
            f"notices, {sum(result.files.values())} litigation files ({states}), {result.exhibits} exhibits."
        )
