"""
Champion/challenger (collection/strategies/experiments.py and its pages):
the arms side by side on cases with known outcomes, the significance figure
against a textbook example, starting, stopping and promoting.
"""

import datetime
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone
from statsmodels.stats.proportion import proportions_ztest

from accounts.audit_text import audit_text
from accounts.models import AuditEvent
from collection.errors import CollectionError
from collection.models import (
    AnsweredBy,
    Arm,
    CaseAccount,
    CaseStatus,
    CaseStrategy,
    CloseOutcome,
    Direction,
    Outcome,
    PromiseStatus,
    Segment,
    StepExecution,
    StepOutcome,
    Strategy,
    StrategyStep,
    StrategyVersion,
)
from collection.strategies.arm_report import MIN_CASES_PER_ARM, arm_report, proportions_compare
from collection.strategies.experiments import challenger_promote, experiment_start, experiment_stop
from lending.models import Payment
from tests.collection.factories import CaseFactory, ContactAttemptFactory, PromiseToPayFactory
from tests.lending.factories import CreditAccountFactory

pytestmark = pytest.mark.django_db

SINCE = datetime.date(2026, 4, 1)
ENTERED = datetime.date(2026, 4, 10)
AS_OF = datetime.date(2026, 6, 30)


def noon(day: datetime.date) -> datetime.datetime:
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time(12)))


def after(days: int) -> datetime.date:
    return ENTERED + datetime.timedelta(days=days)


def strategy_with_steps(name: str) -> Strategy:
    strategy = Strategy.objects.create(name=name)
    version = StrategyVersion.objects.create(strategy=strategy, number=1, created_at=timezone.now())
    StrategyStep.objects.create(version=version, position=1, trigger_days=1, action="message")
    strategy.current_version = version
    strategy.save(update_fields=["current_version"])
    return strategy


@pytest.fixture
def champion():
    return strategy_with_steps("Early: SMS then call")


@pytest.fixture
def challenger():
    return strategy_with_steps("Early: call first")


@pytest.fixture
def segment(champion):
    return Segment.objects.create(name="Early arrears", priority=3, champion=champion)


@pytest.fixture
def running(segment, challenger):
    """The segment trying the challenger on 30% of its cases since SINCE."""
    segment.challenger = challenger
    segment.challenger_share = 30
    segment.challenger_since = SINCE
    segment.save()
    return segment


def in_arm(segment, arm, *, entered=ENTERED):
    case = CaseFactory(opened_on=entered)
    strategy = segment.challenger if arm == Arm.CHALLENGER else segment.champion
    CaseStrategy.objects.create(
        case=case,
        segment=segment,
        arm=arm,
        entered_segment_on=entered,
        evaluated_on=entered,
        strategy_version=strategy.current_version,
    )
    return case


def contact(case, *, on, answered_by=AnsweredBy.NOBODY, direction=Direction.OUTBOUND):
    outcome = Outcome.RIGHT_PARTY_CONTACT if answered_by == AnsweredBy.BORROWER else Outcome.NO_ANSWER
    ContactAttemptFactory(
        case=case, answered_by=answered_by, outcome=outcome, direction=direction, occurred_at=noon(on)
    )


def close(case, *, outcome, after_days):
    case.status = CaseStatus.CLOSED
    case.closed_on = after(after_days)
    case.close_outcome = outcome
    case.save()


def paid(case, amount, *, on, status=Payment.Status.APPLIED):
    account = CreditAccountFactory(borrower=case.borrower)
    CaseAccount.objects.create(case=case, account=account, joined_on=case.opened_on)
    Payment.objects.create(
        external_id=f"P-{case.pk}-{amount}",
        account=account,
        amount=Decimal(amount),
        received_at=noon(on),
        channel=Payment.Channel.APP,
        status=status,
    )


def step_done(case, segment, arm, *, on):
    strategy = segment.challenger if arm == Arm.CHALLENGER else segment.champion
    version = strategy.current_version
    StepExecution.objects.create(
        case=case,
        step=version.steps.get(position=1),
        strategy_version=version,
        segment=segment,
        arm=arm,
        executed_on=on,
        executed_at=noon(on),
        outcome=StepOutcome.DONE,
    )


@pytest.fixture
def outcomes(running):
    """
    40 champion cases and 32 challenger ones with known outcomes (see each
    line), and three cases that must not count.
    """
    champions = [in_arm(running, Arm.CHAMPION) for _ in range(40)]
    for case in champions[:20]:
        contact(case, on=after(2))  # contacted: 20
    for case in champions[:10]:
        contact(case, on=after(4), answered_by=AnsweredBy.BORROWER)  # spoke to the borrower: 10
    contact(champions[39], on=after(-5))  # before it entered: not counted
    for index, case in enumerate(champions[:8]):  # promises: 8 cases; due 6 (one cancelled, one not due), kept 4
        status, due_on = (
            ([PromiseStatus.KEPT] * 4 + [PromiseStatus.BROKEN] * 2 + [PromiseStatus.CANCELLED, PromiseStatus.PENDING])[
                index
            ],
            (after(10) if index < 7 else AS_OF + datetime.timedelta(days=5)),
        )
        PromiseToPayFactory(case=case, created_at=noon(after(3)), due_on=due_on, status=status)
    for case in champions[20:26]:
        close(case, outcome=CloseOutcome.CURED, after_days=20)  # cured within 30 days: 6
    for case in champions[26:28]:
        close(case, outcome=CloseOutcome.PAID_IN_FULL, after_days=45)  # within 60: 6 + 2
    close(champions[28], outcome=CloseOutcome.SETTLED, after_days=10)  # settled is not cured
    paid(champions[20], "100.00", on=after(5))
    paid(champions[21], "300.00", on=after(6))
    paid(champions[22], "50.00", on=after(-3))  # before it entered
    paid(champions[23], "70.00", on=after(6), status=Payment.Status.REVERSED)

    challengers = [in_arm(running, Arm.CHALLENGER) for _ in range(30)]
    late = in_arm(running, Arm.CHALLENGER, entered=datetime.date(2026, 6, 15))  # too recent for the cure rates
    left = CaseFactory(opened_on=ENTERED)  # cured and gone: found by the step it was given in the segment
    step_done(left, running, Arm.CHALLENGER, on=after(2))
    close(left, outcome=CloseOutcome.CURED, after_days=10)
    for case in challengers[:24]:
        contact(case, on=after(1))  # contacted: 24
    for case in challengers[:16]:
        contact(case, on=after(2), answered_by=AnsweredBy.BORROWER, direction=Direction.INBOUND)  # spoke: 16
    for case in challengers[:12]:
        PromiseToPayFactory(case=case, created_at=noon(after(3)), due_on=after(10), status=PromiseStatus.KEPT)
    for case in challengers[12:23]:
        close(case, outcome=CloseOutcome.CURED, after_days=15)  # cured within 30: 11 + the one that left
    for case in challengers[23:25]:
        close(case, outcome=CloseOutcome.PAID_IN_FULL, after_days=50)  # within 60: 12 + 2
    paid(challengers[12], "640.00", on=after(8))

    # Not in the experiment: entered before it started; another segment's case; one that entered before and left.
    early = in_arm(running, Arm.CHAMPION, entered=datetime.date(2026, 3, 20))
    contact(early, on=after(1))
    elsewhere = CaseFactory(opened_on=ENTERED)
    CaseStrategy.objects.create(
        case=elsewhere,
        segment=Segment.objects.create(name="Late arrears", priority=4),
        entered_segment_on=ENTERED,
        evaluated_on=ENTERED,
    )
    before = CaseFactory(opened_on=datetime.date(2026, 3, 1))
    step_done(before, running, Arm.CHAMPION, on=datetime.date(2026, 3, 10))
    step_done(before, running, Arm.CHAMPION, on=after(5))
    return {"late": late, "left": left}


# --- The report ----------------------------------------------------------------------------------------------


def rates_of(report) -> dict:
    return {row.code: row for row in report.rates}


def test_the_report_counts_each_arm_on_the_cases_that_entered_since_the_start(outcomes, running):
    report = arm_report(segment=running, as_of=AS_OF)

    assert (report.champion_cases, report.challenger_cases) == (40, 32)
    figures = {
        code: ((row.champion.successes, row.champion.trials), (row.challenger.successes, row.challenger.trials))
        for code, row in rates_of(report).items()
    }
    assert figures == {
        "contact": ((20, 40), (24, 32)),
        "right_party_contact": ((10, 40), (16, 32)),
        "promise": ((8, 40), (12, 32)),
        "promise_kept": ((4, 6), (12, 12)),
        "cure_30": ((6, 40), (12, 31)),
        "cure_60": ((8, 40), (14, 31)),
    }


def test_each_rate_compares_challenger_with_champion_by_a_two_proportion_z_test(outcomes, running):
    rates = rates_of(arm_report(segment=running, as_of=AS_OF))

    contact_rate = rates["contact"]
    assert contact_rate.champion.rate == 0.5
    assert contact_rate.challenger.rate == 0.75
    assert contact_rate.comparison.difference == pytest.approx(0.25)
    z, p = proportions_ztest([24, 20], [32, 40])
    assert contact_rate.comparison.statistic == pytest.approx(z)
    assert contact_rate.comparison.p_value == pytest.approx(p)
    assert p < 0.05
    assert contact_rate.comparison.significant is True
    assert contact_rate.comparison.low < 0.25 < contact_rate.comparison.high
    cure = rates["cure_30"]
    assert cure.comparison.difference == pytest.approx(12 / 31 - 6 / 40)
    assert cure.comparison.significant  # 38.7% against 15%: z = 2.26
    promises = rates["promise"]
    assert promises.comparison.difference == pytest.approx(12 / 32 - 8 / 40)
    assert not promises.comparison.significant  # 37.5% against 20%: p = 0.10


def test_an_arm_with_too_few_cases_gives_no_figure(outcomes, running):
    kept = rates_of(arm_report(segment=running, as_of=AS_OF))["promise_kept"]
    assert kept.champion.trials < MIN_CASES_PER_ARM
    assert kept.champion.rate is None
    # 12 of 12 kept is a figure, but no failure to test against: too few to compare.
    assert (kept.challenger.trials, kept.challenger.rate) == (12, 1.0)
    assert kept.comparison is None


def test_amount_collected_per_case_counts_applied_payments_since_entering(outcomes, running):
    (amounts,) = arm_report(segment=running, as_of=AS_OF).amounts

    assert amounts.currency == "CNY"
    assert (amounts.champion.total, amounts.champion.per_case) == (Decimal("400.00"), Decimal("10.00"))
    assert (amounts.challenger.total, amounts.challenger.per_case) == (Decimal("640.00"), Decimal("20.00"))
    assert amounts.comparison.difference == Decimal("10.00")
    assert amounts.comparison.low < Decimal("10.00") < amounts.comparison.high
    assert not amounts.comparison.significant  # one payment in each arm is no evidence


def test_the_report_counts_outcomes_only_up_to_its_day(outcomes, running):
    report = arm_report(segment=running, as_of=after(12))
    rates = rates_of(report)
    assert (report.champion_cases, report.challenger_cases) == (40, 31)  # the late entrant had not entered yet
    assert rates["contact"].champion.successes == 20
    assert rates["cure_30"].champion.trials == 0  # nobody has been in the segment for 30 days yet
    assert report.amounts[0].champion.total == Decimal("400.00")


# --- The significance figure against a textbook ----------------------------------------------------------------


def test_the_significance_figure_matches_a_textbook_example():
    """
    Illowsky & Dean, *Introductory Statistics* (OpenStax), "Comparing Two
    Independent Population Proportions", the example of two medications for
    hives: 20 of 200 adults given medication A and 12 of 200 given B still had
    hives after 30 minutes. Pooled proportion 0.08, difference 0.04, two-tailed
    p-value 0.1404 (z = 1.47): not significant.
    """
    comparison = proportions_compare(
        challenger_successes=20, challenger_trials=200, champion_successes=12, champion_trials=200
    )
    assert comparison.difference == pytest.approx(0.04)
    assert round(comparison.p_value, 4) == 0.1404
    assert round(comparison.statistic, 2) == 1.47
    assert not comparison.significant
    assert comparison.low < 0 < comparison.high  # the interval holds no difference too


def test_a_clear_difference_is_significant():
    # 60% against 40% of 100 each: pooled 0.5, standard error sqrt(0.5 * 0.5 * 2/100) = 0.0707, z = 2.83, p = 0.0047.
    comparison = proportions_compare(
        challenger_successes=60, challenger_trials=100, champion_successes=40, champion_trials=100
    )
    assert round(comparison.statistic, 2) == 2.83
    assert round(comparison.p_value, 4) == 0.0047
    assert comparison.significant
    assert 0 < comparison.low < 0.2 < comparison.high


def test_arms_alike_in_every_case_are_not_significantly_different():
    comparison = proportions_compare(
        challenger_successes=0, challenger_trials=40, champion_successes=0, champion_trials=50
    )
    assert (comparison.difference, comparison.p_value, comparison.significant) == (0, 1.0, False)


# --- Starting, stopping and promoting ------------------------------------------------------------------------


def test_starting_an_experiment_sets_the_challenger_its_share_and_today(segment, challenger, manager):
    experiment_start(segment=segment, challenger=challenger, share=25, actor=manager, today=SINCE)

    segment.refresh_from_db()
    assert (segment.challenger, segment.challenger_share, segment.challenger_since) == (challenger, 25, SINCE)
    event = AuditEvent.objects.get(action="collection.experiment.started")
    assert event.actor == manager
    assert event.data["challenger_name"] == "Early: call first"
    assert event.data["share"] == 25


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"share": 0}, "between 1% and 99%"),
        ({"share": 100}, "between 1% and 99%"),
        ({"same": True}, "another strategy than the champion"),
        ({"no_steps": True}, "has no saved steps"),
    ],
)
def test_an_experiment_that_cannot_run_is_refused_and_nothing_is_written(segment, challenger, manager, change, message):
    if change.get("same"):
        challenger = segment.champion
    if change.get("no_steps"):
        challenger = Strategy.objects.create(name="Empty")
    with pytest.raises(CollectionError, match=message):
        experiment_start(segment=segment, challenger=challenger, share=change.get("share", 30), actor=manager)
    segment.refresh_from_db()
    assert segment.challenger is None
    assert not AuditEvent.objects.filter(action__startswith="collection.experiment").exists()


def test_a_second_challenger_waits_for_the_first_to_end(running, manager):
    with pytest.raises(CollectionError, match="already runs Early: call first"):
        experiment_start(segment=running, challenger=strategy_with_steps("Other"), share=10, actor=manager)


def test_promoting_makes_the_challenger_the_champion_and_keeps_both_arms_history(
    outcomes, running, champion, challenger, manager
):
    before = arm_report(segment=running, as_of=AS_OF)
    states = dict(CaseStrategy.objects.values_list("case", "strategy_version"))
    arms = dict(CaseStrategy.objects.values_list("case", "arm"))

    challenger_promote(segment=running, actor=manager, today=AS_OF)

    running.refresh_from_db()
    assert running.champion == challenger
    assert (running.challenger, running.challenger_share, running.challenger_since) == (None, 0, None)
    # Nobody's case was rewritten: each keeps the version it entered with, and its arm.
    assert dict(CaseStrategy.objects.values_list("case", "strategy_version")) == states
    assert dict(CaseStrategy.objects.values_list("case", "arm")) == arms
    event = AuditEvent.objects.get(action="collection.experiment.promoted")
    assert (event.data["since"], event.data["until"]) == ("2026-04-01", "2026-06-30")
    assert (event.data["champion"], event.data["challenger"]) == (champion.pk, challenger.pk)
    # The ended experiment's report is the one the manager promoted on.
    from collection.strategies.arm_report import ended_experiment_report

    after_report = ended_experiment_report(event=event, segment=running, as_of=AS_OF)
    assert (after_report.champion_name, after_report.challenger_name) == (champion.name, challenger.name)
    assert [(row.champion, row.challenger) for row in after_report.rates] == [
        (row.champion, row.challenger) for row in before.rates
    ]


def test_stopping_keeps_the_champion(running, champion, manager):
    experiment_stop(segment=running, actor=manager)
    running.refresh_from_db()
    assert (running.champion, running.challenger, running.challenger_share) == (champion, None, 0)
    assert AuditEvent.objects.filter(action="collection.experiment.stopped").count() == 1
    with pytest.raises(CollectionError, match="runs no challenger"):
        experiment_stop(segment=running, actor=manager)


# --- The pages -----------------------------------------------------------------------------------------------


def test_the_list_shows_each_running_experiment_with_its_cases_per_arm(
    client, manager, outcomes, running, django_assert_max_num_queries
):
    client.force_login(manager)
    # Session, user, running segments, their cases per arm, (content type,) ended experiments, the others.
    with django_assert_max_num_queries(7):
        response = client.get(reverse("collection:experiment_list"))
    assert response.status_code == 200
    row = response.text.split(f'data-segment="{running.pk}"')[1].split("</tr>")[0]
    assert "Early arrears" in row
    assert "Early: call first" in row
    assert "30%" in row
    assert "2026-04-01" in row or "04/01/2026" in row
    assert ">40<" in row and ">31<" in row  # those in the segment now (the one that left is in the report)
    assert '<a href="/automation/" data-nav="automation" aria-current="page">' in response.text


def test_the_report_page_shows_the_arms_side_by_side(client, manager, outcomes, running, django_assert_max_num_queries):
    client.force_login(manager)
    # Session, user, segment, the arms' totals (one query whatever the cases), (content type,) ended experiments.
    with django_assert_max_num_queries(6):
        response = client.get(reverse("collection:experiment_report", args=[running.pk]))
    assert response.status_code == 200
    text = response.text
    contact_row = text.split('data-rate="contact"')[1].split("</tr>")[0]
    assert "50.0%" in contact_row and "20 / 40" in contact_row
    assert "75.0%" in contact_row and "24 / 32" in contact_row
    assert "+25.0 pts" in contact_row
    assert "Significant" in contact_row and "Not significant" not in contact_row
    promise_row = text.split('data-rate="promise"')[1].split("</tr>")[0]
    assert "Not significant" in promise_row
    kept_row = text.split('data-rate="promise_kept"')[1].split("</tr>")[0]
    assert "too few cases" in kept_row and "Too few cases to compare" in kept_row
    money_row = text.split('data-rate="collected-CNY"')[1].split("</tr>")[0]
    assert "10.00 CNY" in money_row and "20.00 CNY" in money_row
    assert "Promote the challenger" in text


def test_the_report_page_reads_in_chinese(client, manager, outcomes, running):
    client.force_login(manager)
    response = client.get(reverse("collection:experiment_report", args=[running.pk]), HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert response.status_code == 200
    assert "10.00 CNY" in response.text


def test_a_manager_promotes_the_challenger_after_confirming(client, manager, running, challenger):
    client.force_login(manager)
    confirm = client.get(reverse("collection:challenger_promote", args=[running.pk]))
    assert confirm.status_code == 200
    assert "becomes the strategy of this segment" in confirm.text
    running.refresh_from_db()
    assert running.challenger == challenger  # looking changes nothing

    response = client.post(reverse("collection:challenger_promote", args=[running.pk]), follow=True)
    assert response.redirect_chain[-1][0] == reverse("collection:experiment_report", args=[running.pk])
    assert "Early: call first is now the strategy of Early arrears." in response.text
    running.refresh_from_db()
    assert (running.champion, running.challenger) == (challenger, None)
    assert "Ended experiments" in response.text
    assert "Challenger promoted" in response.text
    event = AuditEvent.objects.get(action="collection.experiment.promoted")
    assert audit_text(event) == "Segment Early arrears: Early: call first promoted in place of Early: SMS then call"
    past = client.get(reverse("collection:experiment_past_report", args=[running.pk, event.pk]))
    assert past.status_code == 200
    assert "ended experiment" in past.text
    assert 'data-rate="contact"' in past.text
    assert "Promote the challenger" not in past.text


def test_a_collector_cannot_promote(client, collector, running, champion):
    client.force_login(collector)
    assert client.post(reverse("collection:challenger_promote", args=[running.pk])).status_code == 403
    assert client.get(reverse("collection:experiment_list")).status_code == 403
    assert client.get(reverse("collection:experiment_report", args=[running.pk])).status_code == 403
    running.refresh_from_db()
    assert running.champion == champion
    assert not AuditEvent.objects.filter(action__startswith="collection.experiment").exists()


def test_a_manager_starts_and_stops_an_experiment_from_the_pages(client, manager, segment, challenger):
    client.force_login(manager)
    url = reverse("collection:experiment_start", args=[segment.pk])
    refused = client.post(url, {"challenger": challenger.pk, "share": "0"})
    assert refused.status_code == 200
    assert "greater than or equal to 1" in refused.text
    response = client.post(url, {"challenger": challenger.pk, "share": "20"}, follow=True)
    assert "Early arrears now tries Early: call first on 20% of the cases that enter it." in response.text
    segment.refresh_from_db()
    assert (segment.challenger, segment.challenger_share, segment.challenger_since) == (
        challenger,
        20,
        timezone.localdate(),
    )
    response = client.post(reverse("collection:experiment_stop", args=[segment.pk]), follow=True)
    assert "The experiment on Early arrears has stopped; new cases follow Early: SMS then call." in response.text
    segment.refresh_from_db()
    assert segment.challenger is None


def test_the_pages_answer_only_get_and_post(client, manager, running):
    client.force_login(manager)
    assert client.post(reverse("collection:experiment_list")).status_code == 405
    assert client.delete(reverse("collection:challenger_promote", args=[running.pk])).status_code == 405
    assert client.get(reverse("collection:experiment_report", args=[9999])).status_code == 404
