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

Set-based: for each rule, one small query for the distinct (zone, province,
product) of its rows, whose send moments are computed in Python once each,
and ONE `INSERT ... SELECT ... ON CONFLICT (idempotency_key) DO NOTHING`
that writes every row (PostgreSQL and SQLite alike) — no row passes through
Python. With the rules, the products that have their own and the portfolios
read first, the queries are the same however many accounts there are.
"""

import datetime
import logging
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import connection
from django.db.models import Exists, F, OuterRef, Q, Subquery
from django.utils import timezone

from collection.compliance import profile_for
from collection.models import (
    CaseAccount,
    Channel,
    MessageOrigin,
    MessageStatus,
    OutboundMessage,
    Portfolio,
    ReminderRule,
)
from lending.models import ContactPoint, CreditAccount, Installment
from lending.phones import address_zones, known_zone

logger = logging.getLogger("collection.reminders")

# When in the borrower's day a reminder is meant to arrive.
REMINDER_LOCAL_TIME = datetime.time(10, 0)


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


def unpaid_on(day: datetime.date) -> Q:
    """Not paid off by the end of `day`: today, not paid off yet; for a past day (the demo's), paid off after it."""
    return Q(paid_off_on__isnull=True) | Q(paid_off_on__gt=day)


def reminder_selection(
    *, rule: ReminderRule, products: list[int] | None, excluded: list[int], due_on: datetime.date, on: datetime.date
):
    """
    The accounts to remind for `rule` and the installments due `due_on`, one
    row an account, annotated with the contact point (`point_id`) and the open
    case (`open_case_id`, None before the due date): a queryset, never run on
    its own but inside the insert.
    """
    unpaid = Installment.objects.filter(unpaid_on(on), account_id=OuterRef("pk"), due_on=due_on)
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
    open_case = (
        CaseAccount.objects.filter(account_id=OuterRef("pk"), left_on__isnull=True).order_by().values("case_id")[:1]
    )
    return (
        accounts.annotate(point_id=_reachable_point(rule.channel), open_case_id=Subquery(open_case))
        .filter(point_id__isnull=False)
        .order_by()
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


# The selection's columns, by the names the insert reads them under (s.r_...).
_SELECTED = {
    "r_account_id": "pk",
    "r_borrower_id": "borrower_id",
    "r_point_id": "point_id",
    "r_case_id": "open_case_id",
    "r_language": "borrower__language",
    "r_time_zone": "borrower__time_zone",
    "r_province": "borrower__province",
    "r_product_id": "product_id",
}
# The columns an inserted reminder sets, beside the selection's; the rest are constants of a queued row.
_CONSTANT_COLUMNS = {
    "recipient": "''",
    "subject": "''",
    "body": "''",
    "segments": "0",
    "status": f"'{MessageStatus.QUEUED.value}'",
    "suppressed_rule": "''",
    "failure_code": "''",
    "failure_detail": "''",
    "provider_message_id": "''",
    "attempts": "0",
}


def _moment_case(rows, moments: "_Moments", ops) -> tuple[str, list]:
    """
    A CASE over the selection's (zone, province, product) that gives each row
    its send moment: one branch per distinct triple, computed in Python once.
    """
    branches, params = [], []
    for time_zone, province, product_id in rows:
        moment = moments.moment(zone=moments.zone(time_zone or "", province or ""), product_id=product_id)
        branches.append("WHEN s.r_time_zone = %s AND s.r_province = %s AND s.r_product_id = %s THEN %s")
        params.extend([time_zone, province, product_id, ops.adapt_datetimefield_value(moment)])
    return f"CASE {' '.join(branches)} END", params


def reminders_insert(
    *, rule: ReminderRule, selection, products: list[int] | None, due_on: datetime.date, moments: "_Moments", now
) -> int:
    """
    INSERT ... SELECT ... ON CONFLICT (idempotency_key) DO NOTHING: the rule's
    rows in one statement (PostgreSQL and SQLite alike); how many were new.
    """
    # The triples of the due installments' accounts: a superset of the selection's, read without its subqueries.
    due = Installment.objects.filter(due_on=due_on, account__status=CreditAccount.Status.ACTIVE)
    if products is not None:
        due = due.filter(account__product_id__in=products)
    triples = list(
        due.values_list("account__borrower__time_zone", "account__borrower__province", "account__product_id")
        .order_by()
        .distinct()
    )
    if not triples:
        return 0
    ops = connection.ops
    moment_sql, moment_params = _moment_case(triples, moments, ops)
    select_sql, select_params = (
        selection.annotate(**{alias: F(field) for alias, field in _SELECTED.items()})
        .values_list(*_SELECTED)
        .query.sql_with_params()
    )
    key = f"'reminder:' || CAST(s.r_account_id AS TEXT) || ':{rule.pk}:{due_on.isoformat()}'"
    columns = {
        "idempotency_key": key,
        "origin": "%s",
        "kind": "%s",
        "channel": "%s",
        "language": "COALESCE(NULLIF(s.r_language, ''), %s)",
        "borrower_id": "s.r_borrower_id",
        "case_id": "s.r_case_id",
        "account_id": "s.r_account_id",
        "contact_point_id": "s.r_point_id",
        "reminder_rule_id": "%s",
        "installment_due_on": "%s",
        "created_at": "%s",
        "scheduled_for": moment_sql,
        **_CONSTANT_COLUMNS,
    }
    params = [
        MessageOrigin.REMINDER.value,
        rule.kind,
        rule.channel,
        settings.LANGUAGE_CODE,
        rule.pk,
        ops.adapt_datefield_value(due_on),
        ops.adapt_datetimefield_value(now),
        *moment_params,
    ]
    table = OutboundMessage._meta.db_table
    statement = (
        f"INSERT INTO {table} ({', '.join(columns)}) "  # noqa: S608 (names and codes only; values are parameters)
        f"SELECT {', '.join(columns.values())} FROM ({select_sql}) "
        "AS s "
        "WHERE true ON CONFLICT (idempotency_key) DO NOTHING"
    )
    with connection.cursor() as cursor:
        cursor.execute(statement, [*params, *select_params])
        return max(cursor.rowcount, 0)


def reminders_queue(*, on: datetime.date, now: datetime.datetime | None = None) -> dict:
    """
    Queue every reminder due on `on` (a date in the lender's zone); returns
    {"rules": n, "queued": n} — `queued` counts new rows only, so a second
    run the same day says 0.
    """
    now = now or timezone.now()
    moments = _Moments(on=on, now=now)
    counts = {"rules": 0, "queued": 0}
    for rule, products, excluded in rules_in_force():
        counts["rules"] += 1
        due_on = on - datetime.timedelta(days=rule.offset_days)
        selection = reminder_selection(rule=rule, products=products, excluded=excluded, due_on=due_on, on=on)
        counts["queued"] += reminders_insert(
            rule=rule, selection=selection, products=products, due_on=due_on, moments=moments, now=now
        )
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
    # Paid by the day it goes out (the lender's day of its moment: the demo sends on past days).
    day = timezone.localdate(message.scheduled_for)
    unpaid = Installment.objects.filter(
        unpaid_on(day), account_id=message.account_id, due_on=message.installment_due_on
    )
    return None if unpaid.exists() else ALREADY_PAID
