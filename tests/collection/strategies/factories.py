"""Segments and strategies for the tests: a strategy is made through the service, as the editor makes it."""

from collection.models import Segment, StepTrigger
from collection.strategies.services import StepDraft, segment_save, strategy_create


def step(days, action, trigger=StepTrigger.DAYS_PAST_DUE, **params) -> StepDraft:
    return StepDraft(trigger=trigger, trigger_days=days, action=action, params=params)


def strategy_make(name="Early", *steps, actor=None):
    return strategy_create(name=name, steps=list(steps), note="", actor=actor)


def segment_make(name="Early", *, champion=None, challenger=None, challenger_share=0, actor=None, **conditions):
    segment = Segment(
        name=name,
        priority=0,
        champion=champion,
        challenger=challenger,
        challenger_share=challenger_share,
        **conditions,
    )
    return segment_save(segment=segment, actor=actor)


SMS_DEMAND = {"kind": "payment_demand", "channel": "sms"}
