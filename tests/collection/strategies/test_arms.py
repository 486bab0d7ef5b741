"""
Champion/challenger assignment (collection/strategies/arms.py): a stable hash
of the segment and the case, so a case never switches arm whatever the order
or the day the cases are looked at, and the challenger gets its share.
"""

import random

import pytest

from collection.models import Arm
from collection.strategies.arms import arm_bucket, arm_for

CASE_IDS = range(1, 10_001)


def arms_of(case_ids, *, segment_id=7, share=30) -> dict[int, str]:
    return {case_id: arm_for(segment_id=segment_id, case_id=case_id, challenger_share=share) for case_id in case_ids}


def test_a_case_gets_the_same_arm_whatever_the_order_it_is_looked_at_in():
    in_order = arms_of(CASE_IDS)
    shuffled = list(CASE_IDS)
    random.Random(12).shuffle(shuffled)
    assert arms_of(shuffled) == in_order


def test_a_case_gets_the_same_arm_in_another_process_on_another_day():
    # SHA-256 of fixed text, not Python's hash() (salted per process): these places are the same for ever.
    assert [arm_bucket(segment_id=7, case_id=case_id) for case_id in range(1, 9)] == [41, 86, 15, 26, 44, 45, 6, 56]
    assert [arm_for(segment_id=7, case_id=case_id, challenger_share=30) for case_id in range(1, 9)] == [
        Arm.CHAMPION,
        Arm.CHAMPION,
        Arm.CHALLENGER,
        Arm.CHALLENGER,
        Arm.CHAMPION,
        Arm.CHAMPION,
        Arm.CHALLENGER,
        Arm.CHAMPION,
    ]
    assert {arm_bucket(segment_id=7, case_id=case_id) for case_id in CASE_IDS} == set(range(100))


@pytest.mark.parametrize("share", [10, 30, 50])
def test_the_challenger_gets_its_share_within_chance_on_10000_cases(share):
    arms = arms_of(CASE_IDS, share=share)
    challengers = sum(arm == Arm.CHALLENGER for arm in arms.values())
    # Binomial(10,000, share): four standard deviations either side (at most 200 cases at 50%).
    spread = 4 * (10_000 * share / 100 * (1 - share / 100)) ** 0.5
    assert abs(challengers - 10_000 * share / 100) < spread


def test_no_challenger_share_puts_every_case_with_the_champion():
    assert set(arms_of(CASE_IDS[:500], share=0).values()) == {Arm.CHAMPION}


def test_the_split_of_one_segment_says_nothing_of_another():
    first = arms_of(CASE_IDS, segment_id=1)
    second = arms_of(CASE_IDS, segment_id=2)
    both = sum(first[case_id] == second[case_id] == Arm.CHALLENGER for case_id in CASE_IDS)
    # Independent splits: about 30% x 30% of the cases are challengers in both.
    assert 700 < both < 1100


def test_a_case_never_switches_arm_as_more_cases_join():
    early = arms_of(range(1, 501))
    later = arms_of(range(1, 2001))
    assert all(later[case_id] == arm for case_id, arm in early.items())


@pytest.mark.django_db
def test_a_case_keeps_its_arm_night_after_night_and_after_the_experiment_ends(manager):
    """Through part C's nightly assignment: the arm a case got when it entered is the one it keeps."""
    segments = pytest.importorskip("collection.strategies.segments")
    import datetime

    from django.utils import timezone

    from collection.models import CaseStrategy, Segment, Strategy, StrategyStep, StrategyVersion
    from collection.strategies.experiments import experiment_start, experiment_stop
    from tests.collection.factories import CaseFactory

    def strategy(name):
        made = Strategy.objects.create(name=name)
        version = StrategyVersion.objects.create(strategy=made, number=1, created_at=timezone.now())
        StrategyStep.objects.create(version=version, position=1, trigger_days=400, action="send_message")
        made.current_version = version
        made.save(update_fields=["current_version"])
        return made

    segment = Segment.objects.create(name="Everyone first", priority=1, champion=strategy("Champion"))
    first_night = datetime.date(2026, 5, 4)
    experiment_start(segment=segment, challenger=strategy("Challenger"), share=40, actor=manager, today=first_night)
    cases = [CaseFactory() for _ in range(60)]
    segments.segments_assign(on=first_night)
    arms = dict(CaseStrategy.objects.filter(case__in=cases).values_list("case", "arm"))
    assert arms == {case.pk: arm_for(segment_id=segment.pk, case_id=case.pk, challenger_share=40) for case in cases}
    assert set(arms.values()) == {Arm.CHAMPION, Arm.CHALLENGER}

    segments.segments_assign(on=first_night + datetime.timedelta(days=1))
    experiment_stop(segment=segment, actor=manager)
    segments.segments_assign(on=first_night + datetime.timedelta(days=2))
    assert dict(CaseStrategy.objects.filter(case__in=cases).values_list("case", "arm")) == arms
