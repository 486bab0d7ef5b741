"""The default reminder schedule every product without its own follows."""

# (days from the due date, channel, message kind): three days and one day before,
# on the due date (by SMS and by e-mail, which carries the amount and how to pay
# in full), then one, three and seven days after.
DEFAULT_SCHEDULE = (
    (-3, "sms", "pre_due_reminder"),
    (-1, "sms", "pre_due_reminder"),
    (0, "sms", "due_today_reminder"),
    (0, "email", "due_today_reminder"),
    (1, "sms", "overdue_reminder"),
    (3, "sms", "overdue_reminder"),
    (7, "sms", "overdue_reminder"),
)


def install_default_schedule(apps) -> None:
    """Install the default schedule with the historical models of `apps` (migration 0009); twice: no change."""
    ReminderRule = apps.get_model("collection", "ReminderRule")
    for offset_days, channel, kind in DEFAULT_SCHEDULE:
        ReminderRule.objects.get_or_create(
            product=None, offset_days=offset_days, channel=channel, defaults={"kind": kind, "is_active": True}
        )
