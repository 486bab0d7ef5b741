"""
Who works a case.

Routing: each active team may have a work rule (TeamWorkRule: buckets,
stages, borrower provinces, products; an empty list means any). A case goes
to the first team, by the rules' `order`, whose rule matches it: its bucket,
its stage, its borrower's province, and at least one product among the
accounts now in the case.

Balance: within the team, to the collector with the most room, measured as
(open cases + 1) / capacity, so a collector with twice the capacity carries
twice the cases. Collectors are the team's active members whose role works
cases, except the team's lead; each one's CollectorCapacity says how many
open cases they carry and whether they take new ones (no row: the default
capacity, taking new cases). Capacity is a weight, not a ceiling: when every
collector is at capacity the cases are still shared out in proportion. A
team with nobody taking new cases keeps the case in its pool (team set, no
collector).

- `cases_distribute`: what the nightly lifecycle calls for new cases and for
  cases whose bucket or stage moved. A case stays where it is while its team
  is active, its team's rule (if the team has one) still matches it and its
  collector is an active member of the team; a case that no rule matches and
  that is in no team stays in the unassigned pool.
- `case_assign` / `cases_reassign`: a person's move, to a collector (who must
  be in the target team when one is given), to a team (balanced within it),
  or with neither back to the unassigned pool. Each move that changes
  something is audited and written on the case's timeline.
"""

import heapq
import json
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from django.db import connection, transaction
from django.db.models import Count
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.models import Team, User
from accounts.permissions import ROLE_CAPABILITIES, Capability, user_can
from accounts.services import audit_record
from collection.errors import CollectionError
from collection.models import Case, CaseAccount, CaseEvent, CaseStatus, CollectorCapacity, EventKind, TeamWorkRule
from collection.selectors import cases_visible_to

ASSIGNEE_NOT_IN_TEAM = _("{user} is not a member of {team}: choose someone in that team.")
ASSIGNEE_CANNOT_WORK_CASES = _("{user} cannot work cases: the account is inactive or the role does not work cases.")
TEAM_INACTIVE = _("{team} is not active: choose an active team.")
CASE_CLOSED = _("The case is closed: it cannot be assigned.")

CASE_TABLE = Case._meta.db_table
EVENT_TABLE = CaseEvent._meta.db_table
DEFAULT_CAPACITY = CollectorCapacity._meta.get_field("capacity").default
CHUNK = 2000  # ids per query (SQLite's parameter limit)
ROLES_WORKING_CASES = tuple(role for role, caps in ROLE_CAPABILITIES.items() if Capability.WORK_CASES in caps)


def _chunks(items: Sequence, size: int = CHUNK) -> Iterable[Sequence]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


# --- Rules -------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Rule:
    team_id: int
    buckets: frozenset
    stages: frozenset
    provinces: frozenset
    products: frozenset

    def matches(self, case: "_CaseFacts") -> bool:
        return (
            (not self.buckets or case.bucket in self.buckets)
            and (not self.stages or case.stage in self.stages)
            and (not self.provinces or case.province in self.provinces)
            and (not self.products or bool(self.products & case.products))
        )


def _rules() -> list[_Rule]:
    rules = list(TeamWorkRule.objects.filter(team__is_active=True).order_by("order", "team_id"))
    products = defaultdict(set)
    through = TeamWorkRule.products.through
    for rule_id, product_id in through.objects.filter(teamworkrule__in=rules).values_list(
        "teamworkrule_id", "creditproduct_id"
    ):
        products[rule_id].add(product_id)
    return [
        _Rule(
            team_id=rule.team_id,
            buckets=frozenset(rule.buckets or ()),
            stages=frozenset(rule.stages or ()),
            provinces=frozenset(rule.provinces or ()),
            products=frozenset(products[rule.pk]),
        )
        for rule in rules
    ]


@dataclass
class _CaseFacts:
    id: int
    opened_on: object
    status: str
    bucket: str
    stage: str
    province: str
    team_id: int | None
    assigned_to_id: int | None
    priority: int
    products: frozenset = frozenset()


def _case_facts(case_ids: Sequence[int], *, with_products: bool) -> list[_CaseFacts]:
    facts = []
    for chunk in _chunks(list(case_ids)):
        for row in Case.objects.filter(pk__in=chunk).values(
            "id",
            "opened_on",
            "status",
            "bucket",
            "stage",
            "borrower__province",
            "team_id",
            "assigned_to_id",
            "priority",
        ):
            province = row.pop("borrower__province")
            facts.append(_CaseFacts(province=province, **row))
    if with_products and facts:
        products = defaultdict(set)
        ids = [fact.id for fact in facts]
        for chunk in _chunks(ids):
            for case_id, product_id in CaseAccount.objects.filter(case_id__in=chunk, left_on__isnull=True).values_list(
                "case_id", "account__product_id"
            ):
                products[case_id].add(product_id)
        for fact in facts:
            fact.products = frozenset(products[fact.id])
    return facts


# --- Balance within a team -----------------------------------------------------------------


class _Balancer:
    """The collectors of some teams who take new cases, handed out by most room first."""

    def __init__(self, team_ids: Iterable[int]):
        team_ids = {team_id for team_id in team_ids if team_id is not None}
        self.heaps: dict[int, list] = defaultdict(list)
        self.loads: dict[int, int] = {}
        self.capacities: dict[int, int] = {}
        self.team_of: dict[int, int] = {}
        if not team_ids:
            return
        leads = set(Team.objects.filter(pk__in=team_ids).values_list("lead_id", flat=True))
        members = list(
            User.objects.filter(team_id__in=team_ids, is_active=True, role__in=ROLES_WORKING_CASES)
            .exclude(pk__in=[lead for lead in leads if lead is not None])
            .values_list("id", "team_id")
        )
        capacity = {
            row[0]: (row[1], row[2])
            for row in CollectorCapacity.objects.filter(
                user_id__in=[user_id for user_id, _team in members]
            ).values_list("user_id", "capacity", "accepts_new_cases")
        }
        loads = _open_caseloads([user_id for user_id, _team in members])
        for user_id, team_id in members:
            room, accepts = capacity.get(user_id, (DEFAULT_CAPACITY, True))
            if not accepts or room <= 0:
                continue
            self.loads[user_id] = loads.get(user_id, 0)
            self.capacities[user_id] = room
            self.team_of[user_id] = team_id
            heapq.heappush(self.heaps[team_id], self._key(user_id))

    def _key(self, user_id: int) -> tuple:
        load, room = self.loads[user_id], self.capacities[user_id]
        return ((load + 1) / room, load, user_id)

    def pick(self, team_id: int) -> int | None:
        """The collector of the team with the most room, who now carries one case more; None: nobody takes cases."""
        heap = self.heaps.get(team_id)
        while heap:
            key = heapq.heappop(heap)
            user_id = key[2]
            if key != self._key(user_id):
                continue  # a stale entry: the load changed since it was pushed
            self.loads[user_id] += 1
            heapq.heappush(heap, self._key(user_id))
            return user_id
        return None

    def release(self, user_id: int | None) -> None:
        """A case leaves this collector within the batch: one case less to carry."""
        if user_id in self.loads and self.loads[user_id] > 0:
            self.loads[user_id] -= 1
            heapq.heappush(self.heaps[self.team_of[user_id]], self._key(user_id))


def _open_caseloads(user_ids: Sequence[int]) -> dict[int, int]:
    loads = {}
    for chunk in _chunks(list(user_ids)):
        rows = (
            Case.objects.filter(assigned_to_id__in=chunk)
            .exclude(status=CaseStatus.CLOSED)
            .values("assigned_to_id")
            .annotate(count=Count("id"))
            .values_list("assigned_to_id", "count")
        )
        loads.update(rows)
    return loads


# --- Writing the moves ---------------------------------------------------------------------


@dataclass(frozen=True)
class _Move:
    case_id: int
    opened_on: object  # the case's number needs the year it opened
    from_team: int | None
    from_user: int | None
    to_team: int | None
    to_user: int | None


def _names(moves: Sequence[_Move]) -> tuple[dict, dict]:
    user_ids = {move.to_user for move in moves if move.to_user}
    team_ids = {move.to_team for move in moves if move.to_team}
    users = {user.pk: str(user) for user in User.objects.filter(pk__in=user_ids)} if user_ids else {}
    teams = dict(Team.objects.filter(pk__in=team_ids).values_list("id", "name")) if team_ids else {}
    return users, teams


PLAN_COLUMNS = (
    ("case_id", "INTEGER"),
    ("team_id", "INTEGER"),
    ("user_id", "INTEGER"),
    ("team_name", "TEXT"),
    ("user_name", "TEXT"),
)


def _plan_sql() -> str:
    """The moves, passed as one JSON parameter (a list of objects), as a table `v`."""
    if connection.vendor == "postgresql":
        columns = ", ".join(f"{name} {kind}" for name, kind in PLAN_COLUMNS)
        return f"jsonb_to_recordset(CAST(%s AS jsonb)) AS v({columns})"
    columns = ", ".join(f"json_extract(value, '$.{name}') AS {name}" for name, _kind in PLAN_COLUMNS)
    return f"(SELECT {columns} FROM json_each(%s)) AS v"  # noqa: S608 (our column names)


def _moves_write(moves: Sequence[_Move], *, actor, by: str, reason: str = "", audit_each: bool) -> None:
    """
    Write the moves set-based, whatever their number: the plan goes to the
    database as one JSON parameter; the timeline lines are one INSERT ...
    SELECT from the cases as they were, then one UPDATE moves them. An audit
    event per case when `audit_each`.
    """
    if not moves:
        return
    now = connection.ops.adapt_datetimefield_value(timezone.now())
    users, teams = _names(moves)
    person = actor if getattr(actor, "is_authenticated", False) else None
    plan = json.dumps(
        [
            {
                "case_id": move.case_id,
                "team_id": move.to_team,
                "user_id": move.to_user,
                "team_name": teams.get(move.to_team, ""),
                "user_name": users.get(move.to_user, ""),
            }
            for move in moves
        ],
        ensure_ascii=False,
    )
    json_object = "jsonb_build_object" if connection.vendor == "postgresql" else "json_object"
    reason_pair = ", 'reason', %s" if reason else ""
    data = (
        f"{json_object}('code', 'assigned', 'by', %s, 'from_team', c.team_id, 'from_user', c.assigned_to_id, "
        f"'to_team', v.team_id, 'to_user', v.user_id, 'to_team_name', v.team_name, 'to_user_name', v.user_name"
        f"{reason_pair})"
    )
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {EVENT_TABLE} (case_id, occurred_at, kind, code, actor_id, notes, data) "  # noqa: S608
            f"SELECT c.id, %s, %s, 'assigned', %s, %s, {data} "
            f"FROM {CASE_TABLE} c JOIN {_plan_sql()} ON v.case_id = c.id",
            [now, EventKind.ASSIGNMENT.value, person.pk if person else None, reason, by]
            + ([reason] if reason else [])
            + [plan],
        )
        cursor.execute(
            f"UPDATE {CASE_TABLE} AS c SET team_id = v.team_id, assigned_to_id = v.user_id, "  # noqa: S608
            f"assigned_at = %s, updated_at = %s FROM {_plan_sql()} WHERE c.id = v.case_id",
            [now, now, plan],
        )
    if audit_each:
        for move in moves:
            data = {
                "code": "assigned",
                "by": by,
                "from_team": move.from_team,
                "from_user": move.from_user,
                "to_team": move.to_team,
                "to_user": move.to_user,
                "to_team_name": teams.get(move.to_team, ""),
                "to_user_name": users.get(move.to_user, ""),
            }
            if reason:
                data["reason"] = reason
            audit_record(
                action="collection.case.assigned",
                target=Case(pk=move.case_id, opened_on=move.opened_on),
                actor=person,
                data=data,
            )


# --- Services ------------------------------------------------------------------------------


def _target(*, to_user, to_team) -> tuple[Team | None, User | None]:
    """The team and collector a person moves cases to, checked."""
    if to_team is not None and not to_team.is_active:
        raise CollectionError(TEAM_INACTIVE.format(team=to_team), field="to_team")
    if to_user is not None:
        if not user_can(to_user, Capability.WORK_CASES):
            raise CollectionError(ASSIGNEE_CANNOT_WORK_CASES.format(user=to_user), field="to_user")
        if to_team is not None and to_user.team_id != to_team.pk:
            raise CollectionError(ASSIGNEE_NOT_IN_TEAM.format(user=to_user, team=to_team), field="to_user")
        if to_team is None and to_user.team_id is not None:
            to_team = to_user.team
    return to_team, to_user


def _hand_moves(rows: Sequence[dict], *, team: Team | None, user: User | None) -> list[_Move]:
    team_id = team.pk if team is not None else None
    balancer = _Balancer([team_id]) if team_id is not None and user is None else None
    moves = []
    for row in rows:
        if user is not None:
            to_user = user.pk
        elif balancer is not None:
            if row["team_id"] == team_id and row["assigned_to_id"] in balancer.loads:
                continue  # already with a collector of that team
            to_user = balancer.pick(team_id)
        else:
            to_user = None
        if (row["team_id"], row["assigned_to_id"]) == (team_id, to_user):
            continue
        if balancer is not None:
            balancer.release(row["assigned_to_id"])
        moves.append(_Move(row["id"], row["opened_on"], row["team_id"], row["assigned_to_id"], team_id, to_user))
    return moves


CASE_FIELDS = ("id", "opened_on", "team_id", "assigned_to_id", "status")


def case_assign(*, case: Case, to_user=None, to_team=None, actor, reason: str = "") -> Case:
    """
    Move one case: to `to_user` (in `to_team` if given, else in the collector's
    own team), to `to_team` alone (its collector with the most room, or its
    pool), or with neither back to the unassigned pool. Audited; on the timeline.
    """
    with transaction.atomic():
        team, user = _target(to_user=to_user, to_team=to_team)
        row = Case.objects.select_for_update().values(*CASE_FIELDS).get(pk=case.pk)
        if row["status"] == CaseStatus.CLOSED:
            raise CollectionError(CASE_CLOSED)
        moves = _hand_moves([row], team=team, user=user)
        _moves_write(moves, actor=actor, by="hand", reason=reason.strip(), audit_each=True)
    case.refresh_from_db()
    return case


def cases_reassign(*, case_ids, to_user=None, to_team=None, actor) -> int:
    """
    Bulk move (a team lead's selection): each open case among `case_ids` that
    the actor may see goes to `to_user`, or is shared out within `to_team` by
    room, or with neither returns to the unassigned pool. Each move is audited
    and on its case's timeline. Returns how many cases moved.
    """
    ids = sorted({int(case_id) for case_id in case_ids})
    with transaction.atomic():
        team, user = _target(to_user=to_user, to_team=to_team)
        if actor is not None:
            visible = []
            for chunk in _chunks(ids):
                visible.extend(cases_visible_to(actor, Case.objects.filter(pk__in=chunk)).values_list("pk", flat=True))
            ids = sorted(set(visible))
        rows = []
        for chunk in _chunks(ids):
            rows.extend(
                Case.objects.select_for_update()
                .filter(pk__in=chunk)
                .exclude(status=CaseStatus.CLOSED)
                .order_by("-priority", "id")
                .values(*CASE_FIELDS, "priority")
            )
        rows.sort(key=lambda row: (-row["priority"], row["id"]))
        moves = _hand_moves(rows, team=team, user=user)
        _moves_write(moves, actor=actor, by="hand", audit_each=True)
    return len(moves)


def cases_distribute(*, case_ids, actor=None) -> int:
    """
    Route the cases by the team work rules and balance them within the team
    (see the module's docstring for who stays put). The nightly lifecycle
    calls it with actor None: then one audit event sums the night's moves;
    a person's call audits every move. Returns how many cases moved.
    """
    ids = sorted({int(case_id) for case_id in case_ids})
    if not ids:
        return 0
    with transaction.atomic():
        rules = _rules()
        facts = _case_facts(ids, with_products=any(rule.products for rule in rules))
        rule_of_team = {rule.team_id: rule for rule in rules}
        active_teams = set(Team.objects.filter(is_active=True).values_list("id", flat=True))
        assignee_ids = {fact.assigned_to_id for fact in facts if fact.assigned_to_id}
        assignees = {}
        for chunk in _chunks(sorted(assignee_ids)):
            assignees.update(
                (user_id, team_id)
                for user_id, team_id in User.objects.filter(pk__in=chunk, is_active=True).values_list("id", "team_id")
            )
        wanted = []
        for fact in sorted(facts, key=lambda fact: (-fact.priority, fact.id)):
            if fact.status == CaseStatus.CLOSED:
                continue
            current_rule = rule_of_team.get(fact.team_id)
            if fact.team_id in active_teams and (current_rule is None or current_rule.matches(fact)):
                team_id = fact.team_id
            else:
                team_id = next((rule.team_id for rule in rules if rule.matches(fact)), None)
                if team_id is None:
                    continue  # no rule wants it: it stays where it is (or in the unassigned pool)
            if team_id == fact.team_id and fact.assigned_to_id and assignees.get(fact.assigned_to_id) == team_id:
                continue
            wanted.append((fact, team_id))
        balancer = _Balancer(team_id for _fact, team_id in wanted)
        moves = []
        for fact, team_id in wanted:
            user_id = balancer.pick(team_id)
            if (fact.team_id, fact.assigned_to_id) == (team_id, user_id):
                continue
            balancer.release(fact.assigned_to_id)
            moves.append(_Move(fact.id, fact.opened_on, fact.team_id, fact.assigned_to_id, team_id, user_id))
        person = actor if getattr(actor, "is_authenticated", False) else None
        _moves_write(moves, actor=person, by="rules", audit_each=person is not None)
        if moves and person is None:
            by_team = Counter(str(move.to_team) for move in moves)
            audit_record(
                action="collection.cases.distributed",
                actor=None,
                data={"cases": len(moves), "by_team": dict(sorted(by_team.items()))},
            )
    return len(moves)
