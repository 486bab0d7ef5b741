from django.core.management.base import BaseCommand
from django.utils import timezone

from collection.models import OutboundMessage


class Command(BaseCommand):
    help = (
        "Give the demo its automation: reminder history sent through the real senders and the file backends, "
        "the demo segments and strategies, a running champion/challenger experiment, and tonight's nightly "
        "run. Run after seed_demo_collection."
    )

    def add_arguments(self, parser):
        parser.add_argument("--seed", type=int, default=1)
        parser.add_argument("--if-empty", action="store_true", help="Do nothing if messages were already sent.")

    def handle(self, *args, seed, if_empty, **options):
        from collection.nightly.demo import nightly_demo
        from collection.reminders.demo import reminders_demo
        from collection.strategies.demo import strategies_demo
        from collection.strategies.demo_experiments import experiments_demo

        if if_empty and OutboundMessage.objects.exists():
            self.stdout.write("Messages were already sent; nothing loaded.")
            return
        today = timezone.localdate()
        for name, load in (
            ("reminders", lambda: reminders_demo(seed=seed, today=today)),
            ("strategies", lambda: strategies_demo(seed=seed, today=today)),
            ("experiments", lambda: experiments_demo(seed=seed, today=today)),
            ("nightly run", lambda: nightly_demo(today=today)),
        ):
            counts = load()
            figures = ", ".join(f"{count:,} {what}" for what, count in counts.items()) or "nothing"
            self.stdout.write(f"{name}: {figures}.")
