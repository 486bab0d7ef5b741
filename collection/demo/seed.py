"""
`collection_demo_seed`, the demo's entry point: the demo teams' work rules and
capacities (`demo_work_rules_ensure`), the lifecycle for today, the cases
backdated to the story's opening days, each case's past
(collection.demo.history) written in bulk (collection.demo.rows), then the
cases' figures and statuses from that past, and the lifecycle again.
"""

import datetime
import random
from dataclasses import dataclass, field

from django.db import transaction
from django.utils import timezone

from accounts.demo import demo_teams
from accounts.models import Team, User
from collection.demo.history import _case_history
from collection.demo.rows import _History, _write
from collection.demo.texts import CAPACITIES, DEMO_HISTORY_EXISTS, DEMO_NO_STAFF, REASONS, TEAM_RULES
from collection.models import (
    AnsweredBy,
    ArrangementStatus,
    Case,
    CaseAccount,
    CaseStatus,
    Channel,
    CollectorCapacity,
    ContactAttempt,
    LatenessReason,
    PromiseStatus,
    StageChange,
    TeamWorkRule,
)
from collection.priority import priorities_refresh
from lending.demo.generator import lateness_reason


@dataclass
class DemoCollectionResult:
    cases: int = 0
    rows: dict = field(default_factory=dict)


def demo_work_rules_ensure() -> dict[str, Team]:
    """The demo teams' work rules and the collectors' capacities; running it again changes nothing."""
    teams = demo_teams()
    if any(key not in teams for key, _o, _b in TEAM_RULES):
        raise ValueError(str(DEMO_NO_STAFF))
    for key, order, buckets in TEAM_RULES:
        TeamWorkRule.objects.update_or_create(team=teams[key], defaults={"order": order, "buckets": buckets})
    for user in User.objects.filter(username__in=CAPACITIES):
        CollectorCapacity.objects.update_or_create(user=user, defaults={"capacity": CAPACITIES[user.username]})
    return teams


@transaction.atomic
def collection_demo_seed(
    *, seed: int, today: datetime.date | None = None, lifecycle=None, every: int = 1
) -> DemoCollectionResult:
    """
    Set up the demo teams' rules, open the cases (the lifecycle for today),
    then write their past. Refuses when contacts exist already.
    `lifecycle(as_of=...)` is the whole nightly run, lending's then collection's (injected by the command).
    `every`: write the history of every n-th case only (a benchmark's sample of a big portfolio).
    """
    today = today or timezone.localdate()
    if ContactAttempt.objects.exists():
        raise ValueError(str(DEMO_HISTORY_EXISTS))
    demo_work_rules_ensure()
    staff = {user.username: user for user in User.objects.filter(username__in=["collector", "lead", "field", "field2"])}
    if len(staff) != 4:
        raise ValueError(str(DEMO_NO_STAFF))
    if lifecycle is not None:
        lifecycle(as_of=today)
    _cases_backdate()
    result = DemoCollectionResult()
    history = _History()
    sampled = list(Case.objects.exclude(status=CaseStatus.CLOSED).order_by("id").values_list("id", flat=True))
    cases = (
        Case.objects.filter(pk__in=sampled[::every])
        .select_related("borrower", "assigned_to")
        .prefetch_related("borrower__contact_points", "case_accounts__account")
        .order_by("id")
    )
    reasons = []
    for case in cases:
        rng = random.Random(f"{seed}:{case.borrower.external_id}")
        # The reason lending's demo chose for the case's first account.
        memberships = sorted(case.case_accounts.all(), key=lambda membership: membership.account_id)
        account_external_id = memberships[0].account.external_id if memberships else case.borrower.external_id
        case.reason = REASONS.get(lateness_reason(account_external_id), LatenessReason.UNKNOWN)
        if case.reason == LatenessReason.UNKNOWN and rng.random() < 0.15:
            case.reason = rng.choice([LatenessReason.REFUSES_TO_PAY, LatenessReason.SUSPECTED_FRAUD])
        reasons.append(case)
        _case_history(case, rng=rng, today=today, history=history, staff=staff)
        result.cases += 1
    Case.objects.bulk_update(reasons, ["reason"], batch_size=1000)
    _write(history)
    _cases_after_history(history, today=today)
    if lifecycle is not None:
        # The payments of kept promises: lending's figures, then the cases (some cure and close).
        lifecycle(as_of=today)
    priorities_refresh(today=today)
    result.rows = {
        "contacts": len(history.contacts),
        "promises": len(history.promises),
        "arrangements": len(history.arrangements),
        "holds": len(history.holds),
        "visits": len(history.visits),
        "timeline": len(history.events),
    }
    return result


def _cases_backdate() -> None:
    """
    The lifecycle opened every case today; in the story the demo tells, each
    was opened the day after its oldest unpaid installment fell due.
    """
    from lending.models import CreditAccount

    first_due = {}
    for case_id, oldest in CreditAccount.objects.filter(
        case_memberships__left_on__isnull=True, oldest_unpaid_due_on__isnull=False
    ).values_list("case_memberships__case_id", "oldest_unpaid_due_on"):
        first_due[case_id] = min(first_due.get(case_id, oldest), oldest)
    cases = list(Case.objects.filter(pk__in=first_due).exclude(status=CaseStatus.CLOSED))
    for case in cases:
        case.opened_on = first_due[case.pk] + datetime.timedelta(days=1)
    Case.objects.bulk_update(cases, ["opened_on"], batch_size=1000)
    memberships = list(CaseAccount.objects.filter(case__in=cases, left_on__isnull=True).select_related("case"))
    for membership in memberships:
        membership.joined_on = membership.case.opened_on
    CaseAccount.objects.bulk_update(memberships, ["joined_on"], batch_size=1000)
    changes = list(StageChange.objects.filter(case__in=cases, from_stage="").select_related("case"))
    for change in changes:
        change.changed_on = change.case.opened_on
    StageChange.objects.bulk_update(changes, ["changed_on"], batch_size=1000)


def _cases_after_history(history: _History, *, today: datetime.date) -> None:
    """Last contacts, promises, broken-promise counts, next actions and statuses from the history just written."""
    by_case: dict[int, dict] = {}
    for contact in history.contacts:
        facts = by_case.setdefault(contact.case_id, {})
        if contact.channel == Channel.CALL or contact.channel == Channel.VISIT:
            facts["last_contact_at"] = max(facts.get("last_contact_at", contact.occurred_at), contact.occurred_at)
            if contact.answered_by == AnsweredBy.BORROWER:
                facts["last_rpc"] = max(facts.get("last_rpc", contact.occurred_at), contact.occurred_at)
    for promise, _contact in history.promises:
        facts = by_case.setdefault(promise.case_id, {})
        if promise.status == PromiseStatus.BROKEN:
            facts["broken"] = facts.get("broken", 0) + 1
        if promise.status == PromiseStatus.PENDING:
            facts["promise_due_on"] = min(facts.get("promise_due_on", promise.due_on), promise.due_on)
    held = {hold.case_id for hold in history.holds}
    arranged = {
        arrangement.case_id
        for arrangement, _parts in history.arrangements
        if arrangement.status == ArrangementStatus.ACTIVE
    }
    cases = list(Case.objects.filter(pk__in=by_case.keys() | held | arranged))
    now = timezone.now()
    for case in cases:
        facts = by_case.get(case.pk, {})
        case.last_contact_at = facts.get("last_contact_at")
        case.last_right_party_contact_at = facts.get("last_rpc")
        case.broken_promises = facts.get("broken", 0)
        case.has_broken_promise = case.broken_promises > 0
        case.promise_due_on = facts.get("promise_due_on")
        # Next action: the day after a promise falls due, else one to three days after the last contact.
        if case.promise_due_on:
            case.next_action_at = datetime.datetime.combine(
                case.promise_due_on + datetime.timedelta(days=1), datetime.time(9), timezone.get_current_timezone()
            )
        elif case.last_contact_at:
            case.next_action_at = min(case.last_contact_at + datetime.timedelta(days=1 + case.pk % 3), now)
        if case.pk in held:
            case.status = CaseStatus.ON_HOLD
        elif case.pk in arranged:
            case.status = CaseStatus.IN_ARRANGEMENT
        elif case.promise_due_on:
            case.status = CaseStatus.PROMISED
    Case.objects.bulk_update(
        cases,
        [
            "last_contact_at",
            "last_right_party_contact_at",
            "broken_promises",
            "has_broken_promise",
            "promise_due_on",
            "next_action_at",
            "status",
        ],
        batch_size=1000,
    )
