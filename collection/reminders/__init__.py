"""
Reminders before and after the due date: each product's schedule, queued
set-based, sent in allowed hours; the dispatcher every queued message goes
out through; bulk messages to a filtered queue's cases (docs/reminders.md).

    queueing.reminders_queue(on=)        a day's reminders, set-based (nightly step "reminders")
    dispatch.messages_dispatch_due(now=)  claims due queued messages in batches and sends them
    bulk.bulk_message_start(cases=, ...)  one message kind to a filtered queue's cases
    services.reminder_rule_add(...)       a manager's changes to the schedules, audited
"""


def register() -> None:
    """What this part adds at start-up: navigation, the queue link, the nightly step, the relevance check, tasks."""
    from django.utils.translation import gettext_lazy as _

    from accounts.navigation import NavItem, nav_register
    from accounts.permissions import Capability
    from collection.messaging.services import relevance_register
    from collection.models import MessageOrigin
    from collection.nightly.steps import NightlyStepSpec, nightly_step_register
    from collection.queue_links import QueueLink, queue_link_register
    from collection.reminders import tasks  # noqa: F401  (the worker finds the tasks through this import)
    from collection.reminders.queueing import reminder_relevance, reminders_queue

    nav_register(
        NavItem(
            "reminders",
            _("Reminders"),
            "collection:reminder_schedules",
            Capability.CONFIGURE_AUTOMATION,
            order=70,
            group="automation",
            description=_(
                "Reminders before and after the due date, for each product: when, on which channel, which message."
            ),
        )
    )
    queue_link_register(
        QueueLink(
            "bulk_message", _("Message these cases"), "collection:bulk_message_new", Capability.REASSIGN_CASES, order=20
        )
    )
    nightly_step_register(
        NightlyStepSpec(name="reminders", label=_("Reminders due"), order=40, run=lambda on: reminders_queue(on=on))
    )
    # A reminder of an installment paid (or an account closed) since it was queued is not sent.
    relevance_register(MessageOrigin.REMINDER, reminder_relevance)
