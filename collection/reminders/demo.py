"""
The demo's reminders (make demo → seed_demo_automation): the history of the
last DAYS days produced by the real senders, not written by hand.

For each past day, the nightly step's `reminders_queue(on=day)` at 01:30,
then the dispatcher at a few moments through that day (`now` passed
explicitly), so each message goes out with the file backends (var/messages/)
at its moment in the borrower's zone, the guard judging it at that moment:
consent, holds, caps and contact hours as they stood. The cases carry the
messages on their timeline with their delivery state, and the refusal log
the ones the guard stopped. Today's reminders are queued too and wait for
the running dispatcher (`make run`'s worker and beat).
"""

import datetime
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db.models import Count

from collection.models import MessageOrigin, OutboundMessage

# How many past days of reminders the demo sends: a week of the schedule, and quick to seed.
DAYS = 8
# When the dispatcher runs on a past day (lender's time): the 10:00 reminders of Shanghai, then later
# moments for the borrowers further west, and those moved to the next morning by the contact hours.
DISPATCH_HOURS = (8, 10, 13, 17, 21, 23)


def reminders_demo(*, seed: int, today) -> dict:
    """Give the demo portfolio its reminders of the last DAYS days; returns counts for the command's report."""
    from collection.reminders.dispatch import messages_dispatch_due
    from collection.reminders.queueing import reminders_queue

    lender = ZoneInfo(settings.TIME_ZONE)
    queued = 0
    for back in range(DAYS, 0, -1):
        day = today - datetime.timedelta(days=back)
        queued += reminders_queue(on=day, now=datetime.datetime.combine(day, datetime.time(1, 30), tzinfo=lender))[
            "queued"
        ]
        for hour in DISPATCH_HOURS:
            messages_dispatch_due(now=datetime.datetime.combine(day, datetime.time(hour, 5), tzinfo=lender))
    queued += reminders_queue(on=today)["queued"]
    states = dict(
        OutboundMessage.objects.filter(origin=MessageOrigin.REMINDER)
        .values_list("status")
        .annotate(count=Count("pk"))
        .order_by()
    )
    return {"reminders": queued, **{f"reminders {status}": count for status, count in sorted(states.items())}}
