"""
Legal's strategy actions, registered with collection's action registry when
legal starts (legal/registry.py), so a collection strategy can send a letter
or refer a case to legal while collection imports nothing of legal.

- "generate_letter": the case's letter of the step's kind, through
  `letter_generate` (the guard decides, a refusal is recorded in the
  refusal log and the step is "refused" with its rule).
- "refer_to_legal": `case_refer` when every check of the referral checklist
  passes. A referral names the person who made it: the manager who saved
  the strategy version, else the case's collector, whoever of them may
  refer the case; the step is skipped (with the checks that failed) otherwise.
"""

from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from collection.models import EventKind, StepOutcome
from collection.strategies.actions import (
    ParamSpec,
    StepResult,
    StrategyAction,
    action_register,
    one_by_one,
    result_text_register,
    skipped,
)


def _letter_kind_choices():
    from legal.models import LetterKind

    return LetterKind.choices


def generate_letter_run(*, case_ids, step, on, now) -> dict:
    from legal.letters.services import LetterError, letter_generate

    kind = step.params["letter_kind"]

    def generate(case, day):
        try:
            document = letter_generate(case=case, kind=kind, actor=None, issued_on=day)
        except LetterError as error:
            return StepResult(StepOutcome.FAILED, "letter_not_made", {"problem": error.code})
        return skipped("letter_exists", document=document.pk) if getattr(document, "existing", False) else None

    return one_by_one(generate, case_ids=case_ids, on=on)


def _describe_letter(params: dict) -> str:
    from legal.models import LetterKind

    return _("Letter: %(kind)s") % {"kind": LetterKind(params["letter_kind"]).label}


def _referrers(case, step) -> list:
    from accounts.permissions import Capability, user_can

    people = [step.version.created_by, case.assigned_to]
    return [
        person
        for person in people
        if person is not None and person.is_active and user_can(person, Capability.REFER_TO_LEGAL)
    ]


def refer_to_legal_run(*, case_ids, step, on, now) -> dict:
    from legal.litigation.files import LitigationError
    from legal.litigation.referral import case_refer, referral_checklist
    from legal.models import ENDED_STATUSES, LitigationFile

    def refer(case, day):
        if LitigationFile.objects.filter(case=case).exclude(status__in=ENDED_STATUSES).exists():
            return skipped("already_in_legal")
        failing = [item.code for item in referral_checklist(case=case, today=day) if not item.passed]
        if failing:
            return skipped("referral_checks_failed", checks=failing)
        for person in _referrers(case, step):
            try:
                case_refer(case=case, actor=person, today=day)
            except LitigationError:
                continue
            return None
        return skipped("no_referrer")

    return one_by_one(refer, case_ids=case_ids, on=on)


def _checks_failed_text(data: dict) -> str:
    count = len(data.get("checks") or ())
    return ngettext(
        "not referred: %(count)d check of the referral failed",
        "not referred: %(count)d checks of the referral failed",
        count,
    ) % {"count": count}


def register() -> None:
    action_register(
        StrategyAction(
            code="generate_letter",
            label=_("Generate a letter"),
            run=generate_letter_run,
            params=(ParamSpec("letter_kind", _("Letter"), "choice", choices=_letter_kind_choices),),
            done_code="letter_generated",
            event_kind=EventKind.LETTER,
            describe=_describe_letter,
            order=60,
        )
    )
    action_register(
        StrategyAction(
            code="refer_to_legal",
            label=_("Refer to legal"),
            run=refer_to_legal_run,
            done_code="referred_to_legal",
            event_kind=EventKind.STATUS,
            order=70,
        )
    )
    for code, text in {
        "letter_generated": _("letter generated"),
        "letter_exists": _("the letter was already made today"),
        "letter_not_made": _("the letter could not be made"),
        "referred_to_legal": _("referred to legal"),
        "already_in_legal": _("already in legal"),
        "no_referrer": _("nobody who may refer the case"),
    }.items():
        result_text_register(code, text)
    result_text_register("referral_checks_failed", _checks_failed_text)
