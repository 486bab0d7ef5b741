"""
The demo's segments and strategies (make demo → seed_demo_automation): Early,
High balance, Late and Legal-ready before the catch-all, each with a strategy
of real steps, then tonight's run, so the demo cases carry strategy steps on
their timelines (and queued messages the dispatcher sends through the file
backends).
"""

from django.db import transaction

from collection.models import Segment, Strategy
from collection.strategies.services import StepDraft, segment_save, strategy_create

SMS_DEMAND = {"kind": "payment_demand", "channel": "sms"}
DEMO_STRATEGIES = {
    "Early": [
        ("dpd", 1, "send_message", SMS_DEMAND),
        ("dpd", 3, "queue_call", {"team": "", "boost": 60}),
        ("dpd", 10, "send_message", {"kind": "overdue_reminder", "channel": "sms"}),
        ("dpd", 20, "queue_call", {"team": "", "boost": 120}),
    ],
    "High balance": [
        ("dpd", 1, "queue_call", {"team": "", "boost": 200}),
        ("dpd", 7, "send_message", SMS_DEMAND),
        ("dpd", 30, "request_visit", {"note": ""}),
    ],
    "Late": [
        ("dpd", 31, "send_message", SMS_DEMAND),
        ("dpd", 35, "queue_call", {"team": "", "boost": 150}),
        ("dpd", 45, "request_visit", {"note": ""}),
        ("dpd", 60, "generate_letter", {"letter_kind": "final_notice"}),
    ],
    "Legal-ready": [
        ("dpd", 91, "generate_letter", {"letter_kind": "final_notice"}),
        ("dpd", 120, "refer_to_legal", {}),
    ],
}
# (segment, its strategy, its conditions), in the order they are tried.
DEMO_SEGMENTS = (
    ("High balance", "High balance", {"min_balance": 10000}),
    ("Early", "Early", {"min_days_past_due": 1, "max_days_past_due": 30}),
    ("Late", "Late", {"min_days_past_due": 31, "max_days_past_due": 90}),
    ("Legal-ready", "Legal-ready", {"min_days_past_due": 91}),
)


def strategies_demo(*, seed: int, today) -> dict:
    """Give the demo portfolio its segments and strategies, then run them for today; returns counts."""
    from collection.strategies.engine import strategies_run
    from collection.strategies.segments import segments_assign

    created = 0
    with transaction.atomic():
        for name, rows in DEMO_STRATEGIES.items():
            if Strategy.objects.filter(name=name).exists():
                continue
            strategy_create(
                name=name,
                steps=[StepDraft(trigger=t, trigger_days=d, action=a, params=p) for t, d, a, p in rows],
                actor=None,
            )
            created += 1
        for name, strategy, conditions in DEMO_SEGMENTS:
            if Segment.objects.filter(name=name).exists():
                continue
            segment_save(
                segment=Segment(name=name, priority=0, champion=Strategy.objects.get(name=strategy), **conditions),
                actor=None,
            )
    counts = segments_assign(on=today)
    counts.update(strategies_run(on=today))
    return {
        "strategies": created,
        "cases in segments": counts["cases_entered"],
        "strategy steps done": counts["steps_done"],
        "refused by the guard": counts["steps_refused"],
    }
