"""
Reading what a period needs, for many cases at once, and writing the result
onto the cases (Case.limitation_expires_on / _restarted_on / _restarted_by).

The facts are read in about ten queries per chunk of cases, whatever its size
(the cases with their portfolio's policy, the states' periods, the accounts,
their last due dates, and one query per kind of restart), so the nightly
refresh costs a few queries per thousand cases; the arithmetic is
legal/limitation/periods.py.

A restart recorded on a case (a promise, an arrangement, a letter without an
account, a filing) is the borrower's act over every account in that case; it
counts for an account through any case the account was ever part of, so an
account that moved to a new case keeps what restarted it on the old one.
"""

import datetime
from collections import defaultdict
from collections.abc import Iterable, Iterator

from django.db import transaction
from django.db.models import Max

from collection.models import (
    Arrangement,
    ArrangementStatus,
    Case,
    CaseAccount,
    CaseStatus,
    Jurisdiction,
    LimitationStart,
    PromiseToPay,
)
from legal.limitation.periods import LimitationPeriod, Restart, earliest, period_compute
from legal.models import DEMAND_KINDS, Document, LegalPolicy, LitigationFile, StateLimitation
from lending.models import Installment, Payment
from lending.services import lender_today, local_date

CHUNK = 1000
DEFAULT_YEARS = LegalPolicy._meta.get_field("limitation_years").default


def legal_policy_for(portfolio) -> LegalPolicy:
    """The portfolio's legal policy, or an unsaved one with the defaults when it has none."""
    try:
        return portfolio.legal_policy
    except LegalPolicy.DoesNotExist:
        return LegalPolicy(portfolio=portfolio)


def borrower_state(borrower) -> str:
    """A US borrower's state: the province as a two-letter code ("ca" → "CA"), else ""."""
    code = (borrower.province or "").strip().upper()
    return code if len(code) == 2 and code.isalpha() else ""


def _chunks(ids: list[int], size: int) -> Iterator[list[int]]:
    for start in range(0, len(ids), size):
        yield ids[start : start + size]


class _Facts:
    """Everything the periods of a chunk of cases need, read in a fixed number of queries."""

    def __init__(self, case_ids: Iterable[int]):
        self.cases = list(
            Case.objects.filter(pk__in=list(case_ids))
            .select_related("portfolio__legal_policy", "borrower")
            .order_by("pk")
        )
        portfolio_ids = {case.portfolio_id for case in self.cases}
        self.state_years = {
            (portfolio_id, state): years
            for portfolio_id, state, years in StateLimitation.objects.filter(
                policy__portfolio_id__in=portfolio_ids
            ).values_list("policy__portfolio_id", "state", "years")
        }
        # The accounts now in each case, with their date of default.
        self.accounts: dict[int, list[tuple[int, datetime.date | None]]] = defaultdict(list)
        for case_id, account_id, oldest in (
            CaseAccount.objects.filter(case__in=self.cases, left_on__isnull=True)
            .order_by("case_id", "account_id")
            .values_list("case_id", "account_id", "account__oldest_unpaid_due_on")
        ):
            self.accounts[case_id].append((account_id, oldest))
        account_ids = {account_id for rows in self.accounts.values() for account_id, _oldest in rows}
        self.last_due = dict(
            Installment.objects.filter(account_id__in=account_ids)
            .values("account_id")
            .annotate(last=Max("due_on"))
            .values_list("account_id", "last")
        )
        # Every case each account was part of: a case's restarts count for its accounts.
        self.cases_of: dict[int, set[int]] = defaultdict(set)
        for case_id, account_id in CaseAccount.objects.filter(account_id__in=account_ids).values_list(
            "case_id", "account_id"
        ):
            self.cases_of[account_id].add(case_id)
        all_case_ids = {case_id for ids in self.cases_of.values() for case_id in ids}
        self.by_account: dict[int, list[Restart]] = defaultdict(list)
        self.by_case: dict[int, list[Restart]] = defaultdict(list)
        self._read_restarts(account_ids, all_case_ids)

    def _read_restarts(self, account_ids: set[int], case_ids: set[int]) -> None:
        for account_id, received_at in Payment.objects.filter(
            account_id__in=account_ids, status=Payment.Status.APPLIED
        ).values_list("account_id", "received_at"):
            self.by_account[account_id].append(Restart(local_date(received_at), LimitationStart.PAYMENT))
        for case_id, created_at in PromiseToPay.objects.filter(case_id__in=case_ids).values_list(
            "case_id", "created_at"
        ):
            self.by_case[case_id].append(Restart(local_date(created_at), LimitationStart.PROMISE))
        # An arrangement is the borrower's signed acknowledgement once it was granted (active, and
        # later completed, broken or ended); one refused or withdrawn before approval never was.
        for case_id, decided_at in (
            Arrangement.objects.filter(case_id__in=case_ids, decided_at__isnull=False)
            .exclude(status=ArrangementStatus.REJECTED)
            .values_list("case_id", "decided_at")
        ):
            self.by_case[case_id].append(Restart(local_date(decided_at), LimitationStart.ARRANGEMENT))
        for case_id, account_id, issued_on in Document.objects.filter(
            case_id__in=case_ids, kind__in=DEMAND_KINDS
        ).values_list("case_id", "account_id", "issued_on"):
            restart = Restart(issued_on, LimitationStart.DEMAND)
            if account_id is None:
                self.by_case[case_id].append(restart)
            else:
                self.by_account[account_id].append(restart)
        for case_id, filed_on in LitigationFile.objects.filter(
            case_id__in=case_ids, filed_on__isnull=False
        ).values_list("case_id", "filed_on"):
            self.by_case[case_id].append(Restart(filed_on, LimitationStart.FILING))

    def restarts(self, account_id: int) -> list[Restart]:
        found = list(self.by_account.get(account_id, ()))
        for case_id in self.cases_of.get(account_id, ()):
            found.extend(self.by_case.get(case_id, ()))
        return found

    def periods(self, case: Case, today: datetime.date) -> list[LimitationPeriod]:
        law = case.portfolio.jurisdiction
        policy = legal_policy_for(case.portfolio)
        years, state = policy.limitation_years or DEFAULT_YEARS, ""
        if law == Jurisdiction.UNITED_STATES:
            state = borrower_state(case.borrower)
            years = self.state_years.get((case.portfolio_id, state), years)
        periods = []
        for account_id, oldest_unpaid in self.accounts.get(case.pk, ()):
            start = self.last_due.get(account_id) if law == Jurisdiction.CHINA else oldest_unpaid
            periods.append(
                period_compute(
                    account_id=account_id,
                    law=law,
                    years=years,
                    start_on=start,
                    restarts=self.restarts(account_id),
                    today=today,
                    state=state,
                )
            )
        return periods


def account_limitation(account, *, case: Case, today: datetime.date | None = None) -> LimitationPeriod:
    """One account's period under `case`'s portfolio's law (the account must be in the case)."""
    today = today or lender_today()
    facts = _Facts([case.pk])
    for period in facts.periods(facts.cases[0], today):
        if period.account_id == account.pk:
            return period
    raise ValueError(f"account {account.pk} is not in case {case.pk}")


def case_limitation_periods(case: Case, today: datetime.date | None = None) -> list[LimitationPeriod]:
    """The period of every account now in the case."""
    facts = _Facts([case.pk])
    return facts.periods(facts.cases[0], today or lender_today()) if facts.cases else []


def case_limitation(case: Case, today: datetime.date | None = None) -> LimitationPeriod | None:
    """The case's period: its account that expires first (None while no account's period has started)."""
    return earliest(case_limitation_periods(case, today))


def _fields_of(period: LimitationPeriod | None) -> tuple:
    if period is None:
        return (None, None, "")
    return (period.expires_on, period.started_on, period.started_by)


def _write(facts: _Facts, today: datetime.date) -> list[int]:
    """Write each case's period where it changed; returns the ids of the cases changed."""
    changed = []
    for case in facts.cases:
        new = _fields_of(earliest(facts.periods(case, today)))
        if new != (case.limitation_expires_on, case.limitation_restarted_on, case.limitation_restarted_by):
            case.limitation_expires_on, case.limitation_restarted_on, case.limitation_restarted_by = new
            changed.append(case)
    if changed:
        Case.objects.bulk_update(
            changed, ["limitation_expires_on", "limitation_restarted_on", "limitation_restarted_by"], batch_size=500
        )
    return [case.pk for case in changed]


def _files_deadline_refresh(case_ids: list[int]) -> None:
    # An open litigation file's next deadline includes the case's expiry (legal/litigation/files.py).
    from legal.litigation.files import case_files_deadline_refresh

    with_files = (
        Case.objects.filter(pk__in=case_ids, litigation_files__isnull=False).distinct().only("pk") if case_ids else []
    )
    for case in with_files:
        case_files_deadline_refresh(case=case)


def case_limitation_refresh(*, case, today: datetime.date | None = None) -> bool:
    """
    Recompute the case's limitation expiry after something that may restart
    it (a letter, a filing) and write it; True when it changed. `case` is
    updated in place too.
    """
    today = today or lender_today()
    with transaction.atomic():
        facts = _Facts([case.pk])
        changed = _write(facts, today)
        if changed:
            stored = facts.cases[0]
            case.limitation_expires_on = stored.limitation_expires_on
            case.limitation_restarted_on = stored.limitation_restarted_on
            case.limitation_restarted_by = stored.limitation_restarted_by
            _files_deadline_refresh(changed)
    return bool(changed)


def cases_limitation_refresh(*, case_ids: list[int], today: datetime.date | None = None) -> int:
    """
    `case_limitation_refresh` for many cases at once, in the same few queries
    whatever their number (a letter batch's chunk); returns how many changed.
    """
    if not case_ids:
        return 0
    today = today or lender_today()
    with transaction.atomic():
        changed = _write(_Facts(case_ids), today)
        _files_deadline_refresh(changed)
    return len(changed)


def limitation_refresh_all(*, today: datetime.date | None = None, chunk: int = CHUNK) -> int:
    """
    The nightly refresh of every open case, chunk by chunk (each in its own
    transaction, so a long run holds no lock for long); returns how many
    cases changed. Idempotent: a second run the same day changes nothing.
    """
    today = today or lender_today()
    ids = list(Case.objects.exclude(status=CaseStatus.CLOSED).order_by("pk").values_list("pk", flat=True))
    return sum(cases_limitation_refresh(case_ids=part, today=today) for part in _chunks(ids, chunk))
