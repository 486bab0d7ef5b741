"""
How a strategy step reads on the case timeline and the case page, from the
facts its event stored (collection/strategies/engine.py `step_event_data`):
"Strategy Early v2, step 3: SMS: Request to pay the overdue amount — queued
for sending", or "... refused: Contact hours".
"""

from django.utils.translation import gettext as _

from collection.compliance import Rule
from collection.models import StepOutcome
from collection.strategies.actions import action_get, result_text


def step_label(action_code: str, params: dict) -> str:
    action = action_get(action_code)
    return action.step_label(params) if action else action_code


def rule_label(rule: str) -> str:
    return str(Rule(rule).label) if rule in Rule.values else rule


def outcome_text(outcome: str, code: str, data: dict) -> str:
    if outcome == StepOutcome.REFUSED:
        return _("refused: %(rule)s") % {"rule": rule_label((data or {}).get("rule", ""))}
    return result_text(code, data)


def step_event_text(data: dict) -> str:
    values = {
        "strategy": data["strategy"],
        "version": data["version"],
        "position": data["position"],
        "action": step_label(data["action"], data.get("params") or {}),
    }
    if data.get("outcome") == StepOutcome.REFUSED:
        values["rule"] = rule_label((data.get("result_data") or {}).get("rule", ""))
        return _("Strategy %(strategy)s v%(version)s, step %(position)s: %(action)s refused: %(rule)s") % values
    values["result"] = outcome_text(
        data.get("outcome", StepOutcome.DONE), data.get("result", ""), data.get("result_data")
    )
    return _("Strategy %(strategy)s v%(version)s, step %(position)s: %(action)s — %(result)s") % values
