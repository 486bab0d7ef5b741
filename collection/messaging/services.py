"""
Messages to borrowers, from the decision to send to the provider's answer.

    message_queue(idempotency_key=..., origin=..., kind=..., channel=..., borrower=..., case=...)
        one message, get-or-create by its key; sending is enqueued on commit
    messages_queue_many(rows)
        the set-based path (reminders, strategies): bulk insert, keys already there ignored
    message_send(message_id=...)
        claim, ask again whether it is still wanted and allowed, render, send, record

Every message is a row before anything leaves, and its idempotency key is
unique: a task retried, a run repeated or a form posted twice finds the row
and sends nothing a second time. Text is rendered at send time, from the
template's current version in the borrower's language, so a queued reminder
says what is true when it goes.

The sender claims a row with a conditional update (status queued, no live
claim), so two workers never send the same message; a worker killed after
its claim leaves the row queued with a claim that expires
(MESSAGES_CLAIM_SECONDS), and the next sender takes it up. The provider is
given the idempotency key, so a message sent just before the kill is not
sent twice by the provider either.

Send time is where the guard is asked (again): a borrower who disputed,
asked to stop or lost consent since the message was queued gets nothing, and
the refusal is in the refusal log. Only the contact hours make a message
wait: it stays queued for the next allowed moment.
"""

import datetime
import logging
import uuid

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.services import audit_record
from collection import compliance, events
from collection.compliance import Rule
from collection.errors import CollectionError
from collection.messaging import codes
from collection.messaging.backends import Outgoing, PermanentSendError, SendError, TransientSendError, backend_for
from collection.messaging.relevance import irrelevance_reason, relevance_register
from collection.messaging.rendering import message_render
from collection.messaging.variables import message_context
from collection.models import (
    MESSAGE_CHANNELS,
    AnsweredBy,
    CaseEvent,
    Channel,
    ContactAttempt,
    Direction,
    MessageKind,
    MessageOrigin,
    MessageStatus,
    MessageTemplate,
    OutboundMessage,
    Outcome,
)
from collection.services.timeline import event_record
from documents.templating import TemplateProblem
from lending.models import ContactPoint

logger = logging.getLogger(__name__)

__all__ = [
    "TransientSendError",
    "message_queue",
    "message_send",
    "messages_queue_many",
    "relevance_register",
]

CHANNEL_UNKNOWN = _("Messages go by SMS, e-mail or in the app, not by %(channel)s.")
KIND_UNKNOWN = _("There is no message of the kind %(kind)s.")
ORIGIN_UNKNOWN = _("A message comes from a reminder, a strategy step or a person, not from %(origin)s.")
SUBJECT_MISSING = _("A message is about a case or an account: give one.")
NOT_THE_BORROWER = _("The case or account belongs to another borrower than the message's.")
MANUAL_NEEDS_CASE = _("A message sent by staff is sent from a case.")
KEY_MISSING = _("A message needs its idempotency key.")

# Which kind of contact point a channel writes to (an in-app message needs none).
CHANNEL_POINT_KIND = {Channel.SMS: ContactPoint.Kind.MOBILE, Channel.EMAIL: ContactPoint.Kind.EMAIL}
QUEUE_MANY_BATCH = 2000


def manual_key() -> str:
    """A fresh idempotency key for a message staff send (the form carries it, so a double post sends once)."""
    return f"manual:{uuid.uuid4().hex}"


def _validate(*, idempotency_key, origin, kind, channel, borrower, case, account) -> None:
    if not idempotency_key:
        raise CollectionError(KEY_MISSING)
    if channel not in MESSAGE_CHANNELS:
        raise CollectionError(CHANNEL_UNKNOWN % {"channel": channel}, field="channel")
    if kind not in MessageKind.values:
        raise CollectionError(KIND_UNKNOWN % {"kind": kind}, field="kind")
    if origin not in MessageOrigin.values:
        raise CollectionError(ORIGIN_UNKNOWN % {"origin": origin})
    if case is None and account is None:
        raise CollectionError(SUBJECT_MISSING)
    for owner in (case, account):
        if owner is not None and owner.borrower_id != borrower.pk:
            raise CollectionError(NOT_THE_BORROWER)
    if origin == MessageOrigin.MANUAL and case is None:
        raise CollectionError(MANUAL_NEEDS_CASE)


def _first_moment(*, case, account, at) -> datetime.datetime:
    # The borrower's next allowed moment; now when no zone is known (the guard then suppresses it, saying why).
    return compliance.contact_hours_next(case=case, account=account, at=at) or at


@compliance.refusals_recorded
def message_queue(
    *,
    idempotency_key: str,
    origin: str,
    kind: str,
    channel: str,
    borrower,
    case=None,
    account=None,
    contact_point=None,
    reminder_rule=None,
    strategy_step=None,
    installment_due_on=None,
    scheduled_for=None,
    actor=None,
) -> OutboundMessage:
    """
    The message with this key: the existing row if there is one (nothing
    else happens), else a new queued row, sent from `scheduled_for` (default:
    the next moment the borrower's contact hours allow). A message staff send
    (origin manual) is put to the guard now, and a refusal raises
    ContactRefused (recorded in the refusal log) with the rule's reason.
    """
    existing = OutboundMessage.objects.filter(idempotency_key=idempotency_key).first()
    if existing is not None:
        return existing
    _validate(
        idempotency_key=idempotency_key,
        origin=origin,
        kind=kind,
        channel=channel,
        borrower=borrower,
        case=case,
        account=account,
    )
    now = timezone.now()
    if origin == MessageOrigin.MANUAL:
        point = contact_point or _contact_point_for(borrower_id=borrower.pk, channel=channel)
        compliance.contact_require(
            case=case, channel=channel, contact_point=point, at=now, actor=actor, action=f"message.{origin}"
        )
        contact_point = point
    if scheduled_for is None:
        scheduled_for = _first_moment(case=case, account=account, at=now)
    try:
        with transaction.atomic():
            message = OutboundMessage.objects.create(
                idempotency_key=idempotency_key,
                origin=origin,
                kind=kind,
                channel=channel,
                language=borrower.language,
                borrower=borrower,
                case=case,
                account=account,
                contact_point=contact_point,
                reminder_rule=reminder_rule,
                strategy_step=strategy_step,
                installment_due_on=installment_due_on,
                created_at=now,
                scheduled_for=scheduled_for,
                actor=actor if getattr(actor, "pk", None) else None,
            )
            if message.actor_id is not None:
                audit_record(
                    action="collection.message.queued",
                    target=case or message,
                    actor=actor,
                    data={"message_id": message.pk, "kind": kind, "channel": channel},
                )
            if scheduled_for <= now:
                _send_on_commit(message.pk)
    except IntegrityError:
        # Another caller queued the same key between our look and our insert: theirs is the message.
        return OutboundMessage.objects.get(idempotency_key=idempotency_key)
    return message


def _send_on_commit(message_id: int) -> None:
    from collection.messaging.tasks import message_send_task

    transaction.on_commit(lambda: message_send_task.delay(message_id))


def messages_queue_many(rows: list[OutboundMessage]) -> int:
    """
    Insert unsaved queued messages in bulk (status queued, recipient and text
    empty: they are rendered at send time); rows whose key is already there
    are left out. Returns the number of rows inserted. `created_at` and
    `scheduled_for` default to now, `language` to the borrower's (at send time).
    The dispatcher (collection.reminders.dispatch) sends them when they are due.
    """
    now = timezone.now()
    inserted = 0
    for start in range(0, len(rows), QUEUE_MANY_BATCH):
        batch = {row.idempotency_key: row for row in rows[start : start + QUEUE_MANY_BATCH]}
        present = set(
            OutboundMessage.objects.filter(idempotency_key__in=list(batch)).values_list("idempotency_key", flat=True)
        )
        fresh = [row for key, row in batch.items() if key not in present]
        for row in fresh:
            row.status = MessageStatus.QUEUED
            row.created_at = row.created_at or now
            row.scheduled_for = row.scheduled_for or now
            row.language = row.language or ""
        # ignore_conflicts: a concurrent run that inserted the same key a moment ago wins, quietly.
        OutboundMessage.objects.bulk_create(fresh, ignore_conflicts=True)
        inserted += len(fresh)
    return inserted


# --- Sending --------------------------------------------------------------------------------


def _claim(message_id: int, now) -> bool:
    until = now + datetime.timedelta(seconds=settings.MESSAGES_CLAIM_SECONDS)
    return bool(
        OutboundMessage.objects.filter(pk=message_id, status=MessageStatus.QUEUED, scheduled_for__lte=now)
        .filter(Q(claimed_until__isnull=True) | Q(claimed_until__lte=now))
        .update(claimed_until=until)
    )


def _contact_point_for(*, borrower_id: int, channel: str):
    """The borrower's own point for the channel: usable first, then with consent, then the primary."""
    kind = CHANNEL_POINT_KIND.get(channel)
    if kind is None:
        return None
    consent = "consent_sms" if channel == Channel.SMS else "consent_email"
    return (
        ContactPoint.objects.filter(borrower_id=borrower_id, kind=kind, owner=ContactPoint.Owner.BORROWER)
        .order_by("do_not_contact", f"-{consent}", "-is_primary", "pk")
        .first()
    )


def _recipient(message: OutboundMessage) -> str:
    if message.channel == Channel.IN_APP:
        return message.borrower.external_id
    point = message.contact_point
    if point is None:
        return ""
    if message.channel == Channel.SMS:
        return point.number_e164 or point.value
    return point.value


def _template_version(message: OutboundMessage):
    if message.template_version_id is not None:
        return message.template_version
    languages = list(dict.fromkeys([message.language, settings.LANGUAGE_CODE, "en"]))
    templates = MessageTemplate.objects.filter(
        channel=message.channel,
        kind=message.kind,
        language__in=languages,
        is_active=True,
        current_version__isnull=False,
    ).select_related("current_version")
    by_language = {template.language: template for template in templates}
    for language in languages:
        if language in by_language:
            return by_language[language].current_version
    return None


def _release(message: OutboundMessage, **fields) -> OutboundMessage:
    """Write `fields` and give up the claim, in one update."""
    fields["claimed_until"] = None
    for name, value in fields.items():
        setattr(message, name, value)
    OutboundMessage.objects.filter(pk=message.pk).update(**fields)
    return message


@transaction.atomic
def _suppress(message: OutboundMessage, *, rule: str, now) -> OutboundMessage:
    _release(message, status=MessageStatus.SUPPRESSED, suppressed_rule=rule[:40], last_attempt_at=now)
    if message.case_id is not None:
        facts = events.message_suppressed(
            channel=message.channel, purpose=message.kind, rule=rule, message_id=message.pk
        )
        event_record(case=message.case, facts=facts, at=now)
    return message


@transaction.atomic
def _fail(message: OutboundMessage, *, error: SendError, now) -> OutboundMessage:
    _release(
        message,
        status=MessageStatus.FAILED,
        failure_code=error.code[:40],
        failure_detail=error.detail[:500],
        last_attempt_at=now,
    )
    if message.case_id is not None:
        facts = events.message_failed(
            channel=message.channel, purpose=message.kind, failure=error.code, message_id=message.pk
        )
        event_record(case=message.case, facts=facts, at=now)
    return message


@transaction.atomic
def _mark_sent(message: OutboundMessage, *, provider_message_id: str, delivered: bool, now) -> OutboundMessage:
    status = MessageStatus.DELIVERED if delivered else MessageStatus.SENT
    _release(
        message,
        status=status,
        provider_message_id=provider_message_id[:100],
        sent_at=now,
        delivered_at=now if delivered else None,
        failure_code="",
        failure_detail="",
    )
    if message.case_id is not None:
        contact = ContactAttempt.objects.create(
            case_id=message.case_id,
            borrower_id=message.borrower_id,
            contact_point=message.contact_point,
            channel=message.channel,
            direction=Direction.OUTBOUND,
            answered_by=AnsweredBy.NOBODY,
            outcome=Outcome.MESSAGE_SENT,
            occurred_at=now,
            actor=message.actor,
        )
        facts = events.message_sent(
            channel=message.channel,
            purpose=message.kind,
            contact_id=contact.pk,
            message_id=message.pk,
            status=status,
        )
        event_record(case=message.case, facts=facts, actor=message.actor, at=now)
    return message


def retry_delay(attempts: int) -> int:
    """Seconds before try number `attempts + 1`: MESSAGES_RETRY_BASE_SECONDS doubled each time, capped."""
    delay = settings.MESSAGES_RETRY_BASE_SECONDS * 2 ** max(attempts - 1, 0)
    return int(min(delay, settings.MESSAGES_RETRY_MAX_SECONDS))


def message_send(*, message_id: int, now=None) -> OutboundMessage:
    """
    Send one queued message whose moment has come, exactly once (see the
    module's docstring). Returns the message as it now stands; a message
    not claimable (not queued, not yet due, claimed by another sender) is
    returned untouched. A transient failure leaves it queued for a later
    try and raises TransientSendError (its `retry_in` says when); after
    MESSAGES_MAX_ATTEMPTS tries, or on a permanent failure, it is failed.
    """
    now = now or timezone.now()
    if not _claim(message_id, now):
        return OutboundMessage.objects.get(pk=message_id)
    message = OutboundMessage.objects.select_related(
        "borrower",
        "case",
        "case__borrower",
        "case__portfolio",
        "account",
        "account__borrower",
        "account__product",
        "contact_point",
        "template_version",
    ).get(pk=message_id)
    if not message.language:
        message.language = message.borrower.language
        OutboundMessage.objects.filter(pk=message.pk).update(language=message.language)

    reason = irrelevance_reason(message)
    if reason:
        return _suppress(message, rule=reason, now=now)

    if message.contact_point_id is None and message.channel in CHANNEL_POINT_KIND:
        message.contact_point = _contact_point_for(borrower_id=message.borrower_id, channel=message.channel)
    verdict = compliance.contact_check(
        case=message.case,
        account=message.account,
        channel=message.channel,
        contact_point=message.contact_point,
        at=now,
    )
    if not verdict.allowed:
        if verdict.rule == Rule.CONTACT_HOURS:
            later = compliance.contact_hours_next(case=message.case, account=message.account, at=now)
            if later is not None and later > now:
                return _release(message, scheduled_for=later, contact_point=message.contact_point)
        compliance.refusal_log(
            verdict=verdict,
            case=message.case,
            account=message.account,
            channel=message.channel,
            contact_point=message.contact_point,
            at=now,
            action=f"message.{message.origin}",
        )
        OutboundMessage.objects.filter(pk=message.pk).update(contact_point=message.contact_point)
        return _suppress(message, rule=verdict.rule, now=now)

    version = _template_version(message)
    if version is None:
        return _fail(message, error=PermanentSendError(codes.NO_TEMPLATE), now=now)
    profile = compliance.profile_for(message.case.portfolio if message.case_id else _account_portfolio(message))
    try:
        rendered = message_render(
            subject_source=version.subject,
            body_source=version.body,
            channel=message.channel,
            language=message.language,
            context=message_context(message, today=timezone.localdate(now)),
            profile=profile,
        )
    except TemplateProblem as problem:
        return _fail(message, error=PermanentSendError(codes.TEMPLATE_ERROR, str(problem)), now=now)
    if message.channel == Channel.SMS and not rendered.opt_out_in_first_segment:
        return _suppress(message, rule=codes.OPT_OUT_OVERFLOW, now=now)
    recipient = _recipient(message)
    if not recipient:
        return _fail(message, error=PermanentSendError(codes.NO_RECIPIENT), now=now)

    # The text as it leaves, and this try, are written before the provider is asked.
    message.recipient, message.subject, message.body = recipient, rendered.subject, rendered.body
    message.segments, message.template_version = rendered.segments, version
    message.attempts += 1
    message.last_attempt_at = now
    message.save(
        update_fields=[
            "recipient",
            "subject",
            "body",
            "segments",
            "template_version",
            "contact_point",
            "attempts",
            "last_attempt_at",
            "language",
        ]
    )
    outgoing = Outgoing(
        idempotency_key=message.idempotency_key,
        channel=message.channel,
        recipient=recipient,
        subject=rendered.subject,
        body=rendered.body,
        language=message.language,
    )
    try:
        delivery = backend_for(message.channel).send(outgoing)
    except TransientSendError as error:
        if message.attempts >= settings.MESSAGES_MAX_ATTEMPTS:
            logger.warning("message %s failed after %s attempts: %s", message.pk, message.attempts, error)
            return _fail(message, error=error, now=now)
        delay = retry_delay(message.attempts)
        _release(
            message,
            scheduled_for=now + datetime.timedelta(seconds=delay),
            failure_code=error.code[:40],
            failure_detail=error.detail[:500],
        )
        error.retry_in = delay
        raise
    except PermanentSendError as error:
        return _fail(message, error=error, now=now)
    return _mark_sent(message, provider_message_id=delivery.provider_message_id, delivered=delivery.delivered, now=now)


def _account_portfolio(message):
    from collection.compliance.facts import account_portfolio

    return account_portfolio(message.account)


# --- Delivery reports -----------------------------------------------------------------------

DELIVERY_STATES = {"delivered": MessageStatus.DELIVERED, "failed": MessageStatus.FAILED}


@transaction.atomic
def message_delivery_record(*, message: OutboundMessage, state: str, detail: str = "", at=None) -> OutboundMessage:
    """
    The provider's delivery report: a sent message is now delivered or failed
    (a report about a message already delivered or failed changes nothing),
    and so is its line on the case timeline.
    """
    status = DELIVERY_STATES[state]
    at = at or timezone.now()
    if message.status not in (MessageStatus.SENT, MessageStatus.QUEUED):
        return message
    fields = {"status": status}
    if status == MessageStatus.DELIVERED:
        fields["delivered_at"] = at
    else:
        fields["failure_code"] = "undelivered"
        fields["failure_detail"] = detail[:500]
    OutboundMessage.objects.filter(pk=message.pk).update(**fields)
    for name, value in fields.items():
        setattr(message, name, value)
    if message.case_id is not None:
        for event in CaseEvent.objects.filter(case_id=message.case_id, code="message_sent").filter(
            data__message_id=message.pk
        ):
            event.data = {**event.data, "status": str(status)}
            event.save(update_fields=["data"])
    return message
