"""
The legal demo (`seed_demo_legal`), run after the collection demo: the
default letter templates, a legal policy for each demo portfolio, final
notices on some long-overdue cases, and litigation files in every state a
legal officer meets — referred, awaiting a manager's approval, accepted,
preparing with its exhibits, filed with a hearing coming, judged with the
appeal window open, in enforcement with an amount recovered, closed.

Everything goes through the real services (the letters' `letter_generate`,
the referral's `case_refer` / `referral_accept` / `referral_approve`, this
package's file, court and evidence services), so the demo's data is what the
product itself would have written: timelines, audit rows, payments allocated,
limitation restarts. Exhibits are small real PDFs rendered by
documents.pdf. Running it again on a database that has files adds nothing.
"""

import datetime
import logging
import random
from dataclasses import dataclass, field
from decimal import Decimal

from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone
from django.utils.html import escape
from django.utils.translation import gettext_lazy

from accounts.demo import demo_locale
from accounts.models import User
from accounts.permissions import Capability, user_can
from collection.models import Case, CaseEvent, CaseStatus, Hold, Portfolio, Stage, StageChange
from collection.selectors.cases import cases_visible_to
from legal.demo_texts import TEXTS
from legal.litigation import court, evidence, files
from legal.litigation.files import LitigationError
from legal.models import (
    Document,
    EnforcementRecovery,
    Evidence,
    FileStatus,
    FileStatusChange,
    Hearing,
    LegalPolicy,
    LetterKind,
    LitigationFile,
)

logger = logging.getLogger(__name__)

F = FileStatus
# The files the demo opens, in this order, each on its own long-overdue case.
PLAN = (
    F.CLOSED_WON,
    F.ENFORCEMENT,
    F.JUDGMENT,
    F.CLOSED_SETTLED,
    F.HEARING_SCHEDULED,
    F.PREPARING,
    F.ACCEPTED,
    F.AWAITING_APPROVAL,
    F.REFERRED,
)
# More of the states a workspace is busiest with, when the portfolio has cases enough.
PLAN_MORE = (F.REFERRED, F.HEARING_SCHEDULED, F.PREPARING)
# Cases with a final notice sent long enough ago and nothing else: a collector can refer them.
READY_TO_REFER = 3
NOTICE_DAYS_AGO = 20
# Legal is for the worst cases: the most overdue first, none before the second month past due.
MIN_DAYS_PAST_DUE = 31
# The demo portfolio's balances are small (buy now, pay later): its policy refers from this balance.
DEMO_MIN_REFERRAL_BALANCE = Decimal("300.00")

DEMO_NO_STAFF = gettext_lazy("Load the demo staff first (manage.py seed_demo_staff).")
DEMO_FILES_EXIST = gettext_lazy("The litigation demo is already loaded: nothing was added.")


@dataclass
class LegalDemoResult:
    templates: int = 0
    policies: int = 0
    notices: int = 0
    files: dict = field(default_factory=dict)
    exhibits: int = 0
    skipped: int = 0


def _staff() -> dict[str, User]:
    staff = {user.username: user for user in User.objects.filter(username__in=("legal", "manager"))}
    if "legal" not in staff or "manager" not in staff:
        raise ValueError(str(DEMO_NO_STAFF))
    return staff


def _policies(result: LegalDemoResult, candidates: list[Case]) -> None:
    """
    A policy for each demo portfolio with cases. The demo's managers approve
    the largest tenth of the claims: the threshold is the claim at the 90th
    percentile of (the first 30) long-overdue cases, so that the approval step is seen.
    """
    from legal.litigation.claim import claim_compute

    balances = sorted(claim_compute(case).total for case in candidates[:30]) or [Decimal("50000.00")]
    threshold = balances[int(len(balances) * 0.9) - 1 if len(balances) > 1 else 0]
    threshold = max(Decimal("1000.00"), (threshold // 1000) * 1000)
    for portfolio in Portfolio.objects.filter(cases__isnull=False).distinct():
        _policy, created = LegalPolicy.objects.get_or_create(
            portfolio=portfolio,
            defaults={"manager_approval_above": threshold, "min_referral_balance": DEMO_MIN_REFERRAL_BALANCE},
        )
        result.policies += int(created)


def _candidates(rng: random.Random) -> list[Case]:
    """Long-overdue open cases with no hold, not yet in legal: the worst first."""
    held = Hold.objects.filter(released_at__isnull=True).values("case_id")
    cases = list(
        Case.objects.exclude(status=CaseStatus.CLOSED)
        .exclude(stage=Stage.LEGAL)
        .exclude(pk__in=held)
        .filter(days_past_due__gte=MIN_DAYS_PAST_DUE, borrower__is_deceased=False, borrower__is_bankrupt=False)
        .select_related("borrower", "portfolio", "assigned_to", "team__lead")
        .order_by("-days_past_due", "id")[:200]
    )
    # The seed breaks ties among cases as overdue as each other.
    cases.sort(key=lambda case: (-case.days_past_due, rng.random()))
    # Chinese- and English-language borrowers alternate where both exist, so both letters and bundles are seen.
    chinese = [case for case in cases if case.borrower.language.startswith("zh")]
    others = [case for case in cases if not case.borrower.language.startswith("zh")]
    mixed = []
    while chinese or others:
        if chinese:
            mixed.append(chinese.pop(0))
        if others:
            mixed.append(others.pop(0))
    return mixed


def _referrer(case: Case) -> User | None:
    """Who refers the case: its collector, else its team's lead — whoever may refer and sees it."""
    for user in (case.assigned_to, getattr(case.team, "lead", None)):
        if (
            user is not None
            and user_can(user, Capability.REFER_TO_LEGAL)
            and cases_visible_to(user).filter(pk=case.pk).exists()
        ):
            return user
    return None


def _final_notice(case: Case, *, issued_on: datetime.date, actor) -> bool:
    """A final notice dated `issued_on`, through the letters' own pipeline; False if it may not go."""
    from collection.compliance import ContactRefused
    from legal.letters.services import LetterError, letter_generate

    if Document.objects.filter(case=case, kind=LetterKind.FINAL_NOTICE).exists():
        return True
    try:
        with transaction.atomic():
            letter_generate(
                case=case,
                kind=LetterKind.FINAL_NOTICE,
                actor=actor,
                issued_on=issued_on,
            )
    except (ContactRefused, LetterError) as error:
        logger.info("demo: no final notice for case %s: %s", case.pk, error)
        return False
    return True


def _checks_pass(case: Case, today: datetime.date) -> tuple[bool, bool]:
    """(every check passes, every check but the final notice passes)."""
    from legal.litigation.referral import FINAL_NOTICE, referral_checklist

    items = referral_checklist(case=case, today=today)
    others = all(item.passed for item in items if item.code != FINAL_NOTICE)
    return others and all(item.passed for item in items), others


def _pdf(title: str, rows: list[tuple[str, str]], note: str = "") -> bytes:
    from documents.pdf import pdf_render

    body = "".join(f"<tr><th>{escape(key)}</th><td>{escape(value)}</td></tr>" for key, value in rows)
    html = (
        '<html><head><meta charset="utf-8"><link rel="stylesheet" href="/static/css/print.css"></head>'
        f"<body><h1>{escape(title)}</h1><table>{body}</table><p>{escape(note)}</p></body></html>"
    )
    return pdf_render(html)


def _exhibits(file: LitigationFile, *, texts: dict, actor) -> int:
    """The signed contract, the identity document and the statement, as small real PDFs, through evidence_add."""
    case = file.case
    borrower = case.borrower
    account = case.case_accounts.select_related("account__product").first().account
    pages = {
        "contract": _pdf(
            texts["contract_title"],
            [
                ("Borrower / 借款人", borrower.name),
                ("Account / 账户", account.external_id),
                ("Product / 产品", account.product.name),
                ("Credit limit / 授信额度", f"{account.credit_limit} {account.product.currency}"),
                ("Signed on / 签署日期", account.opened_on.isoformat()),
            ],
            "e-signature / 电子签名 ✓",
        ),
        "identity": _pdf(
            texts["identity_title"],
            [("Name / 姓名", borrower.name), ("Borrower id / 借款人编号", borrower.external_id)],
            "DEMO — 演示",
        ),
        "statement": _pdf(
            texts["statement_title"],
            [
                ("Account / 账户", account.external_id),
                ("Days past due / 逾期天数", str(account.days_past_due)),
                ("Outstanding / 未偿余额", f"{account.outstanding_balance} {account.product.currency}"),
            ],
        ),
    }
    kinds = {
        "contract": Evidence.Kind.CONTRACT,
        "identity": Evidence.Kind.IDENTITY,
        "statement": Evidence.Kind.STATEMENT,
    }
    for key, content in pages.items():
        name, source, proves = texts[key]
        evidence.evidence_add(
            file=file,
            kind=kinds[key],
            name=name,
            source=source,
            proves=proves,
            upload=ContentFile(content, name=f"{key}.pdf"),
            actor=actor,
        )
    return len(pages)


def _at(day: datetime.date, hour: int) -> datetime.datetime:
    """A court's sitting: on `day`, or the Monday after when it falls on a weekend."""
    while day.weekday() >= 5:
        day += datetime.timedelta(days=1)
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time(hour, 0)))


# Each file's story, in days before today (a hearing below zero is still to come). A second file
# of the same state has its story three days earlier.
STORIES = {
    F.REFERRED: {"referred": 2},
    F.AWAITING_APPROVAL: {"referred": 5, "accepted": 4},
    F.ACCEPTED: {"referred": 9, "accepted": 8},
    F.PREPARING: {"referred": 16, "accepted": 15, "preparing": 14},
    F.HEARING_SCHEDULED: {"referred": 30, "accepted": 29, "preparing": 28, "filed": 22, "hearing": -12},
    F.CLOSED_SETTLED: {"referred": 34, "accepted": 33, "preparing": 32, "filed": 28, "closed": 8},
    F.JUDGMENT: {"referred": 45, "accepted": 44, "preparing": 43, "filed": 38, "hearing": 18, "judged": 4},
    F.ENFORCEMENT: {
        **{"referred": 56, "accepted": 55, "preparing": 54, "filed": 48, "hearing": 30, "judged": 28},
        **{"enforcement": 10, "recovered": 3},
    },
    F.CLOSED_WON: {
        **{"referred": 60, "accepted": 59, "preparing": 58, "filed": 52, "hearing": 35, "judged": 32},
        **{"enforcement": 15, "recovered": 6, "closed": 1},
    },
}


def _story_fits(target, case: Case, today: datetime.date) -> bool:
    """Whether the case was open long enough for the story: its final notice and referral after its opening."""
    days = STORIES.get(target, {"referred": 0})["referred"] + NOTICE_DAYS_AGO + 3 * 2
    return case.opened_on <= today - datetime.timedelta(days=days)


class _Story:
    """
    A file's dates, and the timestamps to put right afterwards: the services
    stamp what they write with the present moment, the story happened over
    months. `step(key)` marks where the rows of one step begin; `backdate()`
    moves that step's timeline lines and status changes to its day, in order.
    """

    def __init__(self, target, *, today: datetime.date, repeat: int):
        self.days = STORIES.get(target, {"referred": 0})
        self.today, self.shift = today, 3 * repeat
        self.marks: list[tuple[int, int, datetime.datetime]] = []

    def day(self, key: str) -> datetime.date:
        if key == "hearing_set":  # the court sets the hearing a week after the filing
            return self.day("filed") + datetime.timedelta(days=7)
        return self.today - datetime.timedelta(days=self.days[key] + self.shift)

    def moment(self, key: str) -> datetime.datetime:
        return timezone.make_aware(datetime.datetime.combine(self.day(key), datetime.time(10, 0)))

    def step(self, key: str) -> None:
        self.marks.append((_last_id(CaseEvent), _last_id(FileStatusChange), self.moment(key)))

    def backdate(self, case: Case, file: LitigationFile | None = None) -> None:
        ends = [(event, change) for event, change, _moment in self.marks[1:]]
        ends.append((_last_id(CaseEvent), _last_id(FileStatusChange)))
        for (event_from, change_from, moment), (event_to, change_to) in zip(self.marks, ends, strict=True):
            lines = CaseEvent.objects.filter(case=case, id__gt=event_from, id__lte=event_to).order_by("id")
            for minute, event_id in enumerate(lines.values_list("id", flat=True)):
                CaseEvent.objects.filter(pk=event_id).update(occurred_at=moment + datetime.timedelta(minutes=minute))
            if file is not None:
                changes = FileStatusChange.objects.filter(file=file, id__gt=change_from, id__lte=change_to)
                for minute, change_id in enumerate(changes.order_by("id").values_list("id", flat=True)):
                    FileStatusChange.objects.filter(pk=change_id).update(
                        changed_at=moment + datetime.timedelta(minutes=minute)
                    )
        if file is None:
            return
        fields = {"referred_at": self.moment("referred")}
        StageChange.objects.filter(case=case, to_stage=Stage.LEGAL, changed_on=self.today).update(
            changed_on=self.day("referred")
        )
        if "accepted" in self.days:
            fields["decided_at"] = self.moment("accepted")
            fields["claim_computed_on"] = self.day("accepted")
            if file.approved_at:
                fields["approved_at"] = self.moment("accepted") + datetime.timedelta(hours=3)
        if "closed" in self.days:
            fields["closed_on"] = self.day("closed")
        LitigationFile.objects.filter(pk=file.pk).update(**fields)
        if "preparing" in self.days:
            Evidence.objects.filter(file=file).update(uploaded_at=self.moment("preparing"))
        if "recovered" in self.days:
            EnforcementRecovery.objects.filter(enforcement__file=file).update(recorded_at=self.moment("recovered"))


def _last_id(model) -> int:
    return model.objects.order_by("-id").values_list("id", flat=True).first() or 0


def _advance(file: LitigationFile, target: str, *, story: _Story, texts, officer, n: int, result) -> LitigationFile:
    """Take an accepted file to `target` through the services, on the days of its story."""
    if target in (F.ACCEPTED, F.AWAITING_APPROVAL):
        return file
    story.step("preparing")
    files.file_assign(file=file, legal_officer=officer, outside_lawyer=texts["lawyer"], actor=officer)
    files.file_prepare(file=file, actor=officer)
    result.exhibits += _exhibits(file, texts=texts, actor=officer)
    if target == F.PREPARING:
        return file
    story.step("filed")
    filed_on = story.day("filed")
    court.cost_add(
        file=file,
        kind="court_fee",
        amount=file.court_fee_estimate or Decimal("50.00"),
        incurred_on=filed_on,
        actor=officer,
    )
    files.file_filing_record(
        file=file,
        court=texts["court"],
        court_case_number=f"({filed_on.year})沪0115民初{1000 + n}号",
        filed_on=filed_on,
        actor=officer,
    )
    if target == F.CLOSED_SETTLED:
        story.step("closed")
        return files.file_close(file=file, outcome=F.CLOSED_SETTLED, actor=officer)
    story.step("hearing_set")
    hearing = court.hearing_add(file=file, starts_at=_at(story.day("hearing"), 9), place=texts["place"], actor=officer)
    if target == F.HEARING_SCHEDULED:
        return file
    story.step("hearing")
    court.hearing_outcome_set(hearing=hearing, outcome=Hearing.Outcome.HELD, actor=officer)
    story.step("judged")
    court.judgment_record(
        file=file,
        judged_on=story.day("judged"),
        in_favour=True,
        principal=file.claim_principal,
        interest=file.claim_interest,
        penalty=file.claim_penalty,
        fees=file.claim_fees,
        costs=file.court_fee_estimate,
        actor=officer,
    )
    if target == F.JUDGMENT:
        return file
    story.step("enforcement")
    enforcement = court.enforcement_apply(
        file=file,
        applied_on=story.day("enforcement"),
        court_reference=f"({story.day('enforcement').year})沪0115执{500 + n}号",
        actor=officer,
    )
    story.step("recovered")
    account = court.recovery_accounts(file).first().account
    share = Decimal("0.30") if target == F.ENFORCEMENT else Decimal("0.50")
    amount = max(Decimal("1.00"), (file.claim_total * share).quantize(Decimal("0.01")))
    court.recovery_record(
        enforcement=enforcement, account=account, amount=amount, received_on=story.day("recovered"), actor=officer
    )
    if target == F.CLOSED_WON:
        story.step("closed")
        return files.file_close(file=file, outcome=F.CLOSED_WON, actor=officer)
    return file


def case_claim_over_threshold(case: Case, today: datetime.date) -> bool:
    """Whether the case's claim is above its portfolio's manager-approval amount."""
    from legal.litigation.claim import claim_compute

    policy = LegalPolicy.objects.get(portfolio=case.portfolio)
    return claim_compute(case, today, policy=policy).total > policy.manager_approval_above


def legal_demo_seed(*, seed: int, today: datetime.date | None = None) -> LegalDemoResult:
    """The legal demo; on a database that already has litigation files, nothing (LegalDemoResult.skipped)."""
    from legal.litigation.referral import case_refer, referral_accept, referral_approve

    today = today or timezone.localdate()
    result = LegalDemoResult()
    if LitigationFile.objects.exists():
        result.skipped = 1
        return result
    staff = _staff()
    officer, manager = staff["legal"], staff["manager"]
    texts = TEXTS["zh" if demo_locale() == "zh" else "en"]
    try:
        from legal.letters.defaults import letter_templates_install_defaults
    except ImportError:  # the letters part not installed: the demo still opens files
        letter_templates_install_defaults = None
    if letter_templates_install_defaults is not None:
        result.templates = letter_templates_install_defaults()
    rng = random.Random(seed)
    candidates = _candidates(rng)
    _policies(result, candidates)
    # The essential states first, then cases a collector may refer, then more files if cases remain.
    plan = [*PLAN, *([None] * READY_TO_REFER), *PLAN_MORE]
    seen: dict = {}
    for case in candidates:
        if not plan:
            break
        # The approval step wants one of the largest claims; any other step takes the case as it comes.
        large = F.AWAITING_APPROVAL in plan and case_claim_over_threshold(case, today)
        if large:
            index = plan.index(F.AWAITING_APPROVAL)
        else:
            fitting = [
                i for i, step in enumerate(plan) if step != F.AWAITING_APPROVAL and _story_fits(step, case, today)
            ]
            if not fitting:
                continue
            index = fitting[0]
        target = plan[index]
        referrer = _referrer(case)
        if referrer is None:
            continue
        story = _Story(target, today=today, repeat=seen.get(target, 0))
        # The checklist is read today (the data are today's); the story's dates are set afterwards.
        ready, others_pass = _checks_pass(case, today)
        if not others_pass:
            continue
        if not ready:
            notice = _Story(None, today=story.day("referred") - datetime.timedelta(days=NOTICE_DAYS_AGO), repeat=0)
            notice.step("referred")
            if not _final_notice(case, issued_on=notice.day("referred"), actor=officer):
                continue
            notice.backdate(case)
            result.notices += 1
            if not _checks_pass(case, today)[0]:
                continue
        plan.pop(index)
        seen[target] = seen.get(target, 0) + 1
        if target is None:
            continue  # left for a collector to refer
        try:
            with transaction.atomic():
                story.step("referred")
                file = case_refer(case=case, actor=referrer, today=today)
                if target != F.REFERRED:
                    story.step("accepted")
                    file = referral_accept(file=file, actor=officer, today=today)
                    if file.status == F.AWAITING_APPROVAL and target != F.AWAITING_APPROVAL:
                        file = referral_approve(file=file, actor=manager)
                    file = _advance(file, target, story=story, texts=texts, officer=officer, n=len(plan), result=result)
                file.refresh_from_db()
                story.backdate(case, file)
        except LitigationError as error:
            logger.warning("demo: case %s left out of the legal demo: %s", case.pk, error)
            plan.insert(index, target)
            seen[target] -= 1
            continue
        result.files[file.status] = result.files.get(file.status, 0) + 1
    return result
