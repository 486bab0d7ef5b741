from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from collection.demo import collection_demo_seed
from collection.errors import CollectionError
from collection.lifecycle import collection_nightly_run
from collection.models import ContactAttempt


class Command(BaseCommand):
    help = (
        "Open the demo portfolio's cases (the collection lifecycle for today) and give them a few months of "
        "believable history: reminders, calls, promises kept and broken, arrangements, holds, field visits. "
        "Run after seed_demo and seed_demo_staff."
    )

    def add_arguments(self, parser):
        parser.add_argument("--seed", type=int, default=1)
        parser.add_argument("--if-empty", action="store_true", help="Do nothing if the cases already have a history.")

    def handle(self, *args, seed, if_empty, **options):
        if if_empty and ContactAttempt.objects.exists():
            self.stdout.write("The cases already have a history; nothing loaded.")
            return
        try:
            result = collection_demo_seed(seed=seed, today=timezone.localdate(), lifecycle=collection_nightly_run)
        except (ValueError, CollectionError) as error:
            raise CommandError(str(error)) from error
        rows = ", ".join(f"{count:,} {name}" for name, count in result.rows.items())
        self.stdout.write(f"{result.cases:,} open cases with their history: {rows}.")
