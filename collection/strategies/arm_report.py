"""
The arms of a segment's experiment side by side (`arm_report`): the cases
that entered the segment while the experiment ran, closed ones included (a
case that has left the segment is found by the steps it was given there),
counted with one set-based query grouped by arm and currency; each rate's
difference, interval and significance from statsmodels, the amounts by
Welch's t-test. The experiment's services are in experiments.py.
"""

import datetime
import math
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

from django.db.models import Case as SqlCase
from django.db.models import (
    Count,
    DecimalField,
    DurationField,
    Exists,
    ExpressionWrapper,
    F,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Sum,
    Value,
    When,
)
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.models import AuditEvent
from collection.models import (
    AnsweredBy,
    Arm,
    Case,
    CloseOutcome,
    ContactAttempt,
    Direction,
    PromiseStatus,
    PromiseToPay,
    Segment,
    StepExecution,
)
from lending.models import Payment

# --- The arms side by side -------------------------------------------------------------------------------------

# Below this many cases (or promises) in an arm, a rate is "too few cases" rather than a figure.
MIN_CASES_PER_ARM = 10
# The z-test's normal approximation holds when each arm has at least five successes and five
# failures (the textbook condition); below that the arms are "too few to compare".
MIN_EVENTS_PER_ARM = 5
# Welch's test on amounts per case leans on the central limit theorem: this many cases an arm.
MIN_CASES_FOR_AMOUNTS = 20
SIGNIFICANCE_LEVEL = 0.05
CURE_WINDOWS = (30, 60)
CURED_OUTCOMES = (CloseOutcome.CURED, CloseOutcome.PAID_IN_FULL)
CENT = Decimal("0.01")

RATE_LABELS = {
    "contact": _("Contact rate"),
    "right_party_contact": _("Right-party-contact rate"),
    "promise": _("Promise rate"),
    "promise_kept": _("Promise-kept rate"),
    "cure_30": _("Cured within 30 days"),
    "cure_60": _("Cured within 60 days"),
}
RATE_HELP = {
    "contact": _("Cases with at least one outbound contact attempt since entering, of all cases."),
    "right_party_contact": _("Cases where someone spoke to the borrower since entering, of all cases."),
    "promise": _("Cases with a promise to pay taken since entering, of all cases."),
    "promise_kept": _("Promises kept, of the promises taken since entering that fell due."),
    "cure_30": _(
        "Cases closed cured or paid within 30 days of entering, of the cases that entered 30 days ago or more."
    ),
    "cure_60": _(
        "Cases closed cured or paid within 60 days of entering, of the cases that entered 60 days ago or more."
    ),
}


@dataclass(frozen=True)
class ArmFigure:
    """`successes` of `trials`; `rate` is None when the arm has too few for a figure."""

    successes: int
    trials: int

    @property
    def enough(self) -> bool:
        return self.trials >= MIN_CASES_PER_ARM

    @property
    def rate(self) -> float | None:
        return self.successes / self.trials if self.enough else None

    @property
    def comparable(self) -> bool:
        return self.enough and min(self.successes, self.trials - self.successes) >= MIN_EVENTS_PER_ARM

    @property
    def percent(self) -> float | None:
        return None if self.rate is None else self.rate * 100


@dataclass(frozen=True)
class Comparison:
    """Challenger − champion, its 95% confidence interval, the test's z and p, and the verdict at 5%."""

    difference: float
    low: float
    high: float
    statistic: float
    p_value: float

    @property
    def significant(self) -> bool:
        return self.p_value < SIGNIFICANCE_LEVEL

    # In percentage points, for the page.
    @property
    def difference_points(self) -> float:
        return self.difference * 100

    @property
    def low_points(self) -> float:
        return self.low * 100

    @property
    def high_points(self) -> float:
        return self.high * 100


@dataclass(frozen=True)
class RateRow:
    code: str
    label: str
    help: str
    champion: ArmFigure
    challenger: ArmFigure
    comparison: Comparison | None  # None: too few cases (or successes, or failures) in an arm


@dataclass(frozen=True)
class AmountComparison:
    difference: Decimal
    low: Decimal
    high: Decimal
    statistic: float
    p_value: float

    @property
    def significant(self) -> bool:
        return self.p_value < SIGNIFICANCE_LEVEL


@dataclass(frozen=True)
class ArmAmount:
    cases: int
    total: Decimal

    @property
    def per_case(self) -> Decimal | None:
        return (self.total / self.cases).quantize(CENT, ROUND_HALF_UP) if self.cases else None


@dataclass(frozen=True)
class AmountRow:
    """Amount collected per case in one currency (a segment may span products in several)."""

    currency: str
    champion: ArmAmount
    challenger: ArmAmount
    comparison: AmountComparison | None


@dataclass
class ArmReport:
    segment: Segment
    since: datetime.date | None
    until: datetime.date
    as_of: datetime.date
    champion_name: str
    challenger_name: str
    share: int
    cases: dict = field(default_factory=dict)  # arm -> cases
    rates: list[RateRow] = field(default_factory=list)
    amounts: list[AmountRow] = field(default_factory=list)

    @property
    def champion_cases(self) -> int:
        return self.cases.get(Arm.CHAMPION, 0)

    @property
    def challenger_cases(self) -> int:
        return self.cases.get(Arm.CHALLENGER, 0)


def proportions_compare(
    *, challenger_successes: int, challenger_trials: int, champion_successes: int, champion_trials: int
) -> Comparison:
    """
    The two-proportion z-test (pooled, two-sided; statsmodels'
    `proportions_ztest`) and the 95% confidence interval of the difference
    (`confint_proportions_2indep`, Newcomb's hybrid score interval, which stays
    sensible near 0% and 100%).
    """
    # Imported here: statsmodels takes about a second to import, which only this report should pay.
    from statsmodels.stats.proportion import confint_proportions_2indep, proportions_ztest

    counts = [challenger_successes, champion_successes]
    trials = [challenger_trials, champion_trials]
    difference = challenger_successes / challenger_trials - champion_successes / champion_trials
    pooled = sum(counts) / sum(trials)
    if pooled in (0.0, 1.0):
        statistic, p_value = 0.0, 1.0  # every case alike in both arms: nothing to tell them apart
    else:
        statistic, p_value = proportions_ztest(counts, trials, alternative="two-sided")
    low, high = confint_proportions_2indep(
        challenger_successes,
        challenger_trials,
        champion_successes,
        champion_trials,
        compare="diff",
        alpha=SIGNIFICANCE_LEVEL,
    )
    return Comparison(
        difference=difference, low=float(low), high=float(high), statistic=float(statistic), p_value=float(p_value)
    )


def means_compare(
    *, challenger: tuple[int, float, float], champion: tuple[int, float, float]
) -> tuple[float, float, float, float, float]:
    """
    Welch's two-sample t-test from each arm's (cases, sum, sum of squares):
    (difference, 95% low, high, t, p). The amounts per case are far from
    normal, but with the arms' sizes this test needs the mean is.
    """
    from scipy import stats  # statsmodels' own dependency; imported late for the same reason

    (n1, sum1, squares1), (n2, sum2, squares2) = challenger, champion
    mean1, mean2 = sum1 / n1, sum2 / n2
    variance1 = max((squares1 - n1 * mean1 * mean1) / (n1 - 1), 0.0)
    variance2 = max((squares2 - n2 * mean2 * mean2) / (n2 - 1), 0.0)
    difference = mean1 - mean2
    error_squared = variance1 / n1 + variance2 / n2
    if error_squared == 0:
        return difference, difference, difference, 0.0, 1.0 if difference == 0 else 0.0
    error = math.sqrt(error_squared)
    freedom = error_squared**2 / ((variance1 / n1) ** 2 / (n1 - 1) + (variance2 / n2) ** 2 / (n2 - 1) or float("inf"))
    statistic = difference / error
    p_value = 2 * stats.t.sf(abs(statistic), freedom)
    margin = stats.t.ppf(1 - SIGNIFICANCE_LEVEL / 2, freedom) * error
    return difference, difference - margin, difference + margin, float(statistic), float(p_value)


def _flag(condition) -> SqlCase:
    return SqlCase(When(condition, then=Value(1)), default=Value(0), output_field=IntegerField())


def arm_cohort(*, segment: Segment, since: datetime.date | None, until: datetime.date) -> QuerySet[Case]:
    """
    The cases that entered `segment` between `since` and `until`, annotated
    with `entered_on` and `arm`: from their `CaseStrategy` while they are in
    the segment, else from the first step they were given there (a case that
    was closed or moved on still counts, in the arm it was in).
    """
    in_segment_now = Q(strategy_state__segment=segment)
    steps_there = StepExecution.objects.filter(case=OuterRef("pk"), segment=segment).order_by("executed_on", "id")
    had_steps = StepExecution.objects.filter(segment=segment)
    if since is not None:
        had_steps = had_steps.filter(executed_on__gte=since)
    cohort = (
        Case.objects.filter(in_segment_now | Q(pk__in=had_steps.values("case_id")))
        .annotate(
            entered_on=SqlCase(
                When(in_segment_now, then=F("strategy_state__entered_segment_on")),
                default=Subquery(steps_there.values("executed_on")[:1]),
            ),
            arm=SqlCase(
                When(in_segment_now, then=F("strategy_state__arm")),
                default=Subquery(steps_there.values("arm")[:1]),
            ),
        )
        .filter(entered_on__lte=until)
    )
    if since is not None:
        cohort = cohort.filter(entered_on__gte=since)
    return cohort


def _since_entry(model_queryset, when: str, *, as_of: datetime.date):
    """Rows of the outer case from the day it entered to `as_of` (`when`: the row's date or datetime path)."""
    return model_queryset.filter(case=OuterRef("pk"), **{f"{when}__gte": OuterRef("entered_on"), f"{when}__lte": as_of})


def _arm_totals(*, segment: Segment, since, until, as_of) -> list[dict]:
    """One row per arm and currency with every count the report needs: one query."""
    money = DecimalField(max_digits=20, decimal_places=2)
    promises = _since_entry(PromiseToPay.objects.all(), "created_at__date", as_of=as_of)
    promises_due = promises.filter(due_on__lte=as_of).exclude(status=PromiseStatus.CANCELLED)
    payments = Payment.objects.filter(
        account__case_memberships__case=OuterRef("pk"),
        status=Payment.Status.APPLIED,
        received_at__date__gte=OuterRef("entered_on"),
        received_at__date__lte=as_of,
    )

    def count_of(rows) -> Coalesce:
        return Coalesce(
            Subquery(rows.order_by().values("case").annotate(n=Count("pk")).values("n")[:1]),
            Value(0),
            output_field=IntegerField(),
        )

    cured = Q(close_outcome__in=CURED_OUTCOMES, closed_on__lte=as_of)
    days_to_close = ExpressionWrapper(F("closed_on") - F("entered_on"), output_field=DurationField())
    annotations = {
        "contacted": _flag(
            Exists(
                _since_entry(
                    ContactAttempt.objects.filter(direction=Direction.OUTBOUND), "occurred_at__date", as_of=as_of
                )
            )
        ),
        "spoke": _flag(
            Exists(
                _since_entry(
                    ContactAttempt.objects.filter(answered_by=AnsweredBy.BORROWER), "occurred_at__date", as_of=as_of
                )
            )
        ),
        "promised": _flag(Exists(promises)),
        "promises_due": count_of(promises_due),
        "promises_kept": count_of(promises_due.filter(status=PromiseStatus.KEPT)),
        "collected": Coalesce(
            Subquery(
                payments.order_by()
                .values("account__case_memberships__case")
                .annotate(total=Sum("amount"))
                .values("total")[:1]
            ),
            Value(Decimal("0.00")),
            output_field=money,
        ),
        "days_to_close": days_to_close,
    }
    for days in CURE_WINDOWS:
        annotations[f"old_enough_{days}"] = _flag(Q(entered_on__lte=as_of - datetime.timedelta(days=days)))
        annotations[f"cured_{days}"] = _flag(
            cured
            & Q(entered_on__lte=as_of - datetime.timedelta(days=days))
            & Q(days_to_close__lte=datetime.timedelta(days=days))
        )
    cohort = arm_cohort(segment=segment, since=since, until=until).annotate(**annotations)
    sums = {
        name: Sum(name)
        for name in (
            "contacted",
            "spoke",
            "promised",
            "promises_due",
            "promises_kept",
            *(f"{what}_{days}" for what in ("old_enough", "cured") for days in CURE_WINDOWS),
        )
    }
    return list(
        cohort.values("arm", "currency")
        .annotate(
            cases=Count("pk"),
            collected_total=Sum("collected"),
            collected_squares=Sum(ExpressionWrapper(F("collected") * F("collected"), output_field=money)),
            **{f"{name}_total": total for name, total in sums.items()},
        )
        .order_by()
    )


def _rate_counts(totals: dict) -> dict[str, tuple[int, int]]:
    """Each rate's (successes, trials) from one arm's totals."""
    counts = {
        "contact": (totals["contacted"], totals["cases"]),
        "right_party_contact": (totals["spoke"], totals["cases"]),
        "promise": (totals["promised"], totals["cases"]),
        "promise_kept": (totals["promises_kept"], totals["promises_due"]),
    }
    for days in CURE_WINDOWS:
        counts[f"cure_{days}"] = (totals[f"cured_{days}"], totals[f"old_enough_{days}"])
    return counts


RUNNING = object()  # arm_report's `since` when not given: the running experiment's start


def arm_report(
    *,
    segment: Segment,
    as_of: datetime.date | None = None,
    since=RUNNING,
    until: datetime.date | None = None,
    champion_name: str | None = None,
    challenger_name: str | None = None,
    share: int | None = None,
) -> ArmReport:
    """
    The arms side by side over the cases that entered `segment` from `since`
    (the running experiment's `challenger_since` unless given) to `until`
    (default `as_of`, today), their outcomes counted up to `as_of`: each
    rate per arm with the difference challenger − champion, its 95% interval
    and the verdict at 5%, and the amount collected per case in each currency.
    A past experiment passes the dates and names its audit event kept.
    """
    as_of = as_of or timezone.localdate()
    since = segment.challenger_since if since is RUNNING else since
    until = until or as_of
    report = ArmReport(
        segment=segment,
        since=since,
        until=until,
        as_of=as_of,
        champion_name=champion_name if champion_name is not None else str(segment.champion or ""),
        challenger_name=challenger_name if challenger_name is not None else str(segment.challenger or ""),
        share=share if share is not None else segment.challenger_share,
    )
    per_arm: dict[str, dict] = {Arm.CHAMPION: {}, Arm.CHALLENGER: {}}
    amounts: dict[str, dict[str, tuple[int, Decimal, Decimal]]] = {}
    for row in _arm_totals(segment=segment, since=since, until=until, as_of=as_of):
        arm = row["arm"] if row["arm"] in per_arm else Arm.CHAMPION
        totals = per_arm[arm]
        for key, value in row.items():
            if key.endswith("_total") and key != "collected_total":
                name = key.removesuffix("_total")
                totals[name] = totals.get(name, 0) + (value or 0)
        totals["cases"] = totals.get("cases", 0) + row["cases"]
        amounts.setdefault(row["currency"], {})[arm] = (
            row["cases"],
            Decimal(row["collected_total"] or 0).quantize(CENT, ROUND_HALF_UP),  # SQLite sums with more places
            Decimal(row["collected_squares"] or 0),
        )
    report.cases = {arm: totals.get("cases", 0) for arm, totals in per_arm.items()}
    empty = dict.fromkeys(
        ("cases", "contacted", "spoke", "promised", "promises_due", "promises_kept")
        + tuple(f"{what}_{days}" for what in ("old_enough", "cured") for days in CURE_WINDOWS),
        0,
    )
    champion_counts = _rate_counts({**empty, **per_arm[Arm.CHAMPION]})
    challenger_counts = _rate_counts({**empty, **per_arm[Arm.CHALLENGER]})
    for code, label in RATE_LABELS.items():
        champion = ArmFigure(*champion_counts[code])
        challenger = ArmFigure(*challenger_counts[code])
        comparison = None
        if champion.comparable and challenger.comparable:
            comparison = proportions_compare(
                challenger_successes=challenger.successes,
                challenger_trials=challenger.trials,
                champion_successes=champion.successes,
                champion_trials=champion.trials,
            )
        report.rates.append(
            RateRow(
                code=code,
                label=label,
                help=RATE_HELP[code],
                champion=champion,
                challenger=challenger,
                comparison=comparison,
            )
        )
    for currency in sorted(amounts):
        by_arm = amounts[currency]
        champion_cases, champion_total, champion_squares = by_arm.get(Arm.CHAMPION, (0, Decimal("0"), Decimal("0")))
        challenger_cases, challenger_total, challenger_squares = by_arm.get(
            Arm.CHALLENGER, (0, Decimal("0"), Decimal("0"))
        )
        comparison = None
        if champion_cases >= MIN_CASES_FOR_AMOUNTS and challenger_cases >= MIN_CASES_FOR_AMOUNTS:
            difference, low, high, statistic, p_value = means_compare(
                challenger=(challenger_cases, float(challenger_total), float(challenger_squares)),
                champion=(champion_cases, float(champion_total), float(champion_squares)),
            )
            comparison = AmountComparison(
                difference=_cents(difference),
                low=_cents(low),
                high=_cents(high),
                statistic=statistic,
                p_value=p_value,
            )
        report.amounts.append(
            AmountRow(
                currency=currency,
                champion=ArmAmount(cases=champion_cases, total=Decimal(champion_total)),
                challenger=ArmAmount(cases=challenger_cases, total=Decimal(challenger_total)),
                comparison=comparison,
            )
        )
    return report


def _cents(value: float) -> Decimal:
    return Decimal(str(value)).quantize(CENT, ROUND_HALF_UP)


def ended_experiment_report(*, event: AuditEvent, segment: Segment, as_of: datetime.date | None = None) -> ArmReport:
    """The report of an experiment that was stopped or promoted, from the facts its audit event kept."""
    facts = event.data
    return arm_report(
        segment=segment,
        as_of=as_of,
        since=datetime.date.fromisoformat(facts["since"]) if facts.get("since") else None,
        until=datetime.date.fromisoformat(facts["until"]),
        champion_name=facts.get("champion_name", ""),
        challenger_name=facts.get("challenger_name", ""),
        share=facts.get("share", 0),
    )
