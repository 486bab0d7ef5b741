"""
The guard's entry points: what every contact path calls. Each builds the
facts (facts.py) and the contact asked about, runs the rules (checks.py)
and hands back the verdict, or raises `ContactRefused` for a `..._require`.

Every verdict leaves the guard through these functions, so this is where a
refusal is recorded (`ContactRefusal`, the refusal log) without touching any
rule: `contact_require` and `visit_report_require` are asked when someone is
about to contact, so each refusal they raise is one row. `contact_check`
and `contact_points_verdicts` answer the passive verdicts of the case page,
which are not attempts, and record nothing.

The row must outlive the refused action, which rolls back. Outside a
transaction `..._require` writes it at once; inside one (a service's
`transaction.atomic`) it cannot, since the service's rollback would take the
row with it, so the refusal travels on the exception and the service's outer
wrapper, `refusals_recorded`, writes it once the service's transaction has
rolled back. A service that calls `..._require` inside its transaction is
wrapped, outermost:

    @refusals_recorded
    @transaction.atomic
    def contact_log(...): ...
"""

import datetime
from dataclasses import dataclass
from functools import wraps

from django.db import transaction
from django.utils import timezone

from collection.compliance.checks import ContactRequest, run_checks
from collection.compliance.facts import CaseFacts
from collection.compliance.profiles import profile_for
from collection.compliance.rules import (
    NATURAL_CHANNEL,
    VISIT_NOT_RECORDED_LABEL,
    VISIT_NOT_RECORDED_REASON,
    VISIT_RECORDED_LABEL,
    Rule,
)
from collection.compliance.verdicts import ContactRefused, Verdict, refusal
from collection.messaging.hours import next_contact_moment_in_all
from collection.models import Channel, ContactRefusal, Direction


@dataclass(frozen=True)
class RefusedAttempt:
    """What a refusal log row says besides the verdict: who tried what, where and for when."""

    case: object
    channel: str
    contact_point: object
    at: datetime.datetime
    actor: object
    action: str
    borrower_id: int | None = None


def contact_check(
    *,
    case,
    channel: str,
    account=None,
    contact_point=None,
    at=None,
    direction: str = Direction.OUTBOUND,
    legally_required_notice: bool = False,
    threatens_legal_action: bool = False,
) -> Verdict:
    """
    May this contact happen at `at` (now by default)? `legally_required_notice`
    lets a letter through a cease-contact request or a dispute;
    `threatens_legal_action` marks a letter or call that mentions suing
    (refused on a time-barred debt where the profile has a limitation period).
    Select the case with its borrower and portfolio to save two queries.
    `case=None` with an `account` judges a message about an account in no
    case (a reminder before the due date), under its product's portfolio.
    """
    facts = CaseFacts(case, at or timezone.now(), account=account)
    request = ContactRequest(
        channel=Channel(channel),
        contact_point=contact_point,
        legally_required_notice=legally_required_notice,
        threatens_legal_action=threatens_legal_action,
    )
    return run_checks(facts, request, direction=direction)


def contact_require(*, actor=None, action: str = "contact", **kwargs) -> None:
    """
    `contact_check`, raising ContactRefused (a CollectionError with the reason)
    when refused; the refusal is recorded with `actor` (None for an automatic
    job) and `action` (what was attempted: "contact", "visit.request"...).
    """
    verdict = contact_check(**kwargs)
    if not verdict.allowed:
        attempt = RefusedAttempt(
            case=kwargs["case"],
            channel=str(kwargs["channel"]),
            contact_point=kwargs.get("contact_point"),
            at=kwargs.get("at") or timezone.now(),
            actor=actor,
            action=action,
            borrower_id=_borrower_id(kwargs["case"], kwargs.get("account")),
        )
        _refuse(verdict, attempt)


def _borrower_id(case, account):
    return case.borrower_id if case is not None else account.borrower_id


def refusal_log(
    *, verdict: Verdict, case, channel: str, contact_point=None, account=None, at=None, actor=None, action: str
) -> ContactRefusal:
    """
    Record a refused verdict obtained from `contact_check` (the message sender
    asks once, then either waits for the contact hours or records the refusal
    here); the same row `contact_require` writes.
    """
    attempt = RefusedAttempt(
        case=case,
        channel=str(channel),
        contact_point=contact_point,
        at=at or timezone.now(),
        actor=actor,
        action=action,
        borrower_id=_borrower_id(case, account),
    )
    refused = ContactRefused(verdict)
    refused.attempt = attempt
    return refusal_record(refused)


def contact_hours_next(*, case, at, account=None) -> datetime.datetime | None:
    """
    The first moment from `at` inside the contact hours in every zone the
    borrower may be in, or None when no zone is known or their windows never meet.
    """
    facts = CaseFacts(case, at, account=account)
    return next_contact_moment_in_all(profile=facts.profile, time_zones=facts.zones(), at=at)


def _refuse(verdict: Verdict, attempt: RefusedAttempt):
    refused = ContactRefused(verdict)
    refused.attempt = attempt
    if not transaction.get_connection().in_atomic_block:
        refusal_record(refused)
    raise refused


def refusal_record(refused: ContactRefused) -> ContactRefusal | None:
    """Write the refusal log row of `refused` (once, however often it is re-raised); None if it has no attempt."""
    attempt = getattr(refused, "attempt", None)
    if attempt is None or getattr(refused, "recorded", None) is not None:
        return getattr(refused, "recorded", None)
    case = attempt.case
    actor = attempt.actor if getattr(attempt.actor, "pk", None) else None
    refused.recorded = ContactRefusal.objects.create(
        case_id=getattr(case, "pk", None),
        borrower_id=attempt.borrower_id or case.borrower_id,
        contact_point_id=getattr(attempt.contact_point, "pk", None),
        channel=attempt.channel,
        rule=refused.verdict.rule,
        reason=refused.verdict.reason,
        action=attempt.action,
        refused_at=timezone.now(),
        contact_at=attempt.at,
        actor=actor,
    )
    return refused.recorded


def refusals_recorded(service):
    """
    Wrap a service that asks `..._require` inside its own transaction: a
    refusal is recorded after that transaction has rolled back, then re-raised.
    """

    @wraps(service)
    def wrapped(*args, **kwargs):
        try:
            return service(*args, **kwargs)
        except ContactRefused as refused:
            refusal_record(refused)
            raise

    return wrapped


def contact_points_verdicts(*, case, contact_points, at=None) -> dict[int, Verdict]:
    """
    The live verdict for each point on its natural channel (phones: call,
    e-mail: e-mail, addresses: visit), in the same few queries however many
    points there are.
    """
    points = list(contact_points)
    if not points:
        return {}
    facts = CaseFacts(case, at or timezone.now())
    # One read of the third-party history for all points, not one a point.
    facts.third_party_history([point.pk for point in points if point.is_third_party])
    return {
        point.pk: run_checks(facts, ContactRequest(channel=Channel(NATURAL_CHANNEL[point.kind]), contact_point=point))
        for point in points
    }


def visit_report_check(*, was_recorded: bool, case=None) -> Verdict:
    """
    May this visit report be filed? Where the profile says every field visit
    is recorded (China), an unrecorded one is refused; with no case, the
    industry convention (recorded) applies.
    """
    must_record = profile_for(case.portfolio).visits_must_be_recorded if case is not None else True
    if must_record and not was_recorded:
        return refusal(Rule.VISIT_RECORDING, VISIT_NOT_RECORDED_REASON, VISIT_NOT_RECORDED_LABEL)
    return Verdict(allowed=True, label=str(VISIT_RECORDED_LABEL))


def visit_report_require(*, was_recorded: bool, case=None, actor=None, at=None) -> None:
    """`visit_report_check`, raising ContactRefused when refused (recorded, when there is a case)."""
    verdict = visit_report_check(was_recorded=was_recorded, case=case)
    if not verdict.allowed:
        if case is None:
            raise ContactRefused(verdict)
        attempt = RefusedAttempt(
            case=case,
            channel=Channel.VISIT,
            contact_point=None,
            at=at or timezone.now(),
            actor=actor,
            action="visit.report",
        )
        _refuse(verdict, attempt)
