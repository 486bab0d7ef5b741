"""
The agency portal: what an agency agent sees of a case, their agency's queue
and what their supervisor does with it.

- `agency_fields_for(user, case)`: the borrower details the active
  placement's contract shows (AgencyField codes); None for lender staff,
  whom no contract restricts. The case page reads it once and leaves out
  what it withholds: contact points of withheld kinds are not shown (nor
  offered in the contact form, nor accepted when posted), employer and date
  of birth only when allowed; the national id is always masked for agency
  users and never revealable (collection/services/contacts.py).
- `agency_queue_cases(user, mine=...)`: the agency's active placements, with
  the placement's dates and agent on each row, for the portal's queue.
- `placements_assign(...)`: the supervisor hands placed cases to an agent of
  the agency (Placement.agent), audited.
- `agency_team_rows(...)`: the supervisor's view of their agents' work.
"""

import datetime

from django.db import transaction
from django.db.models import Count, F, FilteredRelation, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.permissions import Capability, user_can
from accounts.services import audit_record
from collection.agencies.members import agency_id_of, agency_member_of, is_agency_supervisor
from collection.errors import CollectionError
from collection.models import (
    AgencyField,
    AgencyMember,
    AnsweredBy,
    ContactAttempt,
    ContactRefusal,
    Placement,
    PlacementStatus,
    PromiseStatus,
    PromiseToPay,
)
from collection.selectors.cases import cases_visible_to
from lending.models import ContactPoint

ASSIGN_NOT_SUPERVISOR = _("Only your agency's supervisor may assign cases to agents.")
ASSIGN_AGENT_NOT_OURS = _("That agent does not work for your agency.")
ASSIGN_NOTHING_SELECTED = _("Select the cases to assign.")

PHONE_KINDS = frozenset({ContactPoint.Kind.MOBILE, ContactPoint.Kind.HOME_PHONE, ContactPoint.Kind.WORK_PHONE})
ADDRESS_KINDS = frozenset({ContactPoint.Kind.HOME_ADDRESS, ContactPoint.Kind.WORK_ADDRESS})
# How many days the supervisor's page counts promises, right-party contacts and refusals over.
TEAM_PERIOD_DAYS = 30


# --- What an agency user sees of a case ------------------------------------------------------------


def is_agency_user(user) -> bool:
    return user_can(user, Capability.WORK_AGENCY_CASES)


def agency_fields_for(user, case) -> frozenset[str] | None:
    """
    None for lender staff (no contract restriction); else the AgencyField
    codes the contract of the case's active placement with the user's agency
    shows (none at all without such a placement: the scope would not have let
    the user open the case anyway). Cached on the case for the request.
    """
    if not is_agency_user(user):
        return None
    cache = case.__dict__.setdefault("_agency_fields", {})
    if user.pk not in cache:
        agency_id = agency_id_of(user)
        visible = (
            Placement.objects.filter(case=case, agency_id=agency_id, status=PlacementStatus.ACTIVE)
            .values_list("contract__visible_fields", flat=True)
            .first()
            if agency_id is not None
            else None
        )
        cache[user.pk] = frozenset(code for code in (visible or ()) if code in AgencyField.values)
    return cache[user.pk]


def contact_point_field(point: ContactPoint) -> str:
    """The AgencyField that decides whether an agency sees this contact point."""
    if point.is_third_party:
        return AgencyField.THIRD_PARTIES
    if point.kind in PHONE_KINDS:
        return AgencyField.PHONE
    if point.kind == ContactPoint.Kind.EMAIL:
        return AgencyField.EMAIL
    return AgencyField.ADDRESS


def contact_point_shown(fields: frozenset[str] | None, point: ContactPoint) -> bool:
    return fields is None or contact_point_field(point) in fields


def contact_points_shown(user, case, points) -> list[ContactPoint]:
    """The contact points this user may see and use on the case (all of them for lender staff)."""
    fields = agency_fields_for(user, case)
    return [point for point in points if contact_point_shown(fields, point)]


def contact_point_withheld(user, case, point: ContactPoint | None) -> bool:
    return point is not None and not contact_point_shown(agency_fields_for(user, case), point)


def contact_field_shown(user, case, field: str) -> bool:
    """Whether the user sees this AgencyField on the case (always, for lender staff)."""
    fields = agency_fields_for(user, case)
    return fields is None or field in fields


# A message to the borrower goes to a contact point of this kind (an in-app message to none).
MESSAGE_CHANNEL_FIELDS = {"sms": AgencyField.PHONE, "email": AgencyField.EMAIL}
MESSAGE_CHANNEL_WITHHELD = _("Your agency's contract does not show this borrower's {channel}: it cannot be used.")


def message_channel_withheld(user, case, channel: str) -> bool:
    """Whether the user's agency may not see (so not use) the contact points a message on `channel` goes to."""
    field = MESSAGE_CHANNEL_FIELDS.get(str(channel))
    return field is not None and not contact_field_shown(user, case, field)


def borrower_fields_shown(user, case) -> dict:
    """
    What the borrower panel shows beyond the name and region: the employer (lender staff always,
    an agency when its contract shows it); the date of birth, which the lender's case page never
    showed, only to an agency whose contract shows it (to tell the borrower from a namesake).
    """
    fields = agency_fields_for(user, case)
    return {
        "show_employer": fields is None or AgencyField.EMPLOYER in fields,
        "show_date_of_birth": fields is not None and AgencyField.DATE_OF_BIRTH in fields,
    }


# --- The agency's queue ----------------------------------------------------------------------------


def agency_queue_cases(user, *, mine: bool = False) -> QuerySet:
    """
    The cases placed with the user's agency now (cases_visible_to scopes them), each with its active
    placement's placed-on and recall-due dates and agent; `mine`: only those placed with the user.
    """
    cases = (
        cases_visible_to(user)
        .annotate(
            active_placement=FilteredRelation("placements", condition=Q(placements__status=PlacementStatus.ACTIVE))
        )
        .filter(active_placement__isnull=False)
        .annotate(
            placed_on=F("active_placement__placed_on"),
            recall_due_on=F("active_placement__recall_due_on"),
            agency_agent_id=F("active_placement__agent_id"),
        )
        .select_related("borrower")
    )
    if mine:
        cases = cases.filter(active_placement__agent=user)
    return cases


def agency_agents(agency_id: int | None) -> list:
    """The agency's members (agents and supervisors), by name."""
    if agency_id is None:
        return []
    members = AgencyMember.objects.filter(agency_id=agency_id, user__is_active=True).select_related("user")
    return [member.user for member in members.order_by("user__first_name", "user__last_name", "user__username")]


# --- The supervisor ---------------------------------------------------------------------------------


@transaction.atomic
def placements_assign(*, case_ids: list[int], agent, actor) -> int:
    """
    Give the active placements of these cases (of the actor's agency only) to `agent`, a member of the
    same agency, or back to the agency's pool (agent None). Returns how many placements changed; one
    audit event lists them.
    """
    if not is_agency_supervisor(actor):
        raise CollectionError(ASSIGN_NOT_SUPERVISOR)
    agency_id = agency_id_of(actor)
    if agent is not None and not AgencyMember.objects.filter(user=agent, agency_id=agency_id).exists():
        raise CollectionError(ASSIGN_AGENT_NOT_OURS, field="agent")
    if not case_ids:
        raise CollectionError(ASSIGN_NOTHING_SELECTED)
    placements = Placement.objects.filter(case_id__in=case_ids, agency_id=agency_id, status=PlacementStatus.ACTIVE)
    placements = placements.exclude(agent=agent) if agent is not None else placements.filter(agent__isnull=False)
    ids = list(placements.select_for_update().values_list("pk", flat=True))
    if not ids:
        return 0
    moved = Placement.objects.filter(pk__in=ids).update(agent=agent)
    audit_record(
        action="collection.placement.assigned",
        target=agency_member_of(actor).agency,
        actor=actor,
        data={"placement_ids": ids, "agent_id": agent.pk if agent is not None else None, "count": moved},
    )
    return moved


def agency_team_rows(*, agency_id: int, now: datetime.datetime | None = None) -> list[dict]:
    """
    Each agent of the agency with their active placements, contacts today and in the last 7 days,
    right-party contacts, promises taken and kept, and guard refusals hit (the last 30 days): five
    grouped queries whatever the number of agents.
    """
    now = now or timezone.now()
    today_start = timezone.localtime(now).replace(hour=0, minute=0, second=0, microsecond=0)
    week, period = now - datetime.timedelta(days=7), now - datetime.timedelta(days=TEAM_PERIOD_DAYS)
    agents = agency_agents(agency_id)
    ids = [agent.pk for agent in agents]
    supervisors = set(
        AgencyMember.objects.filter(agency_id=agency_id, is_supervisor=True).values_list("user_id", flat=True)
    )
    placements = dict(
        Placement.objects.filter(agency_id=agency_id, status=PlacementStatus.ACTIVE, agent_id__in=ids)
        .values_list("agent_id")
        .annotate(count=Count("id"))
        .order_by()
    )
    contacts = {
        row["actor_id"]: row
        for row in ContactAttempt.objects.filter(actor_id__in=ids, occurred_at__gte=period)
        .values("actor_id")
        .annotate(
            today=Count("id", filter=Q(occurred_at__gte=today_start)),
            week=Count("id", filter=Q(occurred_at__gte=week)),
            right_party=Count("id", filter=Q(answered_by=AnsweredBy.BORROWER)),
        )
        .order_by()
    }
    promises = {
        row["created_by_id"]: row
        for row in PromiseToPay.objects.filter(created_by_id__in=ids, created_at__gte=period)
        .values("created_by_id")
        .annotate(
            taken=Count("id"),
            kept=Count("id", filter=Q(status__in=[PromiseStatus.KEPT, PromiseStatus.PARTLY_KEPT])),
        )
        .order_by()
    }
    refusals = dict(
        ContactRefusal.objects.filter(actor_id__in=ids, refused_at__gte=period)
        .values_list("actor_id")
        .annotate(count=Count("id"))
        .order_by()
    )
    rows = []
    for agent in agents:
        contact, promise = contacts.get(agent.pk, {}), promises.get(agent.pk, {})
        rows.append(
            {
                "agent": agent,
                "is_supervisor": agent.pk in supervisors,
                "active_placements": placements.get(agent.pk, 0),
                "contacts_today": contact.get("today", 0),
                "contacts_week": contact.get("week", 0),
                "right_party": contact.get("right_party", 0),
                "promises_taken": promise.get("taken", 0),
                "promises_kept": promise.get("kept", 0),
                "refusals": refusals.get(agent.pk, 0),
            }
        )
    return rows


def agency_unassigned_count(agency_id: int) -> int:
    return Placement.objects.filter(agency_id=agency_id, status=PlacementStatus.ACTIVE, agent__isnull=True).count()


def register() -> None:
    """
    The agency queue in the bar (instead of the lender's queues) and as the agents' landing. The
    supervisor's page is a tab of the queue (the bar has no per-member condition).
    """
    from accounts.navigation import NavItem, landing_register, nav_register
    from accounts.roles import Role

    nav_register(
        NavItem("agency_queue", _("Agency queue"), "collection:agency_queue", Capability.WORK_AGENCY_CASES, order=10)
    )
    landing_register(Role.AGENCY_AGENT, "collection:agency_queue")
