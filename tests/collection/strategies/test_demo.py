"""The demo's segments and strategies: made once, and tonight's run leaves steps on the cases' timelines."""

import pytest

from collection.models import CaseEvent, Segment
from collection.strategies.demo import strategies_demo
from tests.collection.factories import case_in_arrears

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("morning")]


def test_the_demo_builds_its_segments_and_runs_them(today):
    case_in_arrears(days_past_due=3)

    counts = strategies_demo(seed=1, today=today)
    again = strategies_demo(seed=1, today=today)

    assert list(Segment.objects.order_by("priority").values_list("name", flat=True)) == [
        "High balance",
        "Early",
        "Late",
        "Legal-ready",
        "All other cases",
    ]
    assert counts["strategy steps done"] == 1 and again["strategy steps done"] == 0
    assert CaseEvent.objects.filter(code="strategy_step_done").count() == 1
