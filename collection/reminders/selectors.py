"""Reads of the reminder pages: the schedules, and what each reminder did lately."""

import datetime

from django.db.models import Count
from django.utils import timezone

from collection.models import MessageOrigin, MessageStatus, OutboundMessage, ReminderRule
from lending.models import CreditProduct

# How far back the schedule page counts each reminder's messages.
RECENT_DAYS = 7


def recent_counts(*, rule_ids, now=None) -> dict[int, dict[str, int]]:
    """{rule id: {status: messages}} over the last RECENT_DAYS, in one grouped query."""
    since = (now or timezone.now()) - datetime.timedelta(days=RECENT_DAYS)
    rows = (
        OutboundMessage.objects.filter(
            origin=MessageOrigin.REMINDER, reminder_rule_id__in=list(rule_ids), created_at__gte=since
        )
        .values_list("reminder_rule_id", "status")
        .annotate(count=Count("pk"))
        .order_by()
    )
    counts: dict[int, dict[str, int]] = {}
    for rule_id, status, count in rows:
        counts.setdefault(rule_id, {})[status] = count
    return counts


def schedule_rules(product=None) -> list[ReminderRule]:
    """The reminders of one schedule (the default for None), in the order they fall, each with `recent` counts."""
    rules = list(ReminderRule.objects.filter(product=product).order_by("offset_days", "channel", "pk"))
    counts = recent_counts(rule_ids=[rule.pk for rule in rules])
    for rule in rules:
        mine = counts.get(rule.pk, {})
        rule.recent = [(status.value, status.label, mine.get(status.value, 0)) for status in MessageStatus]
    return rules


def schedule_overview() -> dict:
    """The default schedule and every active product: whether it has its own schedule, and its reminders."""
    rules = list(ReminderRule.objects.select_related("product").order_by("offset_days", "channel", "pk"))
    by_product: dict[int | None, list[ReminderRule]] = {}
    for rule in rules:
        by_product.setdefault(rule.product_id, []).append(rule)
    products = [
        {"product": product, "own": product.pk in by_product, "rules": by_product.get(product.pk, [])}
        for product in CreditProduct.objects.filter(is_active=True).order_by("code")
    ]
    return {"default_rules": by_product.get(None, []), "products": products}
