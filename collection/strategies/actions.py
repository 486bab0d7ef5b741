"""
What a strategy step can do: the action registry.

An action is a code, a label, the settings a manager gives it in the
strategy editor (its `params` spec, from which the editor draws the form)
and `run(case_ids=, step=, on=, now=)`, which does the action for a whole
batch of cases at once and returns the cases whose outcome is not the
ordinary one (`StepResult`s by case id); every other case of the batch is
recorded as done with the action's `done_code`.

Collection registers its own actions here (send a message, queue for a
call, request a field visit, move the stage, and the credit-line actions
when lending has them); apps to the right of collection register theirs
when they start (legal: generate a letter, refer to legal), so collection
never imports them.
"""

import datetime
import types
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from django.utils.translation import gettext_lazy as _

from collection.models import EventKind, StepOutcome


@dataclass(frozen=True)
class ParamSpec:
    """One setting of an action, as the strategy editor asks for it."""

    name: str
    label: str
    kind: str  # "choice", "number", "text"
    # For a choice: a function returning [(value, label)] (called when the form is drawn).
    choices: Callable[[], Sequence[tuple[str, str]]] | None = None
    required: bool = True
    default: object = None
    minimum: int | None = None
    maximum: int | None = None
    help_text: str = ""


@dataclass(frozen=True)
class StepResult:
    """How one case's step went when it was not simply done: the outcome, a result code and its facts."""

    outcome: str
    code: str
    data: dict = field(default_factory=dict)


@dataclass(frozen=True)
class StrategyAction:
    code: str
    label: str
    # run(*, case_ids, step, on, now) -> {case_id: StepResult} for the cases not simply done.
    run: Callable[..., dict]
    params: tuple[ParamSpec, ...] = ()
    done_code: str = "done"
    # The timeline kind its line is filed under.
    event_kind: str = EventKind.STATUS
    # How the step reads in the editor and on the timeline, from its settings ("SMS: payment demand").
    describe: Callable[[dict], str] | None = None
    order: int = 100

    def step_label(self, params: dict) -> str:
        if self.describe is not None:
            try:
                return str(self.describe(params or {}))
            except (KeyError, ValueError, TypeError):
                pass
        return str(self.label)


_actions: dict[str, StrategyAction] = {}
# How each result code reads for the reader ("queued", "already in that stage"...).
_result_texts: dict[str, object] = {}


def action_register(action: StrategyAction) -> None:
    _actions[action.code] = action


def actions_available() -> list[StrategyAction]:
    """The actions a step may use now, in the editor's order."""
    return sorted(_actions.values(), key=lambda action: (action.order, action.code))


def action_get(code: str) -> StrategyAction | None:
    return _actions.get(code)


def result_text_register(code: str, text) -> None:
    """A result code and how it reads (a lazy text, or a function of the result's facts)."""
    _result_texts[code] = text


def result_text(code: str, data: dict | None = None) -> str:
    text = _result_texts.get(code)
    if text is None:
        return code
    if isinstance(text, types.FunctionType):
        try:
            return str(text(data or {}))
        except (KeyError, ValueError, TypeError):
            return code
    return str(text)


def params_validate(action: StrategyAction, params: dict) -> tuple[dict, dict]:
    """The step's settings cleaned by the action's spec, and the errors by setting name."""
    cleaned, errors = {}, {}
    for spec in action.params:
        value = params.get(spec.name)
        if value in (None, ""):
            if spec.required and spec.default is None:
                errors[spec.name] = str(_("%(setting)s: this setting is required.") % {"setting": spec.label})
            elif spec.default is not None:
                cleaned[spec.name] = spec.default
            continue
        if spec.kind == "number":
            try:
                number = int(value)
            except (TypeError, ValueError):
                errors[spec.name] = str(_("%(setting)s: enter a whole number.") % {"setting": spec.label})
                continue
            if (spec.minimum is not None and number < spec.minimum) or (
                spec.maximum is not None and number > spec.maximum
            ):
                errors[spec.name] = str(
                    _("%(setting)s: enter a number from %(low)s to %(high)s.")
                    % {"setting": spec.label, "low": spec.minimum, "high": spec.maximum}
                )
                continue
            cleaned[spec.name] = number
        elif spec.kind == "choice":
            values = {str(choice) for choice, _label in (spec.choices() if spec.choices else ())}
            if str(value) not in values:
                errors[spec.name] = str(_("%(setting)s: choose one of the list.") % {"setting": spec.label})
                continue
            cleaned[spec.name] = str(value)
        else:
            text = str(value).strip()
            if len(text) > 300:
                errors[spec.name] = str(_("%(setting)s: at most 300 characters.") % {"setting": spec.label})
                continue
            cleaned[spec.name] = text
    return cleaned, errors


def refused(rule: str) -> StepResult:
    """The guard refused the contact: the outcome names its rule (rendered for the reader)."""
    return StepResult(StepOutcome.REFUSED, "refused", {"rule": rule})


def failed(code: str, **data) -> StepResult:
    return StepResult(StepOutcome.FAILED, code, data)


def skipped(code: str, **data) -> StepResult:
    return StepResult(StepOutcome.SKIPPED, code, data)


def one_by_one(service: Callable, *, case_ids: Sequence[int], on: datetime.date) -> dict[int, StepResult]:
    """
    Call `service(case, on)` for each case (the actions whose service is one
    case at a time and asks the guard itself: visits, letters, referrals),
    each in its own savepoint, turning refusals and domain errors into
    results; `service` returns None (done) or a StepResult.
    """
    from django.db import transaction

    from collection.compliance import ContactRefused, refusal_record
    from collection.errors import CollectionError
    from collection.models import Case

    results = {}
    cases = Case.objects.select_related("borrower", "portfolio").filter(pk__in=list(case_ids)).order_by("pk")
    for case in cases:
        try:
            with transaction.atomic():
                result = service(case, on)
        except ContactRefused as refusal:
            # The service logged the refusal inside the savepoint just rolled back: log it again, outside.
            refusal.recorded = None
            refusal_record(refusal)
            results[case.pk] = refused(refusal.verdict.rule)
        except CollectionError as error:
            results[case.pk] = failed(getattr(error, "code", "") or "service_refused", error=type(error).__name__)
        else:
            if result is not None:
                results[case.pk] = result
    return results
