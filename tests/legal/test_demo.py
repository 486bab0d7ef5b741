"""The legal demo: files in every state on long-overdue cases, made by the real services."""

import datetime

import pikepdf
import pytest
import time_machine
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from accounts.demo import demo_staff_ensure
from collection.demo import collection_demo_seed
from collection.lifecycle import collection_nightly_run
from collection.models import CaseEvent, Stage
from legal.demo import legal_demo_seed
from legal.models import Document, EnforcementRecovery, Evidence, FileStatus, LegalPolicy, LetterKind, LitigationFile
from lending.demo.services import demo_portfolio_seed
from lending.models import Payment
from tests.collection.factories import PortfolioFactory
from tests.legal.factories import LitigationFileFactory

pytestmark = pytest.mark.django_db

# Mid-morning in Shanghai, a working day.
NOW = datetime.datetime(2026, 11, 27, 2, 0, tzinfo=datetime.UTC)


def _demo():
    """The lending, staff, collection and legal demos (the legal one on a portfolio big enough for every state)."""
    with time_machine.travel(NOW, tick=False):
        PortfolioFactory()
        demo_portfolio_seed(accounts=1600, seed=3, as_of=timezone.localdate())
        demo_staff_ensure()
        collection_demo_seed(seed=3, today=timezone.localdate(), lifecycle=collection_nightly_run)
        return legal_demo_seed(seed=1, today=timezone.localdate())


# One run of the demos takes several seconds: one test reads everything it made, part by part.
def test_the_demo(client):
    demo = _demo()
    _files_in_every_state(demo)
    _final_notices_before_referrals()
    _exhibits_are_real_pdfs()
    _recoveries_are_court_enforcement_payments()
    _the_timeline_tells_the_story()
    _the_legal_officer_lands_on_a_full_workspace(client)
    _running_it_again_adds_nothing()


def test_if_empty_leaves_existing_files_alone(capsys):
    LitigationFileFactory()
    call_command("seed_demo_legal", "--if-empty")
    assert "nothing loaded" in capsys.readouterr().out
    assert LitigationFile.objects.count() == 1


def _files_in_every_state(demo):
    statuses = set(LitigationFile.objects.values_list("status", flat=True))
    assert {
        FileStatus.REFERRED,
        FileStatus.ACCEPTED,
        FileStatus.PREPARING,
        FileStatus.HEARING_SCHEDULED,
        FileStatus.JUDGMENT,
        FileStatus.ENFORCEMENT,
        FileStatus.CLOSED_WON,
        FileStatus.CLOSED_SETTLED,
    } <= statuses, demo
    assert sum(demo.files.values()) == LitigationFile.objects.count()
    # Every file is over a case in the legal stage, referred through the checklist.
    assert not LitigationFile.objects.exclude(case__stage=Stage.LEGAL).exists()
    assert all(file.checklist for file in LitigationFile.objects.all())
    assert LegalPolicy.objects.exists()


def _final_notices_before_referrals():
    for file in LitigationFile.objects.all():
        notice = Document.objects.filter(case=file.case, kind=LetterKind.FINAL_NOTICE).order_by("issued_on").first()
        referred_on = timezone.localtime(file.referred_at).date()
        assert notice is not None and (referred_on - notice.issued_on).days >= 15
    # Some cases have their notice and wait for a collector to refer them.
    waiting = Document.objects.filter(kind=LetterKind.FINAL_NOTICE).exclude(case__litigation_files__isnull=False)
    assert waiting.exists()
    assert Document.objects.filter(case__borrower__language__startswith="zh").exists()


def _exhibits_are_real_pdfs():
    exhibits = Evidence.objects.all()
    assert exhibits.count() >= 3 * 6
    exhibit = exhibits.first()
    with exhibit.stored.open("rb") as stored, pikepdf.open(stored) as pdf:
        assert len(pdf.pages) == exhibit.pages


def _recoveries_are_court_enforcement_payments():
    recovery = EnforcementRecovery.objects.select_related("payment").first()
    assert recovery is not None
    assert recovery.payment.channel == Payment.Channel.COURT_ENFORCEMENT
    assert recovery.payment.external_id.startswith("ENF-")


def _the_timeline_tells_the_story():
    # The files' histories happened over months, in order: filed before the hearing before the judgment.
    enforced = LitigationFile.objects.filter(status=FileStatus.ENFORCEMENT).first()
    history = list(enforced.status_changes.order_by("changed_at", "id").values_list("to_status", "changed_at"))
    assert [status for status, _at in history] == [
        "referred", "accepted", "preparing", "filed", "hearing_scheduled", "judgment", "enforcement"
    ]  # fmt: skip
    assert history[0][1] < history[-1][1] - datetime.timedelta(days=30)
    assert enforced.filed_on < enforced.judgment.judged_on < timezone.localdate()
    codes = set(CaseEvent.objects.filter(code__startswith="file_").values_list("code", flat=True))
    assert {"file_status_changed", "file_hearing_added", "file_judgment", "file_enforcement_recovered"} <= codes


def _the_legal_officer_lands_on_a_full_workspace(client):
    from accounts.models import User

    client.force_login(User.objects.get(username="legal"))
    with time_machine.travel(NOW, tick=False):
        queue = client.get(reverse("legal:workspace")).content.decode()
        calendar = client.get(reverse("legal:workspace"), {"tab": "calendar"}).content.decode()
    assert "Hearing scheduled" in queue and "Enforcement" in queue
    assert "Hearing" in calendar and "Appeal deadline" in calendar


def _running_it_again_adds_nothing():
    before = LitigationFile.objects.count(), Evidence.objects.count(), Payment.objects.count()
    again = legal_demo_seed(seed=1, today=NOW.date())
    assert again.skipped and not again.files
    call_command("seed_demo_legal", "--if-empty")
    assert (LitigationFile.objects.count(), Evidence.objects.count(), Payment.objects.count()) == before
