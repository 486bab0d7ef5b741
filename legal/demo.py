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

from accounts.demo import demo_locale
from accounts.models import User
from accounts.permissions import Capability, user_can
from collection.models import Case, CaseStatus, Hold, Portfolio, Stage
from collection.selectors.cases import cases_visible_to
from legal.litigation import court, evidence, files
from legal.litigation.files import LitigationError
from legal.models import Document, Evidence, FileStatus, Hearing, LegalPolicy, LetterKind, LitigationFile

logger = logging.getLogger(__name__)

F = FileStatus
# The files the demo opens, in this order, each on its own long-overdue case.
PLAN = (
    F.ENFORCEMENT,
    F.JUDGMENT,
    F.HEARING_SCHEDULED,
    F.CLOSED_WON,
    F.PREPARING,
    F.REFERRED,
    F.AWAITING_APPROVAL,
    F.ACCEPTED,
    F.CLOSED_SETTLED,
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

# The demo's facts in the demo's two locales: what a legal officer would have typed.
TEXTS = {
    "en": {
        "court": "Shanghai Pudong New Area People's Court",
        "place": "Court room 3, 1 Dingxiang Road",
        "lawyer": "Zhang & Partners Law Firm",
        "contract": ("Signed credit contract", "Lender's e-signature platform", "The loan, its amount and terms"),
        "identity": ("Borrower's identity card (copy)", "Collected at account opening", "Who the borrower is"),
        "statement": ("Statement of account", "Lender's core system", "The amounts due and unpaid"),
        "contract_title": "Consumer credit contract",
        "identity_title": "Identity document — copy for the court",
        "statement_title": "Statement of account",
    },
    "zh": {
        "court": "上海市浦东新区人民法院",
        "place": "丁香路1号 第三法庭",
        "lawyer": "张氏律师事务所",
        "contract": ("已签署的借款合同", "出借人电子签约平台", "借款事实、金额及约定"),
        "identity": ("借款人身份证复印件", "开户时采集", "借款人身份"),
        "statement": ("账户对账单", "出借人核心系统", "应还未还金额"),
        "contract_title": "消费信贷合同",
        "identity_title": "身份证明（供法院使用的复印件）",
        "statement_title": "账户对账单",
    },
}

DEMO_FILES_EXIST = "The litigation demo is already loaded: nothing was added."


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
        raise ValueError("Load the demo staff first (manage.py seed_demo_staff).")
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


def _final_notice(case: Case, *, today: datetime.date, actor) -> bool:
    """A final notice dated NOTICE_DAYS_AGO, through the letters' own pipeline; False if it may not go."""
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
                issued_on=today - datetime.timedelta(days=NOTICE_DAYS_AGO),
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


def _advance(file: LitigationFile, target: str, *, today, texts, officer, n: int, result) -> LitigationFile:
    """Take an accepted file to `target` through the services, with dates a real file would have."""
    if target in (F.ACCEPTED, F.AWAITING_APPROVAL):
        return file
    files.file_assign(file=file, legal_officer=officer, outside_lawyer=texts["lawyer"], actor=officer)
    files.file_prepare(file=file, actor=officer)
    result.exhibits += _exhibits(file, texts=texts, actor=officer)
    if target == F.PREPARING:
        return file
    court.cost_add(
        file=file,
        kind="court_fee",
        amount=file.court_fee_estimate or Decimal("50.00"),
        incurred_on=today,
        actor=officer,
    )
    filed_on = today - datetime.timedelta(days=60 if target != F.HEARING_SCHEDULED else 20)
    files.file_filing_record(
        file=file,
        court=texts["court"],
        court_case_number=f"({today.year})沪0115民初{1000 + n}号",
        filed_on=filed_on,
        actor=officer,
    )
    if target == F.HEARING_SCHEDULED:
        court.hearing_add(
            file=file,
            starts_at=_at(today + datetime.timedelta(days=5 + 4 * n % 30), 9),
            place=texts["place"],
            actor=officer,
        )
        return file
    if target == F.CLOSED_SETTLED:
        return files.file_close(file=file, outcome=F.CLOSED_SETTLED, actor=officer)
    hearing = court.hearing_add(
        file=file, starts_at=_at(filed_on + datetime.timedelta(days=30), 9), place=texts["place"], actor=officer
    )
    court.hearing_outcome_set(hearing=hearing, outcome=Hearing.Outcome.HELD, actor=officer)
    judged_on = today - datetime.timedelta(days=5 if target == F.JUDGMENT else 25)
    court.judgment_record(
        file=file,
        judged_on=judged_on,
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
    enforcement = court.enforcement_apply(
        file=file,
        applied_on=judged_on + datetime.timedelta(days=17),
        court_reference=f"({today.year})沪0115执{500 + n}号",
        actor=officer,
    )
    account = court.recovery_accounts(file).first().account
    share = Decimal("0.30") if target == F.ENFORCEMENT else Decimal("0.50")
    amount = max(Decimal("1.00"), (file.claim_total * share).quantize(Decimal("0.01")))
    court.recovery_record(
        enforcement=enforcement,
        account=account,
        amount=amount,
        received_on=today - datetime.timedelta(days=2),
        actor=officer,
    )
    if target == F.CLOSED_WON:
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
    for case in candidates:
        if not plan:
            break
        # The approval step wants one of the largest claims; any other step takes the case as it comes.
        large = F.AWAITING_APPROVAL in plan and case_claim_over_threshold(case, today)
        if large:
            index = plan.index(F.AWAITING_APPROVAL)
        else:
            fitting = [i for i, step in enumerate(plan) if step != F.AWAITING_APPROVAL]
            if not fitting:
                continue
            index = fitting[0]
        target = plan[index]
        referrer = _referrer(case)
        if referrer is None:
            continue
        ready, others_pass = _checks_pass(case, today)
        if not others_pass:
            continue
        if not ready:
            if not _final_notice(case, today=today, actor=officer):
                continue
            result.notices += 1
            if not _checks_pass(case, today)[0]:
                continue
        plan.pop(index)
        if target is None:
            continue  # left for a collector to refer
        try:
            with transaction.atomic():
                file = case_refer(case=case, actor=referrer, today=today)
                if target != F.REFERRED:
                    file = referral_accept(file=file, actor=officer, today=today)
                    if file.status == F.AWAITING_APPROVAL and target != F.AWAITING_APPROVAL:
                        file = referral_approve(file=file, actor=manager)
                    file = _advance(
                        file,
                        target,
                        today=today,
                        texts=texts,
                        officer=officer,
                        n=len(plan),
                        result=result,
                    )
        except LitigationError as error:
            logger.warning("demo: case %s left out of the legal demo: %s", case.pk, error)
            plan.insert(index, target)
            continue
        file.refresh_from_db()
        result.files[file.status] = result.files.get(file.status, 0) + 1
    return result
