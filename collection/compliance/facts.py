"""
What the guard reads about a case and its borrower at one moment:
`CaseFacts`. The checks (checks.py) only ever ask it; every database read
of the guard is here, and each happens once, when a rule first needs it.

Time is the borrower's local time. The zones the borrower may be in
(`zones()`) are every one that is known: their own zone (Borrower.time_zone),
their address's province or state, and the area of each of their own
numbers (lending/phones.py); a contact must be within the hours in every
one of them (Regulation F's rule for conflicting information). "Today" and
"the last 7 days" are calendar days in the primary zone (`zone`: their own
zone, else the address's, else their first number's): today and the six
days before it. Counts are per borrower, over all their cases, collectors
and agencies.

Queries: a check reads the borrower's active holds (one query) and, when a
rule needs them, the borrower's contact attempts in the window (one query on
the (borrower, -occurred_at) index) and the history of the third-party
points concerned (one query). `contact_points_verdicts` shares one
`CaseFacts` between all points, so it runs the same few queries for any
number of them. The numbers (`numbers()`, one query for all the borrower's
points) are the borrower's own telephone numbers (for their zones) and the
marks on any of their numbers, whoever's record they were made on: a
PhoneNumberMark, an attempt on any point of the number whose outcome marks
it (a third party's refusal, a wrong number: also those logged before marks
were kept), or another contact point with the same number flagged
do-not-contact.
"""

import datetime
from dataclasses import dataclass
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.db.models import BooleanField, CharField, DateTimeField, F, Min, Q, Value, When
from django.db.models import Case as DbCase
from django.utils import timezone

from collection.compliance.profiles import profile_for
from collection.compliance.rules import BORROWER_HOLDS, OUTCOME_NUMBER_MARKS, WINDOW_DAYS
from collection.models import AnsweredBy, CaseAccount, ContactAttempt, Hold, Outcome, Portfolio
from lending.models import ContactPoint, PhoneNumberMark
from lending.phones import address_zones, borrower_zones, known_zone

PHONE_KINDS = (ContactPoint.Kind.MOBILE, ContactPoint.Kind.HOME_PHONE, ContactPoint.Kind.WORK_PHONE)
# A do-not-contact flag on another record of the same number (the lender's), as `numbers()` reads it.
FLAGGED = "flagged"
_OWN = "own"


@dataclass(frozen=True)
class NumberMark:
    """Why a number is not called: a PhoneNumberMark's kind and date, or FLAGGED (no date)."""

    kind: str
    recorded_at: datetime.datetime | None


@dataclass(frozen=True)
class Attempt:
    """One of the borrower's contact attempts, as the rules see it (its date in the borrower's zone)."""

    local_date: datetime.date
    channel: str
    direction: str
    answered_by: str
    outcome: str
    point_owner: str | None


class CaseFacts:
    """
    What the guard knows about one case at one moment; each read happens once,
    when a rule first needs it. A message about an account that is in no case
    (a reminder before the due date) is judged with `case=None` and the
    account: the borrower's flags, borrower-wide holds, consent, the point and
    the hours apply as for a case, under the portfolio of the account's product.
    """

    def __init__(self, case, at, *, account=None):
        self.case = case
        self.account = account
        if case is not None:
            self.borrower = case.borrower
            self.profile = profile_for(case.portfolio)
        else:
            self.borrower = account.borrower
            self.profile = profile_for(account_portfolio(account))
        self.at = at
        self._holds = None
        self._attempts = None
        self._third_party = {}
        self._own_numbers = None
        self._marks = None
        self._zones = None
        self.zone = self._primary_zone()
        self.local = timezone.localtime(at, self.zone) if self.zone else None
        self.today = self.local.date() if self.local else timezone.localdate(at)

    # Time zones: the primary one (for "today"), and every one the borrower may be in.
    def _primary_zone(self):
        time_zone, province = self.borrower.time_zone, self.borrower.province
        if time_zone:
            return _zone(time_zone)  # the lender's word, right or wrong (a wrong one is refused: correct it)
        from_address = address_zones(province)
        if from_address:
            return _zone(from_address[0])
        zones = self.zones()  # only now the numbers: neither the zone nor the address tells it
        return _zone(zones[0]) if zones else None

    def zones(self) -> tuple[str, ...]:
        """Every zone the borrower may be in, the primary first; () when none is known."""
        if self._zones is None:
            self.numbers()
            marks = self._marks
            # A number that reaches someone else says nothing about where the borrower is.
            own = [
                number
                for number in self._own_numbers
                if not any(mark.kind == PhoneNumberMark.Kind.WRONG_NUMBER for mark in marks.get(number, ()))
            ]
            self._zones = tuple(
                zone
                for zone in borrower_zones(
                    time_zone=self.borrower.time_zone, province=self.borrower.province, numbers=own
                )
                if known_zone(zone)
            )
        return self._zones

    # Numbers: the borrower's own (for their zones) and the marks on any of their numbers, in one query.
    def numbers(self) -> None:
        if self._marks is not None:
            return
        mine = ContactPoint.objects.filter(borrower_id=self.borrower.pk, kind__in=PHONE_KINDS).exclude(number_e164="")
        numbers = mine.values("number_e164")
        columns = ("number_e164", "tag", "at", "primary")
        marks = (
            PhoneNumberMark.objects.filter(number_e164__in=numbers)
            .annotate(tag=F("kind"), at=F("recorded_at"), primary=Value(False, BooleanField()))
            .values_list(*columns)
            .order_by()
        )
        flagged = (
            ContactPoint.objects.filter(number_e164__in=numbers, do_not_contact=True)
            .annotate(
                tag=Value(FLAGGED, CharField()), at=Value(None, DateTimeField()), primary=Value(False, BooleanField())
            )
            .values_list(*columns)
            .order_by()
        )
        # Outcomes logged before a mark was kept (or without one): the same refusal, read from the attempt.
        said = (
            ContactAttempt.objects.filter(
                contact_point__number_e164__in=numbers, outcome__in=list(OUTCOME_NUMBER_MARKS)
            )
            .annotate(
                number_e164=F("contact_point__number_e164"),
                tag=DbCase(
                    *(When(outcome=outcome, then=Value(kind.value)) for outcome, kind in OUTCOME_NUMBER_MARKS.items()),
                    output_field=CharField(),
                ),
                at=F("occurred_at"),
                primary=Value(False, BooleanField()),
            )
            .values_list(*columns)
            .order_by()
        )
        own = (
            mine.filter(owner=ContactPoint.Owner.BORROWER)
            .annotate(tag=Value(_OWN, CharField()), at=Value(None, DateTimeField()), primary=F("is_primary"))
            .values_list(*columns)
            .order_by()
        )
        self._marks, own_numbers = {}, []
        for number, tag, recorded_at, primary in marks.union(flagged, said, own, all=True):
            if tag == _OWN:
                own_numbers.append((not primary, number))
            else:
                self._marks.setdefault(number, []).append(NumberMark(tag, recorded_at))
        # The primary number first, then the rest in a stable order.
        self._own_numbers = list(dict.fromkeys(number for _secondary, number in sorted(own_numbers)))

    def number_marks(self, number: str) -> list[NumberMark]:
        """The marks on one number (E.164): a PhoneNumberMark first, then the lender's flags on its other records."""
        if not number:
            return []
        self.numbers()
        marks = self._marks.get(number, [])
        return sorted(marks, key=lambda mark: (mark.kind == FLAGGED, mark.recorded_at or self.at))

    # Holds: this case's, and the borrower-wide ones on any of the borrower's cases.
    def holds(self) -> set[str]:
        if self._holds is None:
            borrower_wide = Q(case__borrower_id=self.borrower.pk, kind__in=BORROWER_HOLDS)
            # Without a case only the holds that follow the borrower apply (a dispute holds its own case).
            which = borrower_wide if self.case is None else Q(case_id=self.case.pk) | borrower_wide
            self._holds = set(Hold.objects.filter(which, released_at__isnull=True).values_list("kind", flat=True))
        return self._holds

    # The borrower's attempts over the longest window any rule looks back over.
    def window_days(self) -> int:
        return max(WINDOW_DAYS, self.profile.unreachable_days)

    def attempts(self) -> list[Attempt]:
        if self._attempts is None:
            first_day = self.today - datetime.timedelta(days=self.window_days() - 1)
            start = _local_midnight(first_day, self.zone)
            end = _local_midnight(self.today + datetime.timedelta(days=1), self.zone)
            rows = ContactAttempt.objects.filter(
                borrower_id=self.borrower.pk, occurred_at__gte=start, occurred_at__lt=end
            ).values_list("occurred_at", "channel", "direction", "answered_by", "outcome", "contact_point__owner")
            self._attempts = [
                Attempt(timezone.localtime(occurred_at, self.zone).date(), *rest) for occurred_at, *rest in rows
            ]
        return self._attempts

    def attempts_since(self, days: int) -> list[Attempt]:
        """Attempts on today and the `days - 1` local days before it."""
        first_day = self.today - datetime.timedelta(days=days - 1)
        return [attempt for attempt in self.attempts() if attempt.local_date >= first_day]

    # Third-party points: ever refused, ever reached.
    def third_party_history(self, point_ids) -> None:
        wanted = [point_id for point_id in point_ids if point_id not in self._third_party]
        if not wanted:
            return
        for point_id in wanted:
            self._third_party[point_id] = (False, 0)
        rows = ContactAttempt.objects.filter(borrower_id=self.borrower.pk, contact_point_id__in=wanted).filter(
            Q(outcome=Outcome.THIRD_PARTY_REFUSED) | Q(answered_by=AnsweredBy.THIRD_PARTY)
        )
        for point_id, outcome, answered_by in rows.values_list("contact_point_id", "outcome", "answered_by"):
            refused, reached = self._third_party[point_id]
            self._third_party[point_id] = (
                refused or outcome == Outcome.THIRD_PARTY_REFUSED,
                reached + (answered_by == AnsweredBy.THIRD_PARTY),
            )

    def third_party(self, point_id) -> tuple[bool, int]:
        """(ever refused, times reached) for one third-party point."""
        self.third_party_history([point_id])
        return self._third_party[point_id]

    @property
    def last_right_party_contact_at(self):
        return self.case.last_right_party_contact_at if self.case is not None else None

    def oldest_unpaid_due_on(self) -> datetime.date:
        if self.case is None:
            return self.account.oldest_unpaid_due_on or self.today
        oldest = CaseAccount.objects.filter(case_id=self.case.pk, left_on__isnull=True).aggregate(
            oldest=Min("account__oldest_unpaid_due_on")
        )["oldest"]
        return oldest or self.case.opened_on


def account_portfolio(account) -> Portfolio:
    """The portfolio an account's case would be opened in: its product's (the lowest id), else the default one."""
    portfolio = Portfolio.objects.filter(products__id=account.product_id).order_by("pk").first()
    return portfolio or Portfolio.objects.get(is_default=True)


def primary_zone(case, at=None):
    """
    The borrower's primary zone (their own, else their address's, else their
    first number's), or None when none is known: for whatever must pick one
    local day for the borrower (a visit's day). Only the guard knows whether a
    contact fits every zone they may be in.
    """
    return CaseFacts(case, at or timezone.now()).zone


def _zone(name: str):
    # An unknown or empty zone is None: the rules that need local time then refuse (Rule.TIME_ZONE).
    try:
        return ZoneInfo(name) if name else None
    except (ZoneInfoNotFoundError, ValueError):
        return None


def _local_midnight(day: datetime.date, zone) -> datetime.datetime:
    midnight = datetime.datetime.combine(day, datetime.time.min)
    return midnight.replace(tzinfo=zone) if zone else timezone.make_aware(midnight)
