"""
Changes to the reminder schedules, by a manager: each a keyword-only service
in a transaction that writes its audit event.

The default schedule (product None) is what every product without a rule of
its own follows. Copying it to a product gives that product its own
schedule, which it then follows alone (deactivating all of its reminders
sends none); dropping a product's own schedule puts it back on the default.
"""

from django.db import transaction
from django.utils.translation import gettext_lazy as _

from accounts.services import audit_record
from collection.errors import CollectionError
from collection.models import MESSAGE_CHANNELS, MessageKind, ReminderRule

REMINDER_EXISTS = _("This schedule already has a reminder %(when)s by %(channel)s.")
CHANNEL_NOT_FOR_MESSAGES = _("Reminders go by SMS, e-mail or in-app message.")
KIND_BEFORE_DUE = _("A reminder before the due date is a “Reminder before the due date”.")
KIND_ON_DUE = _("A reminder on the due date is a “Reminder on the due date”.")
KIND_AFTER_DUE = _("A reminder after the due date is an overdue reminder or a request to pay.")
OFFSET_OUT_OF_RANGE = _("A reminder is at most 60 days before or after the due date.")
SCHEDULE_ALREADY_OWN = _("%(product)s already has a schedule of its own.")
SCHEDULE_NOT_OWN = _("%(product)s follows the default schedule.")

MOST_DAYS = 60
# Which messages fit where: before the due date, on it, after it.
KINDS_BEFORE = {MessageKind.PRE_DUE_REMINDER}
KINDS_ON = {MessageKind.DUE_TODAY_REMINDER}
KINDS_AFTER = {MessageKind.OVERDUE_REMINDER, MessageKind.PAYMENT_DEMAND}
REMINDER_KINDS = (MessageKind.PRE_DUE_REMINDER, MessageKind.DUE_TODAY_REMINDER, *sorted(KINDS_AFTER))


def offset_text(offset_days: int) -> str:
    """How a reminder's moment reads: "3 days before the due date", "on the due date", "1 day after"."""
    from django.utils.translation import ngettext

    if offset_days == 0:
        return str(_("on the due date"))
    days = abs(offset_days)
    if offset_days < 0:
        return ngettext("%(days)d day before the due date", "%(days)d days before the due date", days) % {"days": days}
    return ngettext("%(days)d day after the due date", "%(days)d days after the due date", days) % {"days": days}


def _rule_errors(*, offset_days: int, channel: str, kind: str) -> dict[str, str]:
    errors = {}
    if channel not in MESSAGE_CHANNELS:
        errors["channel"] = str(CHANNEL_NOT_FOR_MESSAGES)
    if abs(offset_days) > MOST_DAYS:
        errors["offset_days"] = str(OFFSET_OUT_OF_RANGE)
    elif offset_days < 0 and kind not in KINDS_BEFORE:
        errors["kind"] = str(KIND_BEFORE_DUE)
    elif offset_days == 0 and kind not in KINDS_ON:
        errors["kind"] = str(KIND_ON_DUE)
    elif offset_days > 0 and kind not in KINDS_AFTER:
        errors["kind"] = str(KIND_AFTER_DUE)
    return errors


def _audit_data(rule: ReminderRule) -> dict:
    return {
        "product": rule.product.code if rule.product_id else "",
        "offset_days": rule.offset_days,
        "channel": rule.channel,
        "kind": rule.kind,
    }


@transaction.atomic
def reminder_rule_add(*, product=None, offset_days: int, channel: str, kind: str, actor) -> ReminderRule:
    """Add a reminder to the default schedule (product None) or to a product's own."""
    errors = _rule_errors(offset_days=offset_days, channel=channel, kind=kind)
    if errors:
        field, message = next(iter(errors.items()))
        raise CollectionError(message, field=field)
    if ReminderRule.objects.filter(product=product, offset_days=offset_days, channel=channel).exists():
        channel_label = dict(ReminderRule._meta.get_field("channel").choices)[channel]
        raise CollectionError(
            REMINDER_EXISTS % {"when": offset_text(offset_days), "channel": channel_label}, field="offset_days"
        )
    rule = ReminderRule.objects.create(product=product, offset_days=offset_days, channel=channel, kind=kind)
    audit_record(action="collection.reminder.added", target=rule, actor=actor, data=_audit_data(rule))
    return rule


@transaction.atomic
def reminder_rule_activate(*, rule: ReminderRule, is_active: bool, actor) -> bool:
    """Turn a reminder on or off; False (and no audit) when it already was."""
    changed = ReminderRule.objects.filter(pk=rule.pk).exclude(is_active=is_active).update(is_active=is_active)
    if not changed:
        return False
    rule.is_active = is_active
    action = "collection.reminder.activated" if is_active else "collection.reminder.deactivated"
    audit_record(action=action, target=rule, actor=actor, data=_audit_data(rule))
    return True


@transaction.atomic
def reminder_rule_remove(*, rule: ReminderRule, actor) -> None:
    """Remove a reminder from its schedule (the messages it queued keep their history)."""
    data = _audit_data(rule)
    audit_record(action="collection.reminder.removed", target=rule, actor=actor, data=data)
    rule.delete()


@transaction.atomic
def reminder_schedule_copy(*, product, actor) -> list[ReminderRule]:
    """Give `product` a schedule of its own: a copy of the default one, active where the default's is."""
    if ReminderRule.objects.filter(product=product).exists():
        raise CollectionError(SCHEDULE_ALREADY_OWN % {"product": product.name})
    rules = [
        ReminderRule(
            product=product,
            offset_days=rule.offset_days,
            channel=rule.channel,
            kind=rule.kind,
            is_active=rule.is_active,
        )
        for rule in ReminderRule.objects.filter(product__isnull=True)
    ]
    ReminderRule.objects.bulk_create(rules)
    audit_record(
        action="collection.reminder_schedule.copied", target=product, actor=actor, data={"reminders": len(rules)}
    )
    return rules


@transaction.atomic
def reminder_schedule_drop(*, product, actor) -> int:
    """Put `product` back on the default schedule: its own reminders are removed."""
    own = ReminderRule.objects.filter(product=product)
    count = own.count()
    if not count:
        raise CollectionError(SCHEDULE_NOT_OWN % {"product": product.name})
    own.delete()
    audit_record(action="collection.reminder_schedule.dropped", target=product, actor=actor, data={"reminders": count})
    return count
