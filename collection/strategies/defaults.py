"""The catch-all segment and its default strategy, so every open case is in a segment from the start."""

# The default strategy, step by step: (days past due, action, settings). Legal's two actions are
# registered by legal when it starts (legal/strategy_actions.py); a step stores only their code.
DEFAULT_STEPS = (
    (1, "send_message", {"kind": "payment_demand", "channel": "sms"}),
    (3, "queue_call", {"team": "", "boost": 100}),
    (45, "request_visit", {"note": ""}),
    (60, "generate_letter", {"letter_kind": "final_notice"}),
    (90, "refer_to_legal", {}),
)
CATCH_ALL_NAME = "All other cases"
DEFAULT_STRATEGY_NAME = "Default"
CATCH_ALL_PRIORITY = 1000


def install_default_segment(apps, *, now) -> None:
    """Install the catch-all segment with the historical models of `apps` (migration 0009)."""
    Segment = apps.get_model("collection", "Segment")
    Strategy = apps.get_model("collection", "Strategy")
    StrategyVersion = apps.get_model("collection", "StrategyVersion")
    StrategyStep = apps.get_model("collection", "StrategyStep")
    if Segment.objects.exists():
        return
    strategy = Strategy.objects.create(name=DEFAULT_STRATEGY_NAME, description="")
    version = StrategyVersion.objects.create(strategy=strategy, number=1, change_note="", created_at=now)
    StrategyStep.objects.bulk_create(
        StrategyStep(version=version, position=position, trigger="dpd", trigger_days=days, action=action, params=params)
        for position, (days, action, params) in enumerate(DEFAULT_STEPS, start=1)
    )
    strategy.current_version = version
    strategy.save(update_fields=["current_version"])
    Segment.objects.create(name=CATCH_ALL_NAME, priority=CATCH_ALL_PRIORITY, champion=strategy, challenger_share=0)
