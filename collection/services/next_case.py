"""
"Next case": one button that hands a collector the case to work now.

The rule, in order:

1. Which cases: those the user may see (collection.selectors.cases_visible_to)
   that are **assigned to them**; only when none of those is due, the
   **unassigned** cases (no collector) of their own team and of the teams
   they lead. Taking an unassigned case does not assign it: the claim only
   keeps everyone else off it while it is worked.
2. Which of them: open (not closed) and not on hold (an active hold puts the
   case's status at on hold, and nobody may contact the borrower then); due
   for action now (no next action planned, or its time has come); and not
   claimed (nobody's claim runs past now, not even the user's own: pressing
   Next case again moves on to the following case, and the one skipped comes
   back when its claim runs out).
3. In what order: highest priority first, then the oldest case (lowest id).

The case taken is claimed for CLAIM_FOR (worked_by / worked_until). Twenty
collectors pressing the button at once never get the same case: on
PostgreSQL the candidate row is locked with SELECT ... FOR UPDATE SKIP LOCKED
(a concurrent taker skips it and gets the next one instead of waiting), and
on every database the claim itself is a conditional UPDATE that only
succeeds while the case is still unclaimed (SQLite serialises writers; if
the UPDATE changes no row, someone else got there first and we look again).
"""

import datetime
from collections.abc import Iterator

from django.db import connection, transaction
from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.services import audit_record
from collection.models import Case, CaseStatus
from collection.selectors import cases_visible_to
from collection.selectors.queues import outside_legal_stage

CLAIM_FOR = datetime.timedelta(minutes=15)
# How often to look again when another taker claimed our candidate between the read and the claim.
CLAIM_ATTEMPTS = 5

NO_CASE_DUE = _("No case is due now.")


def due_now(now: datetime.datetime) -> Q:
    """A case's next action is due: none is planned, or its time has come (the queues' filter says the same)."""
    return Q(next_action_at__isnull=True) | Q(next_action_at__lte=now)


def unclaimed(now: datetime.datetime) -> Q:
    return Q(worked_until__isnull=True) | Q(worked_until__lte=now)


def team_ids_of(user) -> list[int]:
    """The teams whose cases the user works: their own and those they lead (one query)."""
    team_ids = set(user.led_teams.values_list("id", flat=True))
    if user.team_id:
        team_ids.add(user.team_id)
    return sorted(team_ids)


def next_case_candidates(*, user, now: datetime.datetime) -> Iterator[QuerySet]:
    """The user's workable cases, due now and unclaimed, best first: one queryset per tier of the rule, lazily."""
    workable = (
        outside_legal_stage(user, cases_visible_to(user))
        .exclude(status=CaseStatus.CLOSED)
        .exclude(status=CaseStatus.ON_HOLD)
        .filter(due_now(now))
        .filter(unclaimed(now))
        .order_by("-priority", "id")
    )
    yield workable.filter(assigned_to=user)
    team_ids = team_ids_of(user)
    if team_ids:
        yield workable.filter(assigned_to__isnull=True, team_id__in=team_ids)


def _claim(candidates: QuerySet, *, user, now) -> Case | None:
    """Lock the best candidate (skipping rows another taker holds) and claim it; None if there is none."""
    if connection.features.has_select_for_update_skip_locked:
        candidates = candidates.select_for_update(skip_locked=True)
    for _attempt in range(CLAIM_ATTEMPTS):
        with transaction.atomic():
            case = candidates.first()
            if case is None:
                return None
            until = now + CLAIM_FOR
            claimed = Case.objects.filter(unclaimed(now), pk=case.pk).update(worked_by=user, worked_until=until)
            if claimed:
                case.worked_by, case.worked_until = user, until
                audit_record(
                    action="collection.case.taken",
                    target=case,
                    actor=user,
                    data={"until": until.isoformat(), "priority": case.priority},
                )
                return case
    return None


def next_case_take(*, user, now=None) -> Case | None:
    """Claim and return the case the user should work now (see the module's rule), or None if none is due."""
    now = now or timezone.now()
    for candidates in next_case_candidates(user=user, now=now):
        case = _claim(candidates, user=user, now=now)
        if case is not None:
            return case
    return None
