"""
What a court bundle says, read once from the file's current data: the parties,
the claim, the accounts with their schedules, payments and the legal cap, the
contact history, the demand letters and the exhibits (their stored bytes,
checked against the SHA-256 recorded when they were stored).

Nothing here reads the clock: the bundle's date is the file's (the day its
claim was computed, else the day it was referred), so a rebuild from unchanged
data says the same thing.
"""

import datetime
import hashlib
from dataclasses import dataclass, field
from decimal import Decimal

from django.conf import settings
from django.db.models import Prefetch
from django.utils import formats, timezone

from collection.models import ContactAttempt
from collection.selectors.case_page import Amounts, account_panel, case_accounts
from legal.bundles.problems import BundleProblem, Problem
from legal.models import DEMAND_KINDS, Document, Evidence, LitigationFile
from lending.models import ContactPoint, Payment, PaymentAllocation

# Used when the deployment names no lender (settings.ARREARS_LENDER).
FALLBACK_LENDER = {
    "name": {"en": "The lender", "zh-hans": "出借人"},
    "address_lines": {"en": [], "zh-hans": []},
    "phone": "",
    "email": "",
    "licence": {"en": "", "zh-hans": ""},
    "signatory_name": {"en": "", "zh-hans": ""},
    "signatory_title": {"en": "", "zh-hans": ""},
}


def _in_language(value, language: str):
    """A lender setting that may differ by language: {"en": ..., "zh-hans": ...} or one value for all."""
    if isinstance(value, dict):
        return value.get(language) or value.get("en") or next(iter(value.values()), "")
    return value


def lender_particulars(language: str) -> dict:
    lender = getattr(settings, "ARREARS_LENDER", None) or FALLBACK_LENDER
    keys = ("name", "address_lines", "phone", "email", "licence", "signatory_name", "signatory_title")
    return {key: _in_language(lender.get(key, FALLBACK_LENDER[key]), language) for key in keys}


@dataclass
class AccountStatement:
    """One account of the case: lending's schedule rows with the cap (collection's panel) and every payment."""

    panel: object  # collection.selectors.case_page.AccountPanel
    payments: list = field(default_factory=list)

    @property
    def account(self):
        return self.panel.account

    @property
    def currency(self) -> str:
        return self.panel.currency

    @property
    def first_due(self):
        return self.panel.rows[0].installment.due_on if self.panel.rows else None

    @property
    def last_due(self):
        return self.panel.rows[-1].installment.due_on if self.panel.rows else None

    @property
    def interest_rate(self) -> str:
        """The product's annual interest rate as a percentage in the active language: 0.1800 -> "18.00%"."""
        return _percent(self.account.product.annual_interest_rate, 2)

    @property
    def penalty_rate(self) -> str:
        return _percent(self.account.product.daily_penalty_rate, 4)


def _percent(rate: Decimal, places: int) -> str:
    return formats.number_format(rate * 100, decimal_pos=places, use_l10n=True) + "%"


@dataclass
class Attachment:
    """A stored PDF merged into the bundle: a demand letter or an exhibit."""

    kind: str  # "letter" or "exhibit"
    number: int
    title: str
    sha256: str
    content: bytes
    source: object  # the Document or the Evidence
    pages: int = 0  # set when the builder opens it


@dataclass
class BundleData:
    file: LitigationFile
    language: str
    bundle_date: datetime.date
    lender: dict
    borrower: object
    address: str
    statements: list[AccountStatement]
    claim: Amounts
    claim_fees_court: Decimal
    currency: str
    contacts: list
    letters: list[Attachment]
    exhibits: list[Attachment]

    @property
    def case(self):
        return self.file.case


def bundle_date_of(file: LitigationFile) -> datetime.date:
    """The date the bundle speaks as of: fixed to the file's data, never to the day it is built."""
    return file.claim_computed_on or timezone.localdate(file.referred_at)


def _statements(case, as_of: datetime.date) -> list[AccountStatement]:
    """The accounts still in the case, each with every payment and what it paid (not only the latest)."""
    memberships = [membership for membership in case_accounts(case) if membership.left_on is None]
    allocations = PaymentAllocation.objects.select_related("installment").order_by(
        "installment__due_on", "installment__number", "component", "id"
    )
    payments = (
        Payment.objects.filter(account__in=[membership.account_id for membership in memberships])
        .order_by("received_at", "id")
        .prefetch_related(Prefetch("allocations", queryset=allocations))
    )
    by_account: dict[int, list] = {}
    for payment in payments:
        by_account.setdefault(payment.account_id, []).append(payment)
    return [
        AccountStatement(panel=account_panel(membership, as_of), payments=by_account.get(membership.account_id, []))
        for membership in memberships
    ]


def _claim(file: LitigationFile, statements: list[AccountStatement]) -> Amounts:
    """The file's claim as computed (penalty within the cap); before it was computed, what the accounts owe."""
    if file.claim_computed_on:
        return Amounts(
            principal=file.claim_principal,
            interest=file.claim_interest,
            fees=file.claim_fees,
            penalty=file.claim_penalty,
        )
    total = Amounts()
    for statement in statements:
        total.add(statement.panel.outstanding)
    return total


def _address(borrower) -> str:
    """The borrower's own postal address (never a third party's), else their city as lending knows it."""
    point = (
        ContactPoint.objects.filter(
            borrower=borrower,
            owner=ContactPoint.Owner.BORROWER,
            kind__in=[ContactPoint.Kind.HOME_ADDRESS, ContactPoint.Kind.WORK_ADDRESS],
        )
        .order_by("-is_primary", "kind", "id")
        .first()
    )
    if point is not None:
        return point.value
    return " ".join(part for part in (borrower.province, borrower.city, borrower.district) if part)


def _stored_bytes(fieldfile, expected_sha256: str, kind: str, number: int) -> bytes:
    """The stored file's bytes, refused if they are missing or differ from the hash recorded when stored."""
    try:
        with fieldfile.open("rb") as handle:
            content = handle.read()
    except (OSError, ValueError):
        raise BundleProblem(Problem.MISSING, kind=kind, number=number) from None
    if hashlib.sha256(content).hexdigest() != expected_sha256:
        raise BundleProblem(Problem.ALTERED, kind=kind, number=number)
    return content


def _letters(case) -> list[Attachment]:
    documents = Document.objects.filter(case=case, kind__in=list(DEMAND_KINDS)).order_by("issued_on", "id")
    letters = []
    for number, document in enumerate(documents, start=1):
        content = _stored_bytes(document.file, document.sha256, "letter", number)
        title = f"{document.get_kind_display()} {document.issued_on.isoformat()}"
        letters.append(Attachment("letter", number, title, document.sha256, content, document))
    return letters


def _exhibits(file: LitigationFile) -> list[Attachment]:
    exhibits = []
    for number, evidence in enumerate(Evidence.objects.filter(file=file).order_by("position", "id"), start=1):
        content = _stored_bytes(evidence.stored, evidence.sha256, "exhibit", number)
        exhibits.append(Attachment("exhibit", number, evidence.name, evidence.sha256, content, evidence))
    return exhibits


def bundle_data_read(file: LitigationFile, language: str) -> BundleData:
    file = LitigationFile.objects.select_related("case__borrower", "case__portfolio").get(pk=file.pk)
    case = file.case
    as_of = bundle_date_of(file)
    statements = _statements(case, as_of)
    contacts = list(
        ContactAttempt.objects.filter(case=case)
        .order_by("occurred_at", "id")
        .only("occurred_at", "channel", "direction", "answered_by", "outcome", "duration_seconds")
    )
    currency = statements[0].currency if statements else file.currency
    return BundleData(
        file=file,
        language=language,
        bundle_date=as_of,
        lender=lender_particulars(language),
        borrower=case.borrower,
        address=_address(case.borrower),
        statements=statements,
        claim=_claim(file, statements),
        claim_fees_court=file.court_fee_estimate,
        currency=currency,
        contacts=contacts,
        letters=_letters(case),
        exhibits=_exhibits(file),
    )
