"""
The guard's entry points: what every contact path calls. Each builds the
facts (facts.py) and the contact asked about, runs the rules (checks.py)
and hands back the verdict, or raises `ContactRefused` for a `..._require`.

Every verdict leaves the guard through these functions, so this is where a
refusal would be recorded (a refusal log) without touching any rule.
"""

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
from collection.models import Channel, Direction


def contact_check(
    *,
    case,
    channel: str,
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
    """
    facts = CaseFacts(case, at or timezone.now())
    request = ContactRequest(
        channel=Channel(channel),
        contact_point=contact_point,
        legally_required_notice=legally_required_notice,
        threatens_legal_action=threatens_legal_action,
    )
    return run_checks(facts, request, direction=direction)


def contact_require(**kwargs) -> None:
    """`contact_check`, raising ContactRefused (a CollectionError with the reason) when refused."""
    verdict = contact_check(**kwargs)
    if not verdict.allowed:
        raise ContactRefused(verdict)


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


def visit_report_require(*, was_recorded: bool, case=None) -> None:
    """`visit_report_check`, raising ContactRefused when refused."""
    verdict = visit_report_check(was_recorded=was_recorded, case=case)
    if not verdict.allowed:
        raise ContactRefused(verdict)
