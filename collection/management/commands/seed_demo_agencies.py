from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from collection.errors import CollectionError
from collection.models import Agency


class Command(BaseCommand):
    help = (
        "Give the demo its outside agencies: two agencies with their contracts and users, late cases placed "
        "with each a few weeks back, the agencies' calls and promises, payments and their commission, a "
        "recalled case and last month's approved commission statement. Run after seed_demo_automation."
    )

    def add_arguments(self, parser):
        parser.add_argument("--seed", type=int, default=1)
        parser.add_argument("--if-empty", action="store_true", help="Do nothing if there are agencies already.")

    def handle(self, *args, seed, if_empty, **options):
        from collection.demo.agencies import agencies_demo

        if if_empty and Agency.objects.exists():
            self.stdout.write("There are agencies already; nothing loaded.")
            return
        try:
            counts = agencies_demo(seed=seed, today=timezone.localdate())
        except (ValueError, CollectionError) as error:
            raise CommandError(str(error)) from error
        figures = ", ".join(f"{count:,} {what}" for what, count in counts.items())
        self.stdout.write(f"agencies: {figures}.")
