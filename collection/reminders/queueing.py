"""
Queuing a day's reminders: set-based, one selection a rule, bulk inserts.

For each active rule of a schedule, the accounts with an installment due
`on - offset` days that is still unpaid (before the due date: not paid off;
after it: still overdue), the account active, and the borrower reachable on
the rule's channel at all (a primary mobile that is verified for SMS, a
primary e-mail address for e-mail, not flagged do-not-contact, the borrower
neither deceased nor marked do-not-contact). Consent, holds, caps and
contact hours are the guard's, asked at send time: what is obviously
impossible is skipped here, what may change by then is judged then.

One message per account, rule and due date: the idempotency key
`reminder:<account>:<rule>:<due date>` is unique, so a re-run the same day
(or a second worker) inserts nothing new. Each row is `queued` with no text
(rendered at send time) and `scheduled_for` the reminder's moment (10:00 in
the borrower's zone on the day, or now if later) moved into the borrower's
contact hours by `next_contact_moment`: a reminder queued at 23:00 local
time goes at 08:00 the next morning.

Queries: the rules (one), the products with a schedule of their own and
the portfolios (three), then one selection and one insert per batch of
rows a rule, however many accounts: the zone and the moment are computed
per (zone, portfolio) pair, not per row.
"""

import datetime
import logging
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db.models import Exists, OuterRef, Subquery
from django.utils import timezone

from collection.compliance import profile_for
from collection.models import CaseAccount, Channel, MessageOrigin, OutboundMessage, Portfolio, ReminderRule
from lending.models import ContactPoint, CreditAccount, Installment
from lending.phones import address_zones, known_zone

logger = logging.getLogger("collection.reminders")

# When in the borrower's day a reminder is meant to arrive.
REMINDER_LOCAL_TIME = datetime.time(10, 0)
# Rows built and inserted at once: bounds the memory of a 100,000-message run.
INSERT_BATCH = 5000


def reminder_key(*, account_id: int, rule_id: int, due_on: datetime.date) -> str:
    return f"reminder:{account_id}:{rule_id}:{due_on.isoformat()}"


def rules_in_force() -> list[tuple[ReminderRule, list[int] | None, list[int]]]:
    """
    [(rule, products it covers or None for "every product", products it
    excludes)] for each active rule: a product's own rules cover that product,
    the default schedule every product with no rule of its own (a product whose
    rules are all deactivated has chosen to send none).
    """
    rules = list(ReminderRule.objects.filter(is_active=True).order_by("offset_days", "channel", "pk"))
    with_own = sorted(set(ReminderRule.objects.filter(product__isnull=False).values_list("product_id", flat=True)))
    return [(rule, [rule.product_id], []) if rule.product_id else (rule, None, with_own) for rule in rules]


def _reachable_point(channel: str):
    """The borrower's own contact point a reminder on `channel` goes to (the lowest id of several), as a subquery."""
    points = ContactPoint.objects.filter(
        borrower_id=OuterRef("borrower_id"),
        owner=ContactPoint.Owner.BORROWER,
        is_primary=True,
        do_not_contact=False,
    )
    if channel == Channel.SMS:
        points = points.filter(kind=ContactPoint.Kind.MOBILE, is_verified=True)
    elif channel == Channel.EMAIL:
        points = points.filter(kind=ContactPoint.Kind.EMAIL)
    else:  # in-app: the app knows the borrower; the mobile is the record the message is filed against
        points = points.filter(kind=ContactPoint.Kind.MOBILE)
    return Subquery(points.order_by("pk").values("pk")[:1])


def reminder_selection(*, rule: ReminderRule, products: list[int] | None, excluded: list[int], due_on):
    """
    The rows to queue for `rule` and the installments due `due_on`:
    (account, borrower, contact point, open case, language, zone, province, product),
    one per account, as a values_list queryset (one query).
    """
    unpaid = Installment.objects.filter(account_id=OuterRef("pk"), due_on=due_on, paid_off_on__isnull=True)
    accounts = CreditAccount.objects.filter(
        Exists(unpaid),
        status=CreditAccount.Status.ACTIVE,
        borrower__is_deceased=False,
        borrower__do_not_contact=False,
    )
    if products is not None:
        accounts = accounts.filter(product_id__in=products)
    if excluded:
        accounts = accounts.exclude(product_id__in=excluded)
    open_case = CaseAccount.objects.filter(account_id=OuterRef("pk"), left_on__isnull=True).values("case_id")[:1]
    return (
        accounts.annotate(point_id=_reachable_point(rule.channel), open_case_id=Subquery(open_case))
        .filter(point_id__isnull=False)
        .order_by("pk")
        .values_list(
            "pk",
            "borrower_id",
            "point_id",
            "open_case_id",
            "borrower__language",
            "borrower__time_zone",
            "borrower__province",
            "product_id",
        )
    )


class _Moments:
    """The send moment of a day's reminders, per (zone, portfolio): computed once a pair, not once a row."""

    def __init__(self, *, on: datetime.date, now: datetime.datetime):
        self.on, self.now = on, now
        portfolios = {portfolio.pk: portfolio for portfolio in Portfolio.objects.all()}
        self.default = next((portfolio for portfolio in portfolios.values() if portfolio.is_default), None)
        self.portfolio_of_product = {
            product_id: portfolios[portfolio_id]
            for portfolio_id, product_id in Portfolio.products.through.objects.values_list(
                "portfolio_id", "creditproduct_id"
            )
        }
        self._zones: dict[tuple[str, str], str] = {}
        self._moments: dict[tuple[str, int | None], datetime.datetime] = {}

    def zone(self, time_zone: str, province: str) -> str:
        """The borrower's primary zone as the guard reads it (their own, else the address's), else the lender's."""
        key = (time_zone, province)
        if key not in self._zones:
            zone = time_zone if known_zone(time_zone) else ""
            if not zone:
                zone = next(iter(address_zones(province)), "") or settings.TIME_ZONE
            self._zones[key] = zone
        return self._zones[key]

    def moment(self, *, zone: str, product_id: int) -> datetime.datetime:
        portfolio = self.portfolio_of_product.get(product_id, self.default)
        key = (zone, getattr(portfolio, "pk", None))
        if key not in self._moments:
            from collection.messaging.hours import next_contact_moment

            intended = datetime.datetime.combine(self.on, REMINDER_LOCAL_TIME, tzinfo=ZoneInfo(zone))
            at = max(intended, self.now)
            self._moments[key] = (
                next_contact_moment(profile=profile_for(portfolio), time_zone=zone, at=at) if portfolio else at
            )
        return self._moments[key]


def reminders_queue(*, on: datetime.date, now: datetime.datetime | None = None) -> dict:
    """
    Queue every reminder due on `on` (a date in the lender's zone); returns
    {"rules": n, "selected": n, "queued": n} — `queued` counts new rows only,
    so a second run the same day says 0.
    """
    from collection.messaging.services import messages_queue_many

    now = now or timezone.now()
    moments = _Moments(on=on, now=now)
    counts = {"rules": 0, "selected": 0, "queued": 0}
    for rule, products, excluded in rules_in_force():
        counts["rules"] += 1
        due_on = on - datetime.timedelta(days=rule.offset_days)
        rows = reminder_selection(rule=rule, products=products, excluded=excluded, due_on=due_on)
        batch = []
        for account_id, borrower_id, point_id, case_id, language, time_zone, province, product_id in rows.iterator(
            chunk_size=INSERT_BATCH
        ):
            zone = moments.zone(time_zone, province)
            batch.append(
                OutboundMessage(
                    idempotency_key=reminder_key(account_id=account_id, rule_id=rule.pk, due_on=due_on),
                    origin=MessageOrigin.REMINDER,
                    kind=rule.kind,
                    channel=rule.channel,
                    language=language or settings.LANGUAGE_CODE,
                    borrower_id=borrower_id,
                    case_id=case_id,
                    account_id=account_id,
                    contact_point_id=point_id,
                    reminder_rule_id=rule.pk,
                    installment_due_on=due_on,
                    created_at=now,
                    scheduled_for=moments.moment(zone=zone, product_id=product_id),
                )
            )
            if len(batch) >= INSERT_BATCH:
                counts["selected"] += len(batch)
                counts["queued"] += messages_queue_many(batch)
                batch = []
        if batch:
            counts["selected"] += len(batch)
            counts["queued"] += messages_queue_many(batch)
    logger.info("reminders for %s: %s", on, counts)
    return counts


ALREADY_PAID = "already_paid"
ACCOUNT_NOT_ACTIVE = "account_not_active"


def reminder_relevance(message: OutboundMessage) -> str | None:
    """
    Still worth sending? "already_paid" when the installment it reminds of
    was paid since it was queued, "account_not_active" when the account was
    closed, charged off or sold since: the sender suppresses it with that
    code. None: send it. (Two small reads on indexed columns.)
    """
    if message.account_id is None or message.installment_due_on is None:
        return None
    status = CreditAccount.objects.filter(pk=message.account_id).values_list("status", flat=True).first()
    if status != CreditAccount.Status.ACTIVE:
        return ACCOUNT_NOT_ACTIVE
    unpaid = Installment.objects.filter(
        account_id=message.account_id, due_on=message.installment_due_on, paid_off_on__isnull=True
    )
    return None if unpaid.exists() else ALREADY_PAID
