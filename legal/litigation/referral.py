"""
Referring a case to legal, and deciding the referral.

    (case) --case_refer--> referred --referral_accept--> accepted
                                    \\                  \\-> awaiting approval --referral_approve--> accepted
                                     \\--referral_reject--> rejected (the case returns to its stage)

`referral_checklist` is what a case must meet to be referred, evaluated from
the data: each CheckItem is a code, whether it passed and its facts (codes,
amounts as strings, ISO dates), stored as it stood on the file; the sentence
is made for the reader (`check_item_text`). A collector or team lead refers
(REFER_TO_LEGAL) a case they see, only when every check passes; the case
moves to the stage "legal", which takes it out of the collectors' queues and
makes its page read-only for them (collection/views/access.py). A legal
officer (WORK_LEGAL) accepts — the claim is computed then
(legal/litigation/claim.py), and a claim above the policy's
`manager_approval_above` waits for a manager (APPROVE_LITIGATION) — or
rejects with reasons, which returns the case to the stage it came from.

Every step writes the file's status history, the case timeline and the audit
trail in one transaction; the sentences of the timeline codes are here too.
"""

import datetime
from dataclasses import asdict, dataclass

from django.db import IntegrityError, transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.dateparse import parse_date
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts.permissions import Capability, user_can
from accounts.services import audit_record
from accounts.templatetags.arrears import money
from collection.events import EventFacts
from collection.models import Case, CaseStatus, EventKind, Hold, HoldKind, Stage, StageChange
from collection.selectors.cases import cases_visible_to
from collection.services.timeline import event_record
from collection.timeline import short_date
from legal.litigation.claim import claim_compute
from legal.litigation.files import LitigationError
from legal.models import ENDED_STATUSES, Document, FileStatus, FileStatusChange, LetterKind, LitigationFile
from lending.services import lender_today

# --- The checklist ----------------------------------------------------------------------------------

BALANCE = "balance"
FINAL_NOTICE = "final_notice"
NO_DISPUTE = "no_dispute_or_hardship"
NOT_DECEASED_OR_BANKRUPT = "not_deceased_or_bankrupt"
WITHIN_LIMITATION = "within_limitation"
CHARGES_WITHIN_CAP = "charges_within_cap"
CHECK_CODES = (BALANCE, FINAL_NOTICE, NO_DISPUTE, NOT_DECEASED_OR_BANKRUPT, WITHIN_LIMITATION, CHARGES_WITHIN_CAP)

BLOCKING_HOLDS = (HoldKind.DISPUTE, HoldKind.HARDSHIP_REVIEW)
INCAPACITY_HOLDS = (HoldKind.DECEASED, HoldKind.BANKRUPTCY)


@dataclass(frozen=True)
class CheckItem:
    code: str
    passed: bool
    facts: dict


def referral_checklist(*, case: Case, today: datetime.date | None = None) -> list[CheckItem]:
    """Each condition of a referral, evaluated now, in CHECK_CODES order."""
    from legal.limitation import case_limitation, legal_policy_for

    today = today or lender_today()
    policy = legal_policy_for(case.portfolio)
    claim = claim_compute(case, today, policy=policy)
    currency = claim.currency
    items = [
        CheckItem(
            BALANCE,
            claim.balance >= policy.min_referral_balance,
            {"balance": str(claim.balance), "minimum": str(policy.min_referral_balance), "currency": currency},
        )
    ]
    last_notice = Document.objects.filter(case=case, kind=LetterKind.FINAL_NOTICE).aggregate(last=Max("issued_on"))[
        "last"
    ]
    days_since = (today - last_notice).days if last_notice else None
    items.append(
        CheckItem(
            FINAL_NOTICE,
            days_since is not None and days_since >= policy.final_notice_days,
            {
                "sent_on": last_notice.isoformat() if last_notice else None,
                "days": days_since,
                "required": policy.final_notice_days,
            },
        )
    )
    held = sorted(Hold.objects.filter(case=case, released_at__isnull=True).values_list("kind", flat=True).distinct())
    blocking = [kind for kind in held if kind in BLOCKING_HOLDS]
    items.append(CheckItem(NO_DISPUTE, not blocking, {"holds": blocking}))
    borrower = case.borrower
    incapacity = []
    if borrower.is_deceased or HoldKind.DECEASED in held:
        incapacity.append("deceased")
    if borrower.is_bankrupt or HoldKind.BANKRUPTCY in held:
        incapacity.append("bankrupt")
    items.append(CheckItem(NOT_DECEASED_OR_BANKRUPT, not incapacity, {"flags": incapacity}))
    period = case_limitation(case, today)
    expires_on = period.expires_on if period else None
    items.append(
        CheckItem(
            WITHIN_LIMITATION,
            expires_on is None or expires_on >= today,
            {"expires_on": expires_on.isoformat() if expires_on else None},
        )
    )
    items.append(
        CheckItem(
            CHARGES_WITHIN_CAP,
            claim.over_cap <= 0,
            {"charges": str(claim.charges), "cap": str(claim.cap), "over": str(claim.over_cap), "currency": currency},
        )
    )
    return items


def _date(value) -> str:
    return short_date(parse_date(value)) if value else ""


def _balance_text(passed: bool, facts: dict) -> str:
    values = {
        "balance": money(facts["balance"], facts["currency"]),
        "minimum": money(facts["minimum"], facts["currency"]),
    }
    if passed:
        return _("Balance %(balance)s, at least the %(minimum)s a referral needs") % values
    return _("Balance %(balance)s, below the %(minimum)s a referral needs") % values


def _notice_text(passed: bool, facts: dict) -> str:
    if not facts.get("sent_on"):
        return _("No final notice sent yet: one must be sent %(required)s days before a referral") % facts
    values = {"date": _date(facts["sent_on"]), "days": facts["days"], "required": facts["required"]}
    if passed:
        return _("Final notice sent on %(date)s, %(days)s days ago (%(required)s needed)") % values
    return _("Final notice sent on %(date)s, only %(days)s days ago (%(required)s needed)") % values


def _holds_text(passed: bool, facts: dict) -> str:
    if passed:
        return _("No open dispute or hardship review")
    kinds = ", ".join(str(HoldKind(kind).label) for kind in facts["holds"])
    return _("Open hold: %(kinds)s") % {"kinds": kinds}


INCAPACITY_LABELS = {"deceased": gettext_lazy("deceased"), "bankrupt": gettext_lazy("bankrupt")}


def _incapacity_text(passed: bool, facts: dict) -> str:
    if passed:
        return _("The borrower is neither deceased nor bankrupt")
    what = _(" and ").join(str(INCAPACITY_LABELS[flag]) for flag in facts["flags"])
    return _("The borrower is %(what)s") % {"what": what}


def _limitation_text(passed: bool, facts: dict) -> str:
    if not facts.get("expires_on"):
        return _("No limitation period running yet")
    date = _date(facts["expires_on"])
    if passed:
        return _("Within the limitation period (it expires on %(date)s)") % {"date": date}
    return _("The limitation period expired on %(date)s") % {"date": date}


def _cap_text(passed: bool, facts: dict) -> str:
    currency = facts["currency"]
    values = {
        "charges": money(facts["charges"], currency),
        "cap": money(facts["cap"], currency),
        "over": money(facts["over"], currency),
    }
    if passed:
        return _("Charges %(charges)s within the legal cap of %(cap)s") % values
    return _("Charges %(charges)s exceed the legal cap of %(cap)s by %(over)s") % values


CHECK_TEXT = {
    BALANCE: _balance_text,
    FINAL_NOTICE: _notice_text,
    NO_DISPUTE: _holds_text,
    NOT_DECEASED_OR_BANKRUPT: _incapacity_text,
    WITHIN_LIMITATION: _limitation_text,
    CHARGES_WITHIN_CAP: _cap_text,
}


def check_item_text(item) -> str:
    """The item (a CheckItem, or a stored {"code", "passed", "facts"}) as a sentence in the reader's language."""
    if isinstance(item, dict):
        code, passed, facts = item.get("code"), item.get("passed"), item.get("facts") or {}
    else:
        code, passed, facts = item.code, item.passed, item.facts
    try:
        return CHECK_TEXT[code](bool(passed), facts)
    except (KeyError, ValueError, TypeError):
        return str(code)  # a stored item of an older shape: its code rather than a broken page


def checklist_rows(items) -> list[dict]:
    """For templates: [{"code", "passed", "text"}]."""
    rows = []
    for item in items:
        code = item["code"] if isinstance(item, dict) else item.code
        passed = item["passed"] if isinstance(item, dict) else item.passed
        rows.append({"code": code, "passed": bool(passed), "text": check_item_text(item)})
    return rows


# --- Errors the user reads -------------------------------------------------------------------------

NOT_ALLOWED_TO_REFER = gettext_lazy("You may not refer cases to legal.")
NOT_ALLOWED_TO_DECIDE = gettext_lazy("You may not decide referrals.")
NOT_ALLOWED_TO_APPROVE = gettext_lazy("You may not approve litigation.")
CASE_CLOSED = gettext_lazy("The case is closed.")
ALREADY_IN_LEGAL = gettext_lazy("The case is already with legal.")
CHECKS_FAILED = gettext_lazy("The case cannot be referred yet: %(checks)s.")
NOT_REFERRED = gettext_lazy("Only a referral waiting for a decision can be accepted or rejected.")
NOT_AWAITING = gettext_lazy("Only a file waiting for a manager's approval can be approved.")
REASONS_REQUIRED = gettext_lazy("Give the reasons for the rejection.")
OWN_DECISION = gettext_lazy("Someone other than the officer who accepted the file must approve it.")

# --- The timeline and the audit ----------------------------------------------------------------------

REFERRED = "file_referred"
ACCEPTED = "file_referral_accepted"
REJECTED = "file_referral_rejected"
APPROVED = "file_referral_approved"


def _file_facts(file: LitigationFile, **more) -> dict:
    return {"file": file.pk, "number": file.number, **more}


def _referred_text(data: dict) -> str:
    return _("Referred to legal: file %(number)s") % data


def _accepted_text(data: dict) -> str:
    values = {**data, "total": money(data["total"], data["currency"])}
    if data["to"] == FileStatus.AWAITING_APPROVAL:
        return _("Referral %(number)s accepted, claim %(total)s: waiting for a manager's approval") % values
    return _("Referral %(number)s accepted, claim %(total)s") % values


def _rejected_text(data: dict) -> str:
    return _("Referral %(number)s rejected: back to stage %(stage)s") % {
        "number": data["number"],
        "stage": Stage(data["stage"]).label,
    }


def _approved_text(data: dict) -> str:
    return _("Litigation %(number)s approved by a manager") % data


EVENT_TEXT = {REFERRED: _referred_text, ACCEPTED: _accepted_text, REJECTED: _rejected_text, APPROVED: _approved_text}
AUDIT_ACTIONS = {
    "legal.referral.made": REFERRED,
    "legal.referral.accepted": ACCEPTED,
    "legal.referral.rejected": REJECTED,
    "legal.referral.approved": APPROVED,
}


def referral_events_register() -> None:
    """The timeline's and the audit trail's sentences for the referral codes (legal/litigation/__init__.py)."""
    from accounts.audit_text import audit_sentence_register
    from collection.timeline import event_text_register

    for code, render in EVENT_TEXT.items():
        event_text_register(EventKind.STATUS, code, render)
    for action, code in AUDIT_ACTIONS.items():
        audit_sentence_register(action, lambda event, render=EVENT_TEXT[code]: render(event.data))


def _record(file: LitigationFile, *, code: str, action: str, previous: str, actor, note: str = "", **more) -> None:
    now = timezone.now()
    FileStatusChange.objects.create(
        file=file, from_status=previous, to_status=file.status, changed_at=now, actor=actor, note=note
    )
    facts = EventFacts(EventKind.STATUS, code, _file_facts(file, **more))
    event_record(case=file.case, facts=facts, actor=actor, notes=note, at=now)
    audit_record(action=action, target=file, actor=actor, data=facts.data)


def _stage_move(case: Case, to: str, *, actor, today: datetime.date) -> None:
    """The case's stage as collection records it: the StageChange row and a "stage_changed" line."""
    previous = case.stage
    if previous == to:
        return
    StageChange.objects.create(case=case, changed_on=today, from_stage=previous, to_stage=to, actor=actor)
    case.stage = to
    case.save(update_fields=["stage", "updated_at"])
    facts = EventFacts(
        EventKind.STAGE, "stage_changed", {"from": previous, "to": to, "days_past_due": case.days_past_due}
    )
    event_record(case=case, facts=facts, actor=actor)


# --- The services ------------------------------------------------------------------------------------


def case_refer(*, case: Case, actor, note: str = "", today: datetime.date | None = None) -> LitigationFile:
    """Refer the case to legal when every check passes; the file keeps the checklist as it stood."""
    if not user_can(actor, Capability.REFER_TO_LEGAL):
        raise LitigationError(NOT_ALLOWED_TO_REFER)
    today = today or lender_today()
    with transaction.atomic():
        locked = Case.objects.select_for_update(of=("self",)).select_related("borrower", "portfolio")
        case = cases_visible_to(actor, locked).filter(pk=case.pk).first()
        if case is None:
            raise LitigationError(NOT_ALLOWED_TO_REFER)
        if case.status == CaseStatus.CLOSED:
            raise LitigationError(CASE_CLOSED)
        open_file = LitigationFile.objects.filter(case=case).exclude(status__in=ENDED_STATUSES).exists()
        if case.stage == Stage.LEGAL or open_file:
            raise LitigationError(ALREADY_IN_LEGAL)
        items = referral_checklist(case=case, today=today)
        failed = [check_item_text(item) for item in items if not item.passed]
        if failed:
            raise LitigationError(CHECKS_FAILED % {"checks": "; ".join(failed)})
        currency = items[0].facts["currency"]
        note = (note or "").strip()
        if case.stage == Stage.AGENCY:
            # Recalled from its agency first: the file remembers the stage the case returns to if rejected.
            from collection.agencies.recall import case_recall
            from collection.models import RecallReason

            case_recall(case=case, reason=RecallReason.LEGAL, actor=actor)
        try:
            with transaction.atomic():
                file = LitigationFile.objects.create(
                    case=case,
                    status=FileStatus.REFERRED,
                    referred_by=actor,
                    referred_at=timezone.now(),
                    referral_note=note,
                    checklist=[asdict(item) for item in items],
                    stage_before=case.stage,
                    currency=currency,
                )
        except IntegrityError:
            raise LitigationError(ALREADY_IN_LEGAL) from None
        _stage_move(case, Stage.LEGAL, actor=actor, today=today)
        _record(file, code=REFERRED, action="legal.referral.made", previous="", actor=actor, note=note)
    return file


def _locked_file(file: LitigationFile) -> LitigationFile:
    return LitigationFile.objects.select_for_update().select_related("case__portfolio").get(pk=file.pk)


def referral_accept(*, file: LitigationFile, actor, note: str = "", today: datetime.date | None = None):
    """
    Accept a referral: the claim is computed from the accounts and written on
    the file; above the policy's `manager_approval_above` it waits for a manager.
    """
    if not user_can(actor, Capability.WORK_LEGAL):
        raise LitigationError(NOT_ALLOWED_TO_DECIDE)
    from legal.limitation import legal_policy_for

    today = today or lender_today()
    with transaction.atomic():
        file = _locked_file(file)
        if file.status != FileStatus.REFERRED:
            raise LitigationError(NOT_REFERRED)
        policy = legal_policy_for(file.case.portfolio)
        claim = claim_compute(file.case, today, policy=policy)
        previous = file.status
        needs_approval = claim.total > policy.manager_approval_above
        file.status = FileStatus.AWAITING_APPROVAL if needs_approval else FileStatus.ACCEPTED
        file.claim_principal, file.claim_interest = claim.principal, claim.interest
        file.claim_penalty, file.claim_fees, file.claim_total = claim.penalty, claim.fees, claim.total
        file.court_fee_estimate, file.currency, file.claim_computed_on = claim.court_fee_estimate, claim.currency, today
        file.decided_by, file.decided_at, file.decision_note = actor, timezone.now(), (note or "").strip()
        if file.legal_officer_id is None:
            file.legal_officer = actor
        file.save()
        _record(
            file,
            code=ACCEPTED,
            action="legal.referral.accepted",
            previous=previous,
            actor=actor,
            note=file.decision_note,
            to=str(file.status),
            total=str(claim.total),
            currency=claim.currency,
        )
        _deadline_refresh(file)
    return file


def referral_reject(*, file: LitigationFile, actor, note: str, today: datetime.date | None = None):
    """
    Reject a referral (a legal officer) or a file waiting for approval (a
    manager), with reasons; the case returns to the stage it was referred from.
    """
    note = (note or "").strip()
    today = today or lender_today()
    with transaction.atomic():
        file = _locked_file(file)
        if file.status == FileStatus.REFERRED:
            if not user_can(actor, Capability.WORK_LEGAL):
                raise LitigationError(NOT_ALLOWED_TO_DECIDE)
        elif file.status == FileStatus.AWAITING_APPROVAL:
            if not user_can(actor, Capability.APPROVE_LITIGATION):
                raise LitigationError(NOT_ALLOWED_TO_APPROVE)
        else:
            raise LitigationError(NOT_REFERRED)
        if not note:
            raise LitigationError(REASONS_REQUIRED, field="note")
        previous = file.status
        file.status = FileStatus.REJECTED
        file.decided_by, file.decided_at, file.decision_note = actor, timezone.now(), note
        file.closed_on = today
        file.next_deadline_on = None
        file.save()
        back_to = file.stage_before or Stage.LATE
        case = Case.objects.select_for_update().get(pk=file.case_id)
        _stage_move(case, back_to, actor=actor, today=today)
        file.case = case
        _record(
            file,
            code=REJECTED,
            action="legal.referral.rejected",
            previous=previous,
            actor=actor,
            note=note,
            stage=back_to,
        )
    return file


def referral_approve(*, file: LitigationFile, actor, note: str = "") -> LitigationFile:
    """A manager approves a file whose claim is above the portfolio's amount; it is then accepted."""
    if not user_can(actor, Capability.APPROVE_LITIGATION):
        raise LitigationError(NOT_ALLOWED_TO_APPROVE)
    with transaction.atomic():
        file = _locked_file(file)
        if file.status != FileStatus.AWAITING_APPROVAL:
            raise LitigationError(NOT_AWAITING)
        if file.decided_by_id == actor.pk:
            raise LitigationError(OWN_DECISION)
        previous = file.status
        file.status = FileStatus.ACCEPTED
        file.approved_by, file.approved_at = actor, timezone.now()
        file.save(update_fields=["status", "approved_by", "approved_at", "updated_at"])
        _record(
            file,
            code=APPROVED,
            action="legal.referral.approved",
            previous=previous,
            actor=actor,
            note=(note or "").strip(),
        )
        _deadline_refresh(file)
    return file


def _deadline_refresh(file: LitigationFile) -> None:
    from legal.litigation.files import file_deadline_refresh

    file_deadline_refresh(file=file)
