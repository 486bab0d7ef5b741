"""
A few months of believable collection history over the demo portfolio, so
that the queues, the case page and the field agent's day look like a working
floor the first time `make run` opens them.

`collection_demo_seed` runs after lending's `seed_demo` and the demo staff:
it sets up the demo teams' work rules and capacities, runs the collection
lifecycle for today (which opens the cases and shares them out), then writes
each case's past: reminder messages, calls with their outcomes, promises kept
and broken (decided from the payments the portfolio really holds), a few
arrangements, holds and field visits, and the matching timeline lines.

History is written in bulk (it is the past: the services' "from now on"
validations do not apply to it), inside contact hours and within the
China profile's daily cap, deterministic for a given seed.
"""

import datetime
import random
import zoneinfo
from dataclasses import dataclass, field
from decimal import Decimal

from django.db import transaction
from django.db.models import Sum
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.demo import demo_locale, demo_teams
from accounts.models import Team, User
from collection import events
from collection.models import (
    AnsweredBy,
    Arrangement,
    ArrangementInstallment,
    ArrangementKind,
    ArrangementStatus,
    Case,
    CaseAccount,
    CaseEvent,
    CaseStatus,
    Channel,
    CollectorCapacity,
    ContactAttempt,
    Direction,
    FieldVisit,
    Hold,
    HoldKind,
    LatenessReason,
    Outcome,
    PromiseStatus,
    PromiseToPay,
    Stage,
    StageChange,
    TeamWorkRule,
    VisitStatus,
)
from collection.priority import priorities_refresh
from collection.services.timeline import event_build
from lending.demo.generator import lateness_reason
from lending.models import ContactPoint, Payment

DEMO_HISTORY_EXISTS = _("The cases already have a contact history: the collection demo loads only once.")
DEMO_NO_STAFF = _("Load the demo staff first (manage.py seed_demo_staff).")

# Demo teams (accounts/demo.py, by key: their names follow the demo's locale) and the cases they work.
TEAM_RULES = [
    # team key, order, buckets
    ("early", 10, ["M1"]),
    ("late", 20, ["M2", "M3", "M4", "M5", "M6", "M6+"]),
]
CAPACITIES = {"collector": 300, "zhou": 250, "wu": 200, "huang": 300, "xu": 250}

# lending.demo's reasons → the collection reason codes.
REASONS = {
    "lost_income": LatenessReason.LOST_INCOME,
    "illness": LatenessReason.ILLNESS,
    "over_borrowing": LatenessReason.OVER_BORROWING,
    "reminder_missed": LatenessReason.REMINDER_NOT_RECEIVED,
    "dispute_goods": LatenessReason.DISPUTE_GOODS,
    "forgot": LatenessReason.UNKNOWN,
    "unreachable": LatenessReason.UNKNOWN,
}

# What a call to the borrower's phone turns into, with weights.
CALL_OUTCOMES = [
    (Outcome.NO_ANSWER, 34),
    (Outcome.BUSY, 8),
    (Outcome.SWITCHED_OFF, 7),
    (Outcome.RIGHT_PARTY_CONTACT, 22),
    (Outcome.CALL_BACK, 8),
    (Outcome.PROMISED, 9),
    (Outcome.CLAIMS_HARDSHIP, 3),
    (Outcome.REFUSED_TO_PAY, 2),
    (Outcome.WRONG_NUMBER, 2),
]
NOT_CONNECTED = {Outcome.NO_ANSWER, Outcome.BUSY, Outcome.SWITCHED_OFF}
# What the demo's collectors, leads and field agents wrote, in the demo lender's
# language (their own words: stored as written, like every note).
NOTES = {
    "en": {
        Outcome.RIGHT_PARTY_CONTACT: "Borrower confirmed the amount; will check salary date.",
        Outcome.PROMISED: "Borrower agreed to pay; reminded of the due date and the app payment link.",
        Outcome.CALL_BACK: "Borrower in a meeting, asked to be called back this afternoon.",
        Outcome.CLAIMS_HARDSHIP: "Borrower says income dropped; asked for documents for a hardship review.",
        Outcome.REFUSED_TO_PAY: "Borrower refuses to pay until the merchant refunds the order.",
        Outcome.WRONG_NUMBER: "The person answering does not know the borrower.",
        "reminder": "Automatic overdue reminder.",
        "third_party": "Asked only how to reach the borrower; the debt was not mentioned.",
        "dispute": "Borrower says the goods never arrived; merchant asked for the delivery proof.",
        "cease_contact": "Written request to stop calls.",
        "hardship_plan": "Hardship: three monthly payments of the overdue amount.",
        "visit_reason": "No right-party contact for weeks; confirm the borrower lives at the address.",
        "visit_met": "Met the borrower at home; explained the overdue amount and the options.",
        "visit_not_met": "Nobody at home; neighbour confirmed the borrower still lives here.",
    },
    "zh": {
        Outcome.RIGHT_PARTY_CONTACT: "借款人确认欠款金额，将核对发薪日。",
        Outcome.PROMISED: "借款人同意还款；已提醒还款日期和 App 还款入口。",
        Outcome.CALL_BACK: "借款人在开会，要求今天下午回电。",
        Outcome.CLAIMS_HARDSHIP: "借款人称收入下降；已请其提供困难审核所需材料。",
        Outcome.REFUSED_TO_PAY: "借款人表示商家退款前拒绝还款。",
        Outcome.WRONG_NUMBER: "接听人不认识借款人。",
        "reminder": "自动逾期提醒。",
        "third_party": "仅询问如何联系借款人，未提及欠款。",
        "dispute": "借款人称未收到商品；已请商家提供物流签收证明。",
        "cease_contact": "书面要求停止来电。",
        "hardship_plan": "困难救助：逾期金额分三个月偿还。",
        "visit_reason": "数周未能联系到本人；请核实借款人是否居住在该地址。",
        "visit_met": "在家中见到借款人；已说明逾期金额及可选方案。",
        "visit_not_met": "家中无人；邻居确认借款人仍住在此处。",
    },
}


@dataclass
class DemoCollectionResult:
    cases: int = 0
    rows: dict = field(default_factory=dict)


def _pick(rng: random.Random, weighted):
    total = sum(weight for _item, weight in weighted)
    point = rng.random() * total
    for item, weight in weighted:
        point -= weight
        if point < 0:
            return item
    return weighted[-1][0]


def _local_moment(day: datetime.date, zone: str, rng: random.Random, *, earliest=9, latest=20) -> datetime.datetime:
    """A time on `day` inside contact hours in the borrower's zone."""
    hour = rng.randint(earliest, latest - 1)
    minute = rng.randint(0, 59)
    return datetime.datetime(day.year, day.month, day.day, hour, minute, tzinfo=zoneinfo.ZoneInfo(zone))


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


class _History:
    """Collects the rows of every case's past, then writes them in bulk."""

    def __init__(self):
        self.contacts: list[ContactAttempt] = []
        self.contact_events: list[tuple[ContactAttempt, CaseEvent]] = []
        self.promises: list[tuple[PromiseToPay, ContactAttempt | None]] = []
        self.events: list[CaseEvent] = []
        self.holds: list[Hold] = []
        self.arrangements: list[tuple[Arrangement, list[ArrangementInstallment]]] = []
        self.visits: list[FieldVisit] = []
        self.notes: dict = NOTES[demo_locale()]

    def event(self, case, facts: events.EventFacts, at, actor=None, notes=""):
        """A timeline line of the same code and facts as the service that does the thing writes."""
        event = event_build(case=case, facts=facts, at=at, actor=actor, notes=notes)
        self.events.append(event)
        return event


def _paid_between(account_ids: list[int], start: datetime.datetime, end: datetime.datetime) -> Decimal:
    total = Payment.objects.filter(
        account_id__in=account_ids, received_at__gte=start, received_at__lt=end, status=Payment.Status.APPLIED
    ).aggregate(total=Sum("amount"))["total"] or Decimal("0.00")
    return total


def _demo_payment(case, *, amount, day, zone, rng, account_ids) -> None:
    """A payment in the app on `day`, on the case's account that has been overdue longest."""
    from lending.models import CreditAccount
    from lending.services import payment_record

    account = (
        CreditAccount.objects.filter(pk__in=account_ids)
        .order_by("oldest_unpaid_due_on", "id")
        .select_related("product")
        .first()
    )
    if account is None:
        return
    received_at = _local_moment(day, zone, rng, earliest=10, latest=21)
    payment_record(
        account=account,
        external_id=f"DEMO-PTP-{case.pk}-{received_at:%Y%m%d%H%M}",
        amount=amount,
        received_at=received_at,
        channel="app",
    )


def _case_history(case: Case, *, rng: random.Random, today: datetime.date, history: _History, staff: dict) -> None:
    borrower = case.borrower
    zone = borrower.time_zone or "Asia/Shanghai"
    collector = case.assigned_to or staff["collector"]
    points = list(borrower.contact_points.all())
    mobile = next((p for p in points if p.owner == ContactPoint.Owner.BORROWER and p.kind == "mobile"), None)
    third_party = next((p for p in points if p.owner == ContactPoint.Owner.THIRD_PARTY), None)
    account_ids = [membership.account_id for membership in case.case_accounts.all()]
    opened = case.opened_on
    start_day = max(opened, today - datetime.timedelta(days=120))

    history.event(
        case,
        events.case_opened(days_past_due=1, stage=Stage.EARLY, status=CaseStatus.OPEN),
        _local_moment(start_day, zone, rng, earliest=1, latest=2),
    )
    # Reminder messages on days 1 and 3, where the borrower consented.
    if mobile is not None and mobile.consent_sms:
        for offset in (0, 2):
            day = start_day + datetime.timedelta(days=offset)
            if day >= today:
                break
            at = _local_moment(day, zone, rng, earliest=9, latest=11)
            contact = ContactAttempt(
                case=case,
                borrower=borrower,
                contact_point=mobile,
                channel=Channel.SMS,
                answered_by=AnsweredBy.NOBODY,
                outcome=Outcome.MESSAGE_SENT,
                occurred_at=at,
                notes=history.notes["reminder"],
            )
            history.contacts.append(contact)
            history.contact_events.append(
                (
                    contact,
                    history.event(case, events.message_sent(channel=Channel.SMS, purpose="overdue_reminder"), at),
                )
            )

    # Calls every one to four days, most recent last.
    day = start_day + datetime.timedelta(days=rng.randint(3, 5))
    unanswered_in_a_row = 0
    promised_until = None
    while day < today and mobile is not None:
        at = _local_moment(day, zone, rng)
        outcome = _pick(rng, CALL_OUTCOMES)
        if promised_until and day <= promised_until:
            outcome = Outcome.NO_ANSWER if rng.random() < 0.5 else Outcome.RIGHT_PARTY_CONTACT
        answered = AnsweredBy.NOBODY if outcome in NOT_CONNECTED else AnsweredBy.BORROWER
        if outcome == Outcome.WRONG_NUMBER:
            answered = AnsweredBy.THIRD_PARTY
        contact = ContactAttempt(
            case=case,
            borrower=borrower,
            contact_point=mobile,
            channel=Channel.CALL,
            answered_by=answered,
            outcome=outcome,
            duration_seconds=0 if answered == AnsweredBy.NOBODY else rng.randint(40, 420),
            notes=history.notes.get(outcome, ""),
            occurred_at=at,
            actor=collector,
        )
        history.contacts.append(contact)
        history.contact_events.append(
            (
                contact,
                history.event(
                    case,
                    events.contact_logged(
                        channel=Channel.CALL,
                        direction=Direction.OUTBOUND,
                        answered_by=answered,
                        outcome=outcome,
                        duration_seconds=contact.duration_seconds,
                        contact_point=mobile,
                    ),
                    at,
                    actor=collector,
                    notes=contact.notes,
                ),
            )
        )
        unanswered_in_a_row = unanswered_in_a_row + 1 if answered == AnsweredBy.NOBODY else 0
        # Unreachable for a while: ask a third party where to find the borrower (never about the debt).
        if unanswered_in_a_row >= 4 and third_party is not None and rng.random() < 0.5:
            at_third = at + datetime.timedelta(minutes=rng.randint(5, 50))
            located = ContactAttempt(
                case=case,
                borrower=borrower,
                contact_point=third_party,
                channel=Channel.CALL,
                answered_by=AnsweredBy.THIRD_PARTY,
                outcome=Outcome.THIRD_PARTY_REACHED,
                duration_seconds=rng.randint(30, 120),
                notes=history.notes["third_party"],
                occurred_at=at_third,
                actor=collector,
            )
            history.contacts.append(located)
            history.contact_events.append(
                (
                    located,
                    history.event(
                        case,
                        events.contact_logged(
                            channel=Channel.CALL,
                            direction=Direction.OUTBOUND,
                            answered_by=AnsweredBy.THIRD_PARTY,
                            outcome=Outcome.THIRD_PARTY_REACHED,
                            duration_seconds=located.duration_seconds,
                            contact_point=third_party,
                        ),
                        at_third,
                        actor=collector,
                        notes=located.notes,
                    ),
                )
            )
            unanswered_in_a_row = 0
        if outcome == Outcome.PROMISED:
            due = day + datetime.timedelta(days=rng.randint(2, 7))
            amount = min(case.overdue_total, Decimal(rng.choice([300, 500, 800, 1000, 1500, 2000]))).quantize(
                Decimal("0.01")
            )
            if amount <= 0:
                amount = Decimal("100.00")
            promise = PromiseToPay(
                case=case,
                amount=amount,
                currency=case.currency,
                due_on=due,
                created_at=at,
                created_by=collector,
            )
            if due < today:
                # Some borrowers keep their word: the payment is recorded in lending, as the core system would.
                roll = rng.random()
                if roll < 0.35 or (roll < 0.5 and amount > Decimal("200.00")):
                    paying = amount if roll < 0.35 else (amount * Decimal("0.5")).quantize(Decimal("0.01"))
                    _demo_payment(case, amount=paying, day=due, zone=zone, rng=rng, account_ids=account_ids)
                end = datetime.datetime.combine(
                    due + datetime.timedelta(days=1), datetime.time(), zoneinfo.ZoneInfo(zone)
                )
                paid = _paid_between(account_ids, at, end)
                promise.paid_amount = min(paid, amount)
                promise.decided_on = due + datetime.timedelta(days=1)
                promise.status = (
                    PromiseStatus.KEPT
                    if paid >= amount
                    else PromiseStatus.PARTLY_KEPT
                    if paid > 0
                    else PromiseStatus.BROKEN
                )
            history.promises.append((promise, contact))
            history.event(
                case,
                events.promise_made(currency=case.currency, parts=[(amount, due)]),
                at + datetime.timedelta(seconds=30),
                actor=collector,
            )
            if promise.status != PromiseStatus.PENDING:
                decided_at = _local_moment(promise.decided_on, zone, rng, earliest=1, latest=2)
                history.event(
                    case,
                    events.promise_decided(
                        promise_id=None,
                        status=promise.status,
                        amount=amount,
                        paid=promise.paid_amount,
                        currency=case.currency,
                        due_on=due,
                    ),
                    decided_at,
                )
            promised_until = due
        if outcome == Outcome.CLAIMS_HARDSHIP and case.reason in (LatenessReason.LOST_INCOME, LatenessReason.ILLNESS):
            _hardship_arrangement(case, rng=rng, at=at, today=today, history=history, staff=staff, actor=collector)
        day += datetime.timedelta(days=rng.randint(2, 5))

    if case.reason == LatenessReason.DISPUTE_GOODS and rng.random() < 0.4:
        at = _local_moment(max(start_day, today - datetime.timedelta(days=rng.randint(1, 20))), zone, rng)
        history.holds.append(
            Hold(
                case=case,
                kind=HoldKind.DISPUTE,
                reason=history.notes["dispute"],
                started_at=at,
                started_by=collector,
                review_on=today + datetime.timedelta(days=rng.randint(3, 14)),
            )
        )
        history.event(
            case,
            events.hold_placed(hold_id=None, kind=HoldKind.DISPUTE, review_on=history.holds[-1].review_on),
            at,
            actor=collector,
            notes=history.holds[-1].reason,
        )
    elif rng.random() < 0.01:
        at = _local_moment(max(start_day, today - datetime.timedelta(days=rng.randint(1, 20))), zone, rng)
        history.holds.append(
            Hold(case=case, kind=HoldKind.CEASE_CONTACT, reason=history.notes["cease_contact"], started_at=at)
        )
        history.event(
            case, events.hold_placed(hold_id=None, kind=HoldKind.CEASE_CONTACT), at, notes=history.holds[-1].reason
        )

    if case.reason in (LatenessReason.LOST_INCOME, LatenessReason.ILLNESS) and rng.random() < 0.5:
        # A hardship claim of yesterday's call, most still waiting for the lead: the approval queue has work today.
        at = _local_moment(today - datetime.timedelta(days=1), zone, rng)
        _hardship_arrangement(case, rng=rng, at=at, today=today, history=history, staff=staff, actor=collector)

    if case.days_past_due > 45 and rng.random() < 0.3:
        _field_visit(case, rng=rng, today=today, history=history, staff=staff, zone=zone)


def _hardship_arrangement(case, *, rng, at, today, history, staff, actor):
    if any(existing.case_id == case.pk for existing, _parts in history.arrangements):
        return
    balance = case.overdue_total
    if balance <= Decimal("300.00"):
        return
    parts = 3
    share = (balance / parts).quantize(Decimal("0.01"))
    amounts = [share] * (parts - 1) + [balance - share * (parts - 1)]
    # Only a recent request still waits for the lead (an older one was decided long ago): the
    # approval queue opens on requests that can be decided today.
    pending = (today - at.date()).days <= 5 and rng.random() < 0.8
    arrangement = Arrangement(
        case=case,
        kind=ArrangementKind.REPAYMENT_PLAN,
        status=ArrangementStatus.PENDING_APPROVAL if pending else ArrangementStatus.ACTIVE,
        currency=case.currency,
        balance_at_start=balance,
        total_to_pay=balance,
        waived_penalty=case.overdue_penalty if not pending else Decimal("0.00"),
        concession=case.overdue_penalty if not pending else Decimal("0.00"),
        notes=history.notes["hardship_plan"],
        requested_at=at,
        requested_by=actor,
        decided_at=None if pending else at + datetime.timedelta(hours=2),
        decided_by=None if pending else staff["lead"],
    )
    first_due = at.date() + datetime.timedelta(days=14)
    installments = [
        ArrangementInstallment(
            number=number + 1, due_on=first_due + datetime.timedelta(days=30 * number), amount=amount
        )
        for number, amount in enumerate(amounts)
    ]
    history.arrangements.append((arrangement, installments))
    proposed_as = ArrangementStatus.PENDING_APPROVAL  # beyond a collector's authority: the lead decides
    history.event(
        case,
        events.arrangement_changed(arrangement, "proposed", installments=parts, status=proposed_as),
        at + datetime.timedelta(minutes=3),
        actor=actor,
        notes=arrangement.notes,
    )
    if not pending:
        history.event(
            case,
            events.arrangement_changed(arrangement, "approved"),
            at + datetime.timedelta(hours=2),
            actor=staff["lead"],
        )


def _field_visit(case, *, rng, today, history, staff, zone):
    borrower = case.borrower
    address = next(
        (
            p
            for p in borrower.contact_points.all()
            if p.kind in ("home_address", "work_address") and p.owner == "borrower"
        ),
        None,
    )
    if address is None:
        return
    roll = rng.random()
    requested_on = today - datetime.timedelta(days=rng.randint(2, 12))
    requested_at = _local_moment(requested_on, zone, rng)
    agent = staff["field"] if rng.random() < 0.6 else staff["field2"]
    visit = FieldVisit(
        case=case,
        address=address.value,
        contact_point=address,
        province=borrower.province,
        city=borrower.city,
        district=borrower.district,
        reason=history.notes["visit_reason"],
        preferred_on=requested_on + datetime.timedelta(days=3),
        requested_at=requested_at,
        requested_by=case.assigned_to,
    )
    if roll < 0.45:  # on a field agent's list today
        visit.status, visit.agent, visit.scheduled_on, visit.decided_by = (
            VisitStatus.SCHEDULED,
            agent,
            today,
            staff["lead"],
        )
    elif roll < 0.8:  # done, with its report
        visited = requested_on + datetime.timedelta(days=rng.randint(1, 2))
        visit.status, visit.agent, visit.scheduled_on, visit.decided_by = (
            VisitStatus.DONE,
            agent,
            visited,
            staff["lead"],
        )
        visit.visited_at = _local_moment(visited, zone, rng, earliest=10, latest=18)
        visit.met = AnsweredBy.BORROWER if rng.random() < 0.6 else AnsweredBy.NOBODY
        visit.outcome = Outcome.RIGHT_PARTY_CONTACT if visit.met == AnsweredBy.BORROWER else Outcome.NO_ANSWER
        visit.was_recorded = True
        visit.report_notes = history.notes["visit_met" if visit.met == AnsweredBy.BORROWER else "visit_not_met"]
    history.visits.append(visit)
    history.event(
        case,
        events.visit_changed(visit, "requested", address=visit.address, preferred_on=visit.preferred_on.isoformat()),
        requested_at,
        actor=case.assigned_to,
        notes=visit.reason,
    )
    if visit.agent is not None:
        history.event(
            case,
            events.visit_changed(
                visit,
                "scheduled",
                agent=visit.agent.pk,
                agent_name=str(visit.agent),
                scheduled_on=visit.scheduled_on.isoformat(),
                rescheduled=False,
            ),
            requested_at + datetime.timedelta(hours=1),
            actor=staff["lead"],
        )
    if visit.visited_at is not None:
        history.event(
            case,
            events.visit_changed(
                visit, "reported", met=visit.met, outcome=visit.outcome, was_recorded=visit.was_recorded, attachments=0
            ),
            visit.visited_at,
            actor=visit.agent,
            notes=visit.report_notes,
        )


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


def _write(history: _History) -> None:
    ContactAttempt.objects.bulk_create(history.contacts, batch_size=2000)
    for contact, event in history.contact_events:  # the line points at its contact, as the service's does
        event.data["contact_id"] = contact.pk
    for promise, contact in history.promises:
        promise.contact = contact
    PromiseToPay.objects.bulk_create([promise for promise, _contact in history.promises], batch_size=2000)
    Hold.objects.bulk_create(history.holds, batch_size=2000)
    Arrangement.objects.bulk_create([arrangement for arrangement, _parts in history.arrangements], batch_size=2000)
    parts = []
    for arrangement, installments in history.arrangements:
        for installment in installments:
            installment.arrangement = arrangement
            parts.append(installment)
    ArrangementInstallment.objects.bulk_create(parts, batch_size=2000)
    FieldVisit.objects.bulk_create(history.visits, batch_size=2000)
    CaseEvent.objects.bulk_create(history.events, batch_size=2000)


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
