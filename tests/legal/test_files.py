"""A litigation file after acceptance: its status moves, the court's work, and the file page."""

import datetime
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from accounts.models import AuditEvent
from collection.models import CaseEvent, Stage
from collection.timeline import event_text
from legal.litigation import court, files
from legal.litigation.files import LitigationError
from legal.models import (
    EnforcementRecovery,
    FileStatus,
    FileStatusChange,
    Hearing,
    Judgment,
    LegalCost,
)
from lending.models import Payment
from tests.legal.factories import EvidenceFactory, LitigationFileFactory

pytestmark = pytest.mark.django_db

TODAY = timezone.localdate


def _file(status=FileStatus.ACCEPTED, **kwargs):
    return LitigationFileFactory(status=status, **kwargs)


def _filed(officer):
    file = _file(FileStatus.PREPARING)
    return files.file_filing_record(
        file=file, court="Pudong Court", court_case_number="(2026)沪0115民初123号", filed_on=TODAY(), actor=officer
    )


# --- Status moves ------------------------------------------------------------------------------------


def test_it_moves_an_accepted_file_to_preparing_with_history_timeline_and_audit(legal_officer):
    file = _file()
    files.file_prepare(file=file, actor=legal_officer, note="gathering the contract")
    file.refresh_from_db()
    assert file.status == FileStatus.PREPARING
    change = FileStatusChange.objects.get(file=file)
    assert (change.from_status, change.to_status, change.actor) == ("accepted", "preparing", legal_officer)
    event = CaseEvent.objects.get(case=file.case, code="file_status_changed")
    assert event.data["to"] == "preparing"
    assert event_text(event) == f"File {file.number}: Accepted → Preparing"
    assert AuditEvent.objects.filter(action="legal.file.status_changed", actor=legal_officer).count() == 1


def test_a_refused_move_writes_nothing(legal_officer):
    file = _file(FileStatus.ACCEPTED)
    with pytest.raises(LitigationError, match="cannot move"):
        files.file_filing_record(file=file, court="Court", court_case_number="1", filed_on=TODAY(), actor=legal_officer)
    file.refresh_from_db()
    assert file.status == FileStatus.ACCEPTED and file.court == ""
    assert not FileStatusChange.objects.exists()
    assert not CaseEvent.objects.filter(code="file_status_changed").exists()


def test_preparing_twice_is_refused_the_second_time(legal_officer):
    file = _file()
    files.file_prepare(file=file, actor=legal_officer)
    with pytest.raises(LitigationError):
        files.file_prepare(file=file, actor=legal_officer)
    assert FileStatusChange.objects.filter(file=file).count() == 1


def test_filing_needs_the_court_and_restarts_the_limitation(legal_officer, monkeypatch):
    refreshed = []
    monkeypatch.setattr("legal.limitation.case_limitation_refresh", lambda *, case: refreshed.append(case.pk))
    file = _file(FileStatus.PREPARING)
    with pytest.raises(LitigationError):
        files.file_filing_record(file=file, court=" ", court_case_number="1", filed_on=TODAY(), actor=legal_officer)
    files.file_filing_record(
        file=file, court="Pudong Court", court_case_number="X-1", filed_on=TODAY(), actor=legal_officer
    )
    file.refresh_from_db()
    assert (file.status, file.court, file.court_case_number, file.filed_on) == (
        "filed",
        "Pudong Court",
        "X-1",
        TODAY(),
    )
    assert refreshed == [file.case_id]


def test_the_transition_table_ends_every_open_status_somewhere():
    for status in files.WORKED_STATUSES:
        assert files.TRANSITIONS[status] & set(files.CLOSED)


def test_closing_keeps_the_case_in_the_legal_stage_and_clears_the_deadline(legal_officer):
    file = _filed(legal_officer)
    files.file_close(file=file, outcome=FileStatus.CLOSED_WITHDRAWN, actor=legal_officer)
    file.refresh_from_db()
    file.case.refresh_from_db()
    assert file.status == FileStatus.CLOSED_WITHDRAWN and file.closed_on == TODAY()
    assert file.next_deadline_on is None
    assert file.case.stage == Stage.LEGAL
    with pytest.raises(LitigationError):
        files.file_close(file=file, outcome=FileStatus.CLOSED_WON, actor=legal_officer)


def test_closing_won_needs_a_judgment(legal_officer):
    file = _filed(legal_officer)
    with pytest.raises(LitigationError):
        files.file_close(file=file, outcome=FileStatus.CLOSED_WON, actor=legal_officer)


def test_assigning_an_officer_who_does_not_work_legal_is_refused(legal_officer, collector, manager):
    file = _file()
    with pytest.raises(LitigationError):
        files.file_assign(file=file, legal_officer=collector, outside_lawyer="", actor=manager)
    files.file_assign(file=file, legal_officer=legal_officer, outside_lawyer=" King & Wood ", actor=manager)
    file.refresh_from_db()
    assert (file.legal_officer, file.outside_lawyer) == (legal_officer, "King & Wood")
    assert "outside lawyer King & Wood" in event_text(CaseEvent.objects.get(code="file_assigned"))


# --- Hearings, judgment, enforcement, costs ---------------------------------------------------------


def test_a_hearing_schedules_the_file_and_sets_the_next_deadline(legal_officer):
    file = _filed(legal_officer)
    starts = timezone.now() + datetime.timedelta(days=10)
    court.hearing_add(file=file, starts_at=starts, place="Court room 3", actor=legal_officer)
    file.refresh_from_db()
    assert file.status == FileStatus.HEARING_SCHEDULED
    assert file.next_deadline_on == timezone.localdate(starts)
    # A second hearing, earlier, becomes the next deadline; the status stays.
    sooner = timezone.now() + datetime.timedelta(days=3)
    court.hearing_add(file=file, starts_at=sooner, place="Court room 1", actor=legal_officer)
    file.refresh_from_db()
    assert file.status == FileStatus.HEARING_SCHEDULED
    assert file.next_deadline_on == timezone.localdate(sooner)
    assert FileStatusChange.objects.filter(file=file, to_status="hearing_scheduled").count() == 1


def test_a_held_hearing_no_longer_counts_as_a_deadline(legal_officer):
    file = _filed(legal_officer)
    hearing = court.hearing_add(
        file=file, starts_at=timezone.now() + datetime.timedelta(days=2), place="Room", actor=legal_officer
    )
    court.hearing_outcome_set(hearing=hearing, outcome=Hearing.Outcome.HELD, actor=legal_officer)
    file.refresh_from_db()
    file.case.refresh_from_db()
    # What is left is the limitation expiry (restarted by the filing), if any.
    assert file.next_deadline_on == file.case.limitation_expires_on
    assert file.next_deadline_on != timezone.localdate(hearing.starts_at)
    assert Hearing.objects.get().outcome == "held"


def test_the_next_deadline_is_the_earliest_of_hearing_appeal_and_limitation(legal_officer):
    file = _filed(legal_officer)
    case = file.case
    case.limitation_expires_on = TODAY() + datetime.timedelta(days=5)
    case.save(update_fields=["limitation_expires_on"])
    court.hearing_add(
        file=file, starts_at=timezone.now() + datetime.timedelta(days=20), place="Room", actor=legal_officer
    )
    file.refresh_from_db()
    assert file.next_deadline_on == case.limitation_expires_on


def test_a_judgment_records_the_awards_and_a_fifteen_day_appeal_window(legal_officer):
    file = _filed(legal_officer)
    judged_on = TODAY() - datetime.timedelta(days=1)
    judgment = court.judgment_record(
        file=file,
        judged_on=judged_on,
        in_favour=True,
        principal=Decimal("1000.00"),
        interest=Decimal("12.50"),
        costs=Decimal("50.00"),
        actor=legal_officer,
    )
    file.refresh_from_db()
    assert file.status == FileStatus.JUDGMENT
    assert judgment.total == Decimal("1062.50")
    assert judgment.appeal_deadline_on == judged_on + datetime.timedelta(days=15)
    assert file.next_deadline_on == judgment.appeal_deadline_on
    with pytest.raises(LitigationError):
        court.judgment_record(file=file, judged_on=judged_on, in_favour=True, actor=legal_officer)
    assert Judgment.objects.count() == 1


def test_enforcement_needs_a_judgment_in_our_favour(legal_officer):
    file = _filed(legal_officer)
    court.judgment_record(file=file, judged_on=TODAY(), in_favour=False, actor=legal_officer)
    with pytest.raises(LitigationError, match="favour"):
        court.enforcement_apply(file=file, applied_on=TODAY(), court_reference="E-1", actor=legal_officer)


def _in_enforcement(officer):
    file = _filed(officer)
    court.judgment_record(file=file, judged_on=TODAY(), in_favour=True, principal=Decimal("900"), actor=officer)
    enforcement = court.enforcement_apply(file=file, applied_on=TODAY(), court_reference="(2026)执1号", actor=officer)
    return file, enforcement


def test_a_recovery_is_a_real_court_enforcement_payment_allocated_on_the_account(legal_officer):
    file, enforcement = _in_enforcement(legal_officer)
    file.refresh_from_db()
    assert file.status == FileStatus.ENFORCEMENT
    account = file.case.case_accounts.get().account
    first = court.recovery_record(
        enforcement=enforcement, account=account, amount=Decimal("300.00"), received_on=TODAY(), actor=legal_officer
    )
    second = court.recovery_record(
        enforcement=enforcement, account=account, amount=Decimal("200.00"), received_on=TODAY(), actor=legal_officer
    )
    payments = Payment.objects.filter(account=account).order_by("id")
    assert [(p.external_id, p.amount, p.channel) for p in payments] == [
        (f"ENF-{enforcement.pk}-1", Decimal("300.00"), "court_enforcement"),
        (f"ENF-{enforcement.pk}-2", Decimal("200.00"), "court_enforcement"),
    ]
    assert first.payment.allocations.exists() and second.payment.allocations.exists()
    enforcement.refresh_from_db()
    assert enforcement.status == "in_progress"
    assert EnforcementRecovery.objects.count() == 2
    assert AuditEvent.objects.filter(action="lending.payment.recorded").count() == 2
    line = event_text(CaseEvent.objects.filter(code="file_enforcement_recovered").order_by("id").first())
    assert "recovered by enforcement" in line and f"ENF-{enforcement.pk}-1" in line


def test_a_recovery_on_an_account_outside_the_case_is_refused(legal_officer):
    file, enforcement = _in_enforcement(legal_officer)
    other = LitigationFileFactory().case.case_accounts.get().account
    with pytest.raises(LitigationError):
        court.recovery_record(
            enforcement=enforcement, account=other, amount=Decimal("1"), received_on=TODAY(), actor=legal_officer
        )
    assert not Payment.objects.exists()


def test_costs_must_be_positive_and_are_in_the_file_currency(legal_officer):
    file = _file()
    with pytest.raises(LitigationError):
        court.cost_add(file=file, kind="court_fee", amount=Decimal("0"), incurred_on=TODAY(), actor=legal_officer)
    assert not LegalCost.objects.exists()
    court.cost_add(file=file, kind="court_fee", amount=Decimal("50"), incurred_on=TODAY(), actor=legal_officer)
    event = CaseEvent.objects.get(code="file_cost_added")
    assert event.data["currency"] == "CNY"
    assert event_text(event) == f"File {file.number}: Court fee 50.00 CNY"


# --- The file page ---------------------------------------------------------------------------------


def _url(file, name="legal:file_detail", *args):
    return reverse(name, args=[file.pk, *args])


def test_the_page_shows_the_file_its_claim_history_and_next_moves(client, legal_officer, django_assert_max_num_queries):
    file = _filed(legal_officer)
    court.cost_add(file=file, kind="court_fee", amount=Decimal("50"), incurred_on=TODAY(), actor=legal_officer)
    court.cost_add(file=file, kind="lawyer_fee", amount=Decimal("1200"), incurred_on=TODAY(), actor=legal_officer)
    for days in (4, 9, 12):
        court.hearing_add(
            file=file, starts_at=timezone.now() + datetime.timedelta(days=days), place="Room 7", actor=legal_officer
        )
    for _ in range(3):
        EvidenceFactory(file=file)
    client.force_login(legal_officer)
    # A fixed number of queries, however many hearings, costs and exhibits.
    with django_assert_max_num_queries(18):
        response = client.get(_url(file))
    assert response.status_code == 200
    page = response.content.decode()
    assert file.number in page and file.case.number in page
    assert "Pudong Court" in page and "Hearing scheduled" in page
    assert "Room 7" in page
    assert "1,250.00 CNY" in page  # the costs' total
    assert "Record the judgment" in page and "Close the file" in page
    assert "Record the filing" not in page


def test_the_page_is_404_for_an_outsider_and_read_only_for_a_collector_who_sees_the_case(client, outsider, collector):
    file = _file()
    client.force_login(outsider)
    assert client.get(_url(file)).status_code == 404
    file.case.assigned_to = collector
    file.case.save(update_fields=["assigned_to"])
    client.force_login(collector)
    response = client.get(_url(file))
    assert response.status_code == 200
    assert "Start preparing" not in response.content.decode()


def test_the_page_is_404_for_an_agency_agent(client, agency_agent):
    # A legal file's case is never placed with an agency: outside the agent's scope.
    client.force_login(agency_agent)
    assert client.get(_url(_file())).status_code == 404


def test_the_page_refuses_a_post(client, legal_officer):
    client.force_login(legal_officer)
    assert client.post(_url(_file())).status_code == 405


def test_preparing_from_the_page(client, legal_officer):
    file = _file()
    client.force_login(legal_officer)
    response = client.post(_url(file, "legal:file_prepare"), {"note": ""}, follow=True)
    assert response.redirect_chain[-1][0] == _url(file)
    assert "The file is being prepared." in response.content.decode()
    file.refresh_from_db()
    assert file.status == FileStatus.PREPARING


def test_an_action_refuses_get_collectors_and_outsiders(client, collector, legal_officer):
    file = _file()
    client.force_login(legal_officer)
    assert client.get(_url(file, "legal:file_prepare")).status_code == 405
    client.force_login(collector)
    assert client.post(_url(file, "legal:file_prepare")).status_code == 403


def test_an_action_on_a_file_outside_the_legal_stage_is_404_for_a_legal_officer(client, legal_officer):
    file = _file()
    file.case.stage = Stage.LATE
    file.case.save(update_fields=["stage"])
    client.force_login(legal_officer)
    assert client.post(_url(file, "legal:file_prepare")).status_code == 404
    file.refresh_from_db()
    assert file.status == FileStatus.ACCEPTED


def test_a_refused_filing_shows_the_form_with_its_error(client, legal_officer):
    file = _file(FileStatus.PREPARING)
    client.force_login(legal_officer)
    tomorrow = (TODAY() + datetime.timedelta(days=1)).isoformat()
    response = client.post(
        _url(file, "legal:file_filing"), {"court": "Court", "court_case_number": "1", "filed_on": tomorrow}
    )
    assert response.status_code == 200
    assert "The filing date cannot be in the future." in response.content.decode()
    file.refresh_from_db()
    assert file.status == FileStatus.PREPARING


def test_the_whole_way_through_the_page(client, legal_officer):
    file = _file(FileStatus.PREPARING)
    client.force_login(legal_officer)
    today = TODAY().isoformat()
    steps = [
        ("legal:file_filing", {"court": "Pudong Court", "court_case_number": "X-9", "filed_on": today}),
        ("legal:file_hearing", {"starts_at": f"{today}T23:59", "place": "Room 1"}),
        (
            "legal:file_judgment",
            {
                "judged_on": today,
                "in_favour": "on",
                "principal": "1000",
                "interest": "0",
                "penalty": "0",
                "fees": "0",
                "costs": "0",
            },
        ),  # fmt: skip
        ("legal:file_enforcement", {"applied_on": today, "court_reference": "E-7"}),
    ]
    for name, data in steps:
        response = client.post(_url(file, name), data)
        assert response.status_code == 302, (name, response.content.decode()[:2000])
    file.refresh_from_db()
    assert file.status == FileStatus.ENFORCEMENT
    enforcement = file.enforcements.get()
    account = file.case.case_accounts.get().account
    response = client.post(
        _url(file, "legal:enforcement_recovery", enforcement.pk),
        {"account": account.pk, "amount": "150.00", "received_on": today},
        follow=True,
    )
    assert "The amount recovered is booked as a payment." in response.content.decode()
    assert f"ENF-{enforcement.pk}-1" in response.content.decode()
    response = client.post(_url(file, "legal:file_close"), {"outcome": "closed_won"}, follow=True)
    file.refresh_from_db()
    assert file.status == FileStatus.CLOSED_WON
    assert "Closed: won" in response.content.decode()


def test_the_case_page_shows_the_litigation_file(client, legal_officer):
    file = _file()
    client.force_login(legal_officer)
    response = client.get(reverse("collection:case_detail", args=[file.case_id]))
    page = response.content.decode()
    assert response.status_code == 200
    assert 'id="case-litigation-file"' in page
    assert _url(file) in page and "Accepted" in page


def test_the_audit_trail_reads_the_move_as_the_timeline_does(legal_officer):
    from accounts.audit_text import audit_text

    file = _file()
    files.file_prepare(file=file, actor=legal_officer)
    event = AuditEvent.objects.get(action="legal.file.status_changed")
    assert audit_text(event) == f"File {file.number}: Accepted → Preparing"
