"""Legal's strategy actions, registered at legal's start-up: a letter through the guard, a referral by its checklist."""

import pytest

from collection.compliance import Rule
from collection.models import CaseEvent, ContactRefusal, Stage, StepExecution, StepOutcome
from collection.strategies import strategies_nightly
from collection.timeline import event_text
from legal.models import Document, LetterKind, LitigationFile
from tests.collection.factories import case_in_arrears
from tests.collection.strategies.factories import segment_make, step, strategy_make
from tests.legal.test_referral import referable
from tests.lending.factories import ContactPointFactory

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("morning")]


@pytest.fixture
def morning():
    import time_machine

    from tests.collection.conftest import MORNING

    with time_machine.travel(MORNING, tick=False):
        yield MORNING


def _letter_case(**fields):
    case = case_in_arrears(days_past_due=60, **fields)
    ContactPointFactory(borrower=case.borrower, kind="home_address", value="1 Main Street", number_e164="")
    return case


def _strategy(*steps):
    strategy = strategy_make("Legal-ready", *steps)
    segment_make("Legal-ready", champion=strategy, min_days_past_due=31)
    return strategy


def test_generate_a_letter_makes_the_letter_of_the_step_s_kind():
    from django.utils import timezone

    _strategy(step(60, "generate_letter", letter_kind=LetterKind.FINAL_NOTICE))
    case = _letter_case()

    strategies_nightly(timezone.localdate())

    document = Document.objects.get(case=case)
    assert document.kind == LetterKind.FINAL_NOTICE and document.created_by is None
    execution = StepExecution.objects.get(case=case)
    assert (execution.outcome, execution.result_code) == (StepOutcome.DONE, "letter_generated")
    line = event_text(CaseEvent.objects.get(case=case, code="strategy_step_done"))
    assert line == "Strategy Legal-ready v1, step 1: Letter: Final notice before legal action — letter generated"


def test_a_letter_the_guard_refuses_is_refused_and_logged():
    from django.utils import timezone

    _strategy(step(60, "generate_letter", letter_kind=LetterKind.FINAL_NOTICE))
    case = _letter_case()
    case.borrower.is_deceased = True
    case.borrower.save()

    strategies_nightly(timezone.localdate())

    execution = StepExecution.objects.get(case=case)
    assert execution.outcome == StepOutcome.REFUSED and execution.result_data["rule"] == Rule.BORROWER_FLAG
    assert not Document.objects.filter(case=case).exists()
    assert ContactRefusal.objects.filter(case=case, action="letter.final_notice").exists()
    line = event_text(CaseEvent.objects.get(case=case, code="strategy_step_refused"))
    assert line.startswith("Strategy Legal-ready v1, step 1: Letter: Final notice before legal action refused: ")


def test_refer_to_legal_refers_a_case_that_passes_the_checklist(collector):
    from django.utils import timezone

    _strategy(step(90, "refer_to_legal"))
    case = referable(collector)

    strategies_nightly(timezone.localdate())

    file = LitigationFile.objects.get(case=case)
    assert file.referred_by == collector
    case.refresh_from_db()
    assert case.stage == Stage.LEGAL
    assert StepExecution.objects.get(case=case).result_code == "referred_to_legal"


def test_refer_to_legal_skips_a_case_that_fails_a_check(collector):
    from django.utils import timezone

    _strategy(step(90, "refer_to_legal"))
    case = case_in_arrears(days_past_due=200, collector=collector, stage=Stage.LATE)  # no final notice sent

    strategies_nightly(timezone.localdate())

    execution = StepExecution.objects.get(case=case)
    assert (execution.outcome, execution.result_code) == (StepOutcome.SKIPPED, "referral_checks_failed")
    assert "final_notice" in execution.result_data["checks"]
    assert not LitigationFile.objects.filter(case=case).exists()
