"""The segment and strategy pages: a manager builds segments and strategies, a collector gets 403, lists stay cheap."""

import pytest
from django.urls import reverse

from collection.models import Segment, Strategy, StrategyStep
from collection.strategies.segments import catch_all_segment, segments_assign
from tests.collection.factories import case_in_arrears
from tests.collection.strategies.factories import SMS_DEMAND, segment_make, step, strategy_make

pytestmark = pytest.mark.django_db

PAGES = [
    ("collection:segment_list", ()),
    ("collection:segment_new", ()),
    ("collection:strategy_list", ()),
    ("collection:strategy_new", ()),
]


@pytest.mark.parametrize(("name", "args"), PAGES)
def test_a_collector_gets_403(client, collector, name, args):
    client.force_login(collector)
    assert client.get(reverse(name, args=args)).status_code == 403


def test_a_collector_cannot_run_strategies(client, collector):
    client.force_login(collector)
    assert client.post(reverse("collection:strategies_run")).status_code == 403


def test_the_segment_list_in_order_with_its_query_count(client, manager, django_assert_max_num_queries, today):
    strategy = strategy_make("Early", step(1, "send_message", **SMS_DEMAND))
    for number in range(5):
        segment_make(f"Segment {number}", champion=strategy, max_days_past_due=number + 1)
    for _ in range(3):
        case_in_arrears(days_past_due=2)
    segments_assign(on=today)
    client.force_login(manager)

    with django_assert_max_num_queries(12):
        response = client.get(reverse("collection:segment_list"))

    page = response.content.decode()
    assert response.status_code == 200
    names = [f"Segment {n}" for n in range(5)] + ["All other cases"]
    positions = [page.index(f'data-segment="{name}"') for name in names]
    assert positions == sorted(positions)


def test_the_strategy_list_query_count(client, manager, django_assert_max_num_queries):
    for number in range(5):
        strategy_make(f"S{number}", step(1, "send_message", **SMS_DEMAND), step(3, "queue_call", boost=10))
    client.force_login(manager)

    with django_assert_max_num_queries(12):
        response = client.get(reverse("collection:strategy_list"))

    assert response.status_code == 200
    assert "S4" in response.content.decode()


def test_move_a_segment_up_and_the_catch_all_stays_last(client, manager):
    first = segment_make("First", max_days_past_due=10)
    second = segment_make("Second", max_days_past_due=20)
    client.force_login(manager)

    client.post(reverse("collection:segment_move", args=[second.pk, "up"]))
    refused = client.post(reverse("collection:segment_move", args=[second.pk, "down"]), follow=True)
    client.post(reverse("collection:segment_move", args=[catch_all_segment().pk, "up"]), follow=True)

    first.refresh_from_db()
    second.refresh_from_db()
    assert refused.status_code == 200
    assert list(Segment.objects.order_by("priority").values_list("name", flat=True)) == [
        "First",
        "Second",
        "All other cases",
    ]


def test_a_manager_builds_a_segment_whose_challenger_the_form_cannot_set(client, manager):
    champion = strategy_make("Champion", step(1, "send_message", **SMS_DEMAND))
    challenger = strategy_make("Challenger", step(1, "queue_call", boost=50))
    client.force_login(manager)

    response = client.post(
        reverse("collection:segment_new"),
        {
            "name": "Early",
            "is_active": "on",
            "min_days_past_due": "1",
            "max_days_past_due": "30",
            "stages": ["early"],
            "reasons": ["lost_income", "illness"],
            "champion": champion.pk,
            # Ignored: a challenger starts on the Champion/challenger page, which keeps the experiment's record.
            "challenger": challenger.pk,
            "challenger_share": "30",
        },
    )

    assert response.status_code == 302
    segment = Segment.objects.get(name="Early")
    assert (segment.min_days_past_due, segment.max_days_past_due, segment.stages) == (1, 30, ["early"])
    assert segment.champion == champion and segment.challenger is None and segment.challenger_share == 0
    assert segment.priority < catch_all_segment().priority


def test_the_segment_form_shows_a_running_challenger_read_only_and_keeps_it(client, manager):
    from collection.strategies.experiments import experiment_start

    champion = strategy_make("Champion", step(1, "send_message", **SMS_DEMAND))
    challenger = strategy_make("Challenger", step(1, "queue_call", boost=50))
    segment = segment_make("Early", champion=champion)
    experiment_start(segment=segment, challenger=challenger, share=30, actor=manager)
    client.force_login(manager)
    url = reverse("collection:segment_edit", args=[segment.pk])

    page = client.get(url).content.decode()
    assert 'name="challenger"' not in page and 'name="challenger_share"' not in page
    assert "Challenger on 30% of the cases" in page
    assert reverse("collection:experiment_report", args=[segment.pk]) in page

    client.post(url, {"name": "Early cases", "is_active": "on", "champion": champion.pk, "challenger": ""})

    segment.refresh_from_db()
    assert segment.name == "Early cases" and segment.challenger == challenger and segment.challenger_share == 30


def test_a_reversed_range_is_refused_with_the_reason(client, manager):
    client.force_login(manager)

    response = client.post(
        reverse("collection:segment_new"),
        {
            "name": "Odd",
            "is_active": "on",
            "min_days_past_due": "30",
            "max_days_past_due": "5",
            "challenger_share": "0",
        },
    )

    assert response.status_code == 200
    assert "Days past due: the lower bound is above the upper one." in response.content.decode()
    assert not Segment.objects.filter(name="Odd").exists()


def test_the_catch_all_form_asks_no_conditions(client, manager):
    client.force_login(manager)
    page = client.get(reverse("collection:segment_edit", args=[catch_all_segment().pk])).content.decode()
    assert 'name="min_days_past_due"' not in page
    assert "it has no conditions" in page


def test_a_manager_creates_and_edits_a_strategy_making_a_new_version(client, manager):
    client.force_login(manager)
    created = client.post(
        reverse("collection:strategy_new"),
        {
            "name": "Early",
            "description": "",
            "note": "",
            "steps-count": "2",
            "steps-0-trigger": "dpd",
            "steps-0-days": "1",
            "steps-0-action": "send_message",
            "steps-0-send_message-kind": "payment_demand",
            "steps-0-send_message-channel": "sms",
            "steps-1-trigger": "dpd",
            "steps-1-days": "3",
            "steps-1-action": "queue_call",
            "steps-1-queue_call-boost": "80",
            "steps-1-queue_call-team": "",
        },
    )
    strategy = Strategy.objects.get(name="Early")
    assert created.status_code == 302
    assert list(strategy.current_version.steps.values_list("action", "trigger_days", "params")) == [
        ("send_message", 1, {"kind": "payment_demand", "channel": "sms"}),
        ("queue_call", 3, {"team": "", "boost": 80}),
    ]
    editor = client.get(reverse("collection:strategy_edit", args=[strategy.pk])).content.decode()
    assert 'value="80"' in editor

    client.post(
        reverse("collection:strategy_edit", args=[strategy.pk]),
        {
            "name": "Early",
            "description": "",
            "note": "Call only",
            "steps-count": "1",
            "steps-0-trigger": "dpd",
            "steps-0-days": "2",
            "steps-0-action": "queue_call",
            "steps-0-queue_call-boost": "50",
        },
    )

    strategy.refresh_from_db()
    assert strategy.current_version.number == 2
    assert strategy.versions.get(number=1).steps.count() == 2  # history never rewritten
    history = client.get(reverse("collection:strategy_edit", args=[strategy.pk])).content.decode()
    assert "Call only" in history
    version_one = client.get(reverse("collection:strategy_version", args=[strategy.pk, 1]))
    assert version_one.status_code == 200 and "SMS: Request to pay the overdue amount" in version_one.content.decode()


def test_the_editor_adds_and_removes_steps_without_saving(client, manager):
    client.force_login(manager)
    data = {
        "name": "Draft",
        "steps-count": "1",
        "steps-0-trigger": "dpd",
        "steps-0-days": "1",
        "steps-0-action": "move_stage",
        "steps-0-move_stage-stage": "late",
    }

    added = client.post(reverse("collection:strategy_new"), {**data, "op": "add"}).content.decode()

    assert 'name="steps-1-action"' in added
    assert not Strategy.objects.filter(name="Draft").exists()


def test_a_step_without_an_action_is_refused_saying_which(client, manager):
    client.force_login(manager)
    response = client.post(
        reverse("collection:strategy_new"),
        {"name": "Broken", "steps-count": "1", "steps-0-trigger": "dpd", "steps-0-days": "1", "steps-0-action": ""},
    )
    assert "Step 1: choose an action." in response.content.decode()
    assert not StrategyStep.objects.filter(version__strategy__name="Broken").exists()


def test_run_now_shows_the_counts_per_step(client, manager, eager_celery, today, monkeypatch):
    from collection.strategies.tasks import strategies_run_task

    strategy = strategy_make("Early", step(1, "send_message", **SMS_DEMAND))
    segment_make("Early", champion=strategy, max_days_past_due=30)
    case_in_arrears(days_past_due=2)
    client.force_login(manager)
    outcome = {}

    class Finished:
        """The task's state as the result backend gives it back (the test's backend is per process)."""

        def __init__(self, task_id):
            self.state, self.info, self.result = "SUCCESS", outcome["result"], outcome["result"]

    def run_now(*args):
        outcome["result"] = strategies_run_task.apply(args=args).result
        return type("Sent", (), {"id": "run-1"})()

    monkeypatch.setattr(strategies_run_task, "delay", run_now)
    monkeypatch.setattr("collection.views.strategies.AsyncResult", Finished)

    response = client.post(reverse("collection:strategies_run"), follow=True)

    page = response.content.decode()
    assert response.status_code == 200
    assert 'data-testid="run-steps"' in page
    assert "Early v1 #1 Send a message" in page
