"""
The parts of a case's past a lead decides or a field agent does: a hardship
repayment plan (a recent one still waits for the lead's approval) and a field
visit (requested, scheduled for today, or done with its report).
"""

import datetime
from decimal import Decimal

from collection import events
from collection.demo.rows import _local_moment
from collection.models import (
    AnsweredBy,
    Arrangement,
    ArrangementInstallment,
    ArrangementKind,
    ArrangementStatus,
    FieldVisit,
    Outcome,
    VisitStatus,
)


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
