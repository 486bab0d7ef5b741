"""
Referral to legal: the checklist blocking on each failing condition, the
referral moving the case to the legal stage (out of the collectors' queues,
read-only to them), acceptance with the claim, a manager's approval above the
policy's amount, a rejection returning the case to its stage, and who may do
what on each page.
"""

import datetime
from decimal import Decimal

import pytest
from django.urls import reverse

from accounts.models import AuditEvent
from accounts.roles import Role
from collection.models import Case, CaseEvent, ContactAttempt, HoldKind, Stage, StageChange
from collection.timeline import event_text
from legal.litigation import referral as services
from legal.litigation.claim import claim_compute
from legal.litigation.files import LitigationError
from legal.models import FileStatus, FileStatusChange, LetterKind, LitigationFile
from lending.services import lender_today
from tests.collection.factories import HoldFactory, case_in_arrears
from tests.legal.factories import DocumentFactory, LegalPolicyFactory, LitigationFileFactory

pytestmark = pytest.mark.django_db


def days_ago(days: int) -> datetime.date:
    return lender_today() - datetime.timedelta(days=days)


def referable(collector=None, **fields) -> Case:
    """A late case that passes every check: six installments all due, a final notice 20 days ago."""
    case = case_in_arrears(days_past_due=200, collector=collector, stage=Stage.LATE, **fields)
    DocumentFactory(case=case, kind=LetterKind.FINAL_NOTICE, issued_on=days_ago(20))
    return case


def failed_codes(case: Case) -> list[str]:
    return [item.code for item in services.referral_checklist(case=case) if not item.passed]


# --- The checklist ---------------------------------------------------------------------------------


def test_a_case_that_meets_every_condition_passes_each_check(collector):
    items = services.referral_checklist(case=referable(collector))
    assert [item.code for item in items] == list(services.CHECK_CODES)
    assert all(item.passed for item in items)
    texts = [services.check_item_text(item) for item in items]
    assert texts[0] == "Balance 6,075.00 CNY, at least the 1,000.00 CNY a referral needs"
    assert texts[1].startswith("Final notice sent on") and "20 days ago (15 needed)" in texts[1]


def _low_balance(case):
    LegalPolicyFactory(portfolio=case.portfolio, min_referral_balance=Decimal("10000.00"))


def _no_final_notice(case):
    case.documents.all().delete()


def _recent_final_notice(case):
    case.documents.update(issued_on=days_ago(3))


def _hold(kind):
    def place(case):
        HoldFactory(case=case, kind=kind)

    return place


def _deceased(case):
    case.borrower.is_deceased = True
    case.borrower.save(update_fields=["is_deceased"])


def _bankrupt(case):
    case.borrower.is_bankrupt = True
    case.borrower.save(update_fields=["is_bankrupt"])


def _time_barred(case):
    account = case.case_accounts.get().account
    for installment in account.installments.all():
        installment.due_on -= datetime.timedelta(days=4 * 366)
        installment.lent_on = installment.due_on - datetime.timedelta(days=30)
        installment.save(update_fields=["due_on", "lent_on"])
    case.documents.update(issued_on=days_ago(20))  # a demand inside an expired period revives nothing


def _over_the_cap(case):
    installment = case.case_accounts.get().account.installments.order_by("number").first()
    installment.penalty_accrued = Decimal("5000.00")
    installment.save(update_fields=["penalty_accrued"])


BLOCKERS = [
    (_low_balance, services.BALANCE, "below the 10,000.00 CNY a referral needs"),
    (_no_final_notice, services.FINAL_NOTICE, "No final notice sent yet"),
    (_recent_final_notice, services.FINAL_NOTICE, "only 3 days ago (15 needed)"),
    (_hold(HoldKind.DISPUTE), services.NO_DISPUTE, "Open hold: Dispute"),
    (_hold(HoldKind.HARDSHIP_REVIEW), services.NO_DISPUTE, "Open hold: Hardship review"),
    (_deceased, services.NOT_DECEASED_OR_BANKRUPT, "The borrower is deceased"),
    (_bankrupt, services.NOT_DECEASED_OR_BANKRUPT, "The borrower is bankrupt"),
    (_hold(HoldKind.BANKRUPTCY), services.NOT_DECEASED_OR_BANKRUPT, "The borrower is bankrupt"),
    (_time_barred, services.WITHIN_LIMITATION, "The limitation period expired on"),
    (_over_the_cap, services.CHARGES_WITHIN_CAP, "exceed the legal cap"),
]


@pytest.mark.parametrize(("make_fail", "code", "words"), BLOCKERS, ids=[f.__name__ for f, *_ in BLOCKERS])
def test_each_failing_condition_blocks_the_referral(collector, make_fail, code, words):
    case = referable(collector)
    make_fail(case)
    assert failed_codes(case) == [code]
    with pytest.raises(LitigationError) as refused:
        services.case_refer(case=case, actor=collector, note="")
    assert "cannot be referred yet" in str(refused.value) and words in str(refused.value)
    case.refresh_from_db()
    assert case.stage == Stage.LATE
    assert not LitigationFile.objects.exists()
    assert not StageChange.objects.filter(case=case).exists()
    assert not AuditEvent.objects.filter(action__startswith="legal.referral").exists()


def test_the_claim_cuts_the_penalty_to_the_cap(collector):
    case = referable(collector)
    _over_the_cap(case)
    claim = claim_compute(case)
    assert claim.principal == Decimal("6000.00") and claim.interest == Decimal("75.00")
    assert claim.over_cap > 0
    assert claim.penalty == Decimal("5000.00") - claim.over_cap
    assert claim.total == claim.principal + claim.interest + claim.fees + claim.penalty
    assert claim.court_fee_estimate == (claim.total * Decimal("0.0100")).quantize(Decimal("0.01"))


# --- Referring -------------------------------------------------------------------------------------


def test_a_referral_moves_the_case_to_legal_with_its_checklist(collector):
    case = referable(collector)
    file = services.case_refer(case=case, actor=collector, note="Ignores every call")
    case.refresh_from_db()
    assert case.stage == Stage.LEGAL and case.assigned_to == collector
    assert file.status == FileStatus.REFERRED and file.stage_before == Stage.LATE
    assert file.referral_note == "Ignores every call" and file.referred_by == collector
    assert [item["code"] for item in file.checklist] == list(services.CHECK_CODES)
    assert all(item["passed"] for item in file.checklist)
    change = StageChange.objects.get(case=case)
    assert (change.from_stage, change.to_stage, change.actor) == (Stage.LATE, Stage.LEGAL, collector)
    lines = {event.code: event_text(event) for event in CaseEvent.objects.filter(case=case)}
    assert lines["stage_changed"] == "Stage: Late → Legal"
    assert lines["file_referred"] == f"Referred to legal: file {file.number}"
    assert FileStatusChange.objects.get(file=file).to_status == FileStatus.REFERRED
    assert AuditEvent.objects.get(action="legal.referral.made").actor == collector


def test_a_case_is_referred_once(collector):
    case = referable(collector)
    services.case_refer(case=case, actor=collector)
    with pytest.raises(LitigationError, match="already with legal"):
        services.case_refer(case=case, actor=collector)
    assert LitigationFile.objects.count() == 1


def test_the_referred_case_leaves_the_collector_s_queue_and_is_read_only(client, collector, mobile_case=None):
    case = referable(collector)
    other = case_in_arrears(days_past_due=20, collector=collector)
    services.case_refer(case=case, actor=collector)
    client.force_login(collector)
    queue = client.get(reverse("collection:my_queue"))
    assert {row.record.pk for row in queue.context["table"].paginated_rows} == {other.pk}
    page = client.get(reverse("collection:case_detail", args=[case.pk]))
    assert page.status_code == 200
    assert 'id="form-contact"' not in page.text
    assert "collectors see it read-only" in page.text
    point = case.borrower.contact_points.get()
    posted = client.post(
        reverse("collection:case_contact_log", args=[case.pk]),
        {"contact_point": point.pk, "direction": "outbound", "answered_by": "borrower", "outcome": "no_answer"},
    )
    assert posted.status_code == 403
    assert client.post(reverse("collection:case_note_add", args=[case.pk]), {"notes": "x"}).status_code == 403
    assert client.get(reverse("collection:arrangement_propose", args=[case.pk])).status_code == 403
    assert not ContactAttempt.objects.exists()


def test_a_manager_still_works_a_legal_stage_case(client, collector, manager):
    case = referable(collector)
    services.case_refer(case=case, actor=collector)
    client.force_login(manager)
    page = client.get(reverse("collection:case_detail", args=[case.pk]))
    assert 'id="form-contact"' in page.text


# --- Deciding --------------------------------------------------------------------------------------


def test_accepting_computes_the_claim_and_writes_it_on_the_file(collector, legal_officer):
    file = services.case_refer(case=referable(collector), actor=collector)
    file = services.referral_accept(file=file, actor=legal_officer, note="Good evidence")
    file.refresh_from_db()
    assert file.status == FileStatus.ACCEPTED
    assert file.claim_principal == Decimal("6000.00") and file.claim_interest == Decimal("75.00")
    assert file.claim_total == Decimal("6075.00") and file.court_fee_estimate == Decimal("60.75")
    assert file.legal_officer == legal_officer and file.decided_by == legal_officer
    assert file.claim_computed_on == lender_today()
    assert list(file.status_changes.values_list("to_status", flat=True)) == [FileStatus.REFERRED, FileStatus.ACCEPTED]
    event = CaseEvent.objects.get(case=file.case, code="file_referral_accepted")
    assert event_text(event) == f"Referral {file.number} accepted, claim 6,075.00 CNY"
    assert AuditEvent.objects.filter(action="legal.referral.accepted", actor=legal_officer).count() == 1


def test_a_claim_above_the_policy_s_amount_waits_for_a_manager(collector, legal_officer, manager):
    case = referable(collector)
    LegalPolicyFactory(portfolio=case.portfolio, manager_approval_above=Decimal("5000.00"))
    file = services.referral_accept(file=services.case_refer(case=case, actor=collector), actor=legal_officer)
    assert file.status == FileStatus.AWAITING_APPROVAL
    with pytest.raises(LitigationError):
        services.referral_approve(file=file, actor=legal_officer)
    file = services.referral_approve(file=file, actor=manager)
    file.refresh_from_db()
    assert file.status == FileStatus.ACCEPTED and file.approved_by == manager
    assert AuditEvent.objects.filter(action="legal.referral.approved", actor=manager).count() == 1
    with pytest.raises(LitigationError, match="waiting for a manager"):
        services.referral_approve(file=file, actor=manager)


def test_the_manager_who_accepted_does_not_approve_it_too(collector, manager):
    case = referable(collector)
    LegalPolicyFactory(portfolio=case.portfolio, manager_approval_above=Decimal("5000.00"))
    file = services.referral_accept(file=services.case_refer(case=case, actor=collector), actor=manager)
    with pytest.raises(LitigationError, match="Someone other"):
        services.referral_approve(file=file, actor=manager)


def test_a_rejection_needs_reasons_and_returns_the_case_to_its_stage(collector, legal_officer):
    case = referable(collector)
    file = services.case_refer(case=case, actor=collector)
    with pytest.raises(LitigationError, match="reasons"):
        services.referral_reject(file=file, actor=legal_officer, note="  ")
    file.refresh_from_db()
    assert file.status == FileStatus.REFERRED
    file = services.referral_reject(file=file, actor=legal_officer, note="No contract on file")
    case.refresh_from_db()
    assert file.status == FileStatus.REJECTED and file.decision_note == "No contract on file"
    assert case.stage == Stage.LATE
    assert list(StageChange.objects.filter(case=case).values_list("to_stage", flat=True)) == [Stage.LEGAL, Stage.LATE]
    event = CaseEvent.objects.get(case=case, code="file_referral_rejected")
    assert event_text(event) == f"Referral {file.number} rejected: back to stage Late"
    # Back in the collector's hands, it can be referred again later.
    assert services.case_refer(case=case, actor=collector).status == FileStatus.REFERRED


def test_only_a_referral_waiting_for_a_decision_is_accepted(collector, legal_officer):
    file = LitigationFileFactory(status=FileStatus.ACCEPTED)
    with pytest.raises(LitigationError):
        services.referral_accept(file=file, actor=legal_officer)
    with pytest.raises(LitigationError):
        services.referral_reject(file=file, actor=legal_officer, note="no")


@pytest.mark.parametrize("role", [Role.COLLECTOR, Role.TEAM_LEAD, Role.ADMIN])
def test_roles_without_work_legal_cannot_accept(user_of_role, collector, role):
    file = services.case_refer(case=referable(collector), actor=collector)
    with pytest.raises(LitigationError):
        services.referral_accept(file=file, actor=user_of_role(role))


def test_roles_without_the_right_cannot_refer(legal_officer, admin_user, collector):
    case = referable(collector)
    for user in (legal_officer, admin_user):
        with pytest.raises(LitigationError):
            services.case_refer(case=case, actor=user)
    assert not LitigationFile.objects.exists()


# --- The pages -------------------------------------------------------------------------------------


def test_the_case_page_has_a_legal_section_that_loads_the_checklist(client, collector):
    case = referable(collector)
    client.force_login(collector)
    page = client.get(reverse("collection:case_detail", args=[case.pk]))
    checklist_url = reverse("legal:case_checklist", args=[case.pk])
    assert 'id="case-referral"' in page.text and f'hx-get="{checklist_url}"' in page.text
    part = client.get(checklist_url, headers={"HX-Request": "true"})
    assert part.status_code == 200
    assert part.text.count('data-passed="true"') == 6 and "✓" in part.text
    assert 'data-testid="refer-form"' in part.text and "disabled" not in part.text.split('data-testid="refer-form"')[1]


def test_the_refer_button_is_disabled_while_a_check_fails(client, collector):
    case = referable(collector)
    _no_final_notice(case)
    client.force_login(collector)
    part = client.get(reverse("legal:case_checklist", args=[case.pk]))
    assert 'data-check="final_notice" data-passed="false"' in part.text and "✗" in part.text
    assert "No final notice sent yet" in part.text
    assert 'aria-disabled="true"' in part.text


def test_the_checklist_part_scope_and_rights(client, collector, outsider, field_agent, admin_user):
    case = referable(collector)
    url = reverse("legal:case_checklist", args=[case.pk])
    for user in (outsider, field_agent):
        client.force_login(user)
        assert client.get(url).status_code == 404
    client.force_login(admin_user)  # sees every case, neither refers nor works legal
    assert client.get(url).status_code == 403
    client.force_login(collector)
    assert client.post(url).status_code == 405


def test_referring_from_the_page(client, collector):
    case = referable(collector)
    client.force_login(collector)
    response = client.post(reverse("legal:case_refer", args=[case.pk]), {"note": "Time to sue"}, follow=True)
    assert "The case is referred to legal" in response.text
    case.refresh_from_db()
    assert case.stage == Stage.LEGAL
    assert LitigationFile.objects.get().referral_note == "Time to sue"
    assert 'data-testid="referral-status"' in response.text


def test_a_refused_referral_says_which_checks_failed(client, collector):
    case = referable(collector)
    HoldFactory(case=case, kind=HoldKind.DISPUTE)
    client.force_login(collector)
    response = client.post(reverse("legal:case_refer", args=[case.pk]), {"note": ""}, follow=True)
    assert "cannot be referred yet: Open hold: Dispute." in response.text
    assert not LitigationFile.objects.exists()


def test_the_refer_view_scope_rights_and_method(client, collector, team_lead, outsider, legal_officer, admin_user):
    case = referable(collector)
    url = reverse("legal:case_refer", args=[case.pk])
    for user in (outsider, legal_officer):  # a legal officer does not see a case outside the legal stage
        client.force_login(user)
        assert client.post(url).status_code == 404
    client.force_login(admin_user)
    assert client.post(url).status_code == 403
    client.force_login(team_lead)
    assert client.get(url).status_code == 405
    assert client.post(url).status_code == 302
    assert LitigationFile.objects.get().referred_by == team_lead


def test_the_referrals_page_lists_referred_files_with_their_checklists(
    client, collector, legal_officer, django_assert_max_num_queries
):
    files = [services.case_refer(case=referable(collector), actor=collector) for _ in range(4)]
    client.force_login(legal_officer)
    with django_assert_max_num_queries(8):
        response = client.get(reverse("legal:referral_list"))
    assert response.status_code == 200
    assert [file.pk for file in response.context["referred"]] == [file.pk for file in files]
    assert response.text.count('data-passed="true"') == 24
    assert reverse("legal:referral_accept", args=[files[0].pk]) in response.text
    assert reverse("legal:referral_approve", args=[files[0].pk]) not in response.text


def test_accepting_and_rejecting_from_the_referrals_page(client, collector, legal_officer):
    first = services.case_refer(case=referable(collector), actor=collector)
    second = services.case_refer(case=referable(collector), actor=collector)
    client.force_login(legal_officer)
    response = client.post(reverse("legal:referral_accept", args=[first.pk]), {"note": ""}, follow=True)
    assert f"The referral is accepted: file {first.number}." in response.text
    refused = client.post(reverse("legal:referral_reject", args=[second.pk]), {"note": ""}, follow=True)
    assert "This field is required." in refused.text
    second.refresh_from_db()
    assert second.status == FileStatus.REFERRED
    client.post(reverse("legal:referral_reject", args=[second.pk]), {"note": "Balance disputed in writing"})
    second.refresh_from_db()
    assert second.status == FileStatus.REJECTED
    assert Case.objects.get(pk=second.case_id).stage == Stage.LATE


def test_a_manager_approves_from_the_referrals_page(client, collector, legal_officer, manager):
    case = referable(collector)
    LegalPolicyFactory(portfolio=case.portfolio, manager_approval_above=Decimal("5000.00"))
    file = services.referral_accept(file=services.case_refer(case=case, actor=collector), actor=legal_officer)
    client.force_login(manager)
    page = client.get(reverse("legal:referral_list"))
    assert [awaiting.pk for awaiting in page.context["awaiting"]] == [file.pk]
    assert "6,075.00 CNY" in page.text
    response = client.post(reverse("legal:referral_approve", args=[file.pk]), {"note": ""}, follow=True)
    assert f"The litigation is approved: file {file.number}." in response.text
    file.refresh_from_db()
    assert file.status == FileStatus.ACCEPTED


def test_the_decision_views_scope_rights_and_method(client, collector, outsider, legal_officer):
    file = services.case_refer(case=referable(collector), actor=collector)
    accept = reverse("legal:referral_accept", args=[file.pk])
    client.force_login(outsider)
    assert client.post(accept).status_code == 404
    client.force_login(collector)  # sees the case, does not work legal
    assert client.post(accept).status_code == 403
    client.force_login(legal_officer)
    assert client.post(reverse("legal:referral_approve", args=[file.pk])).status_code == 403
    assert client.get(accept).status_code == 405
    file.refresh_from_db()
    assert file.status == FileStatus.REFERRED


@pytest.mark.parametrize("role", [Role.COLLECTOR, Role.TEAM_LEAD, Role.FIELD_AGENT, Role.ADMIN])
def test_the_referrals_page_is_403_without_work_legal_or_approval(client, user_of_role, role):
    client.force_login(user_of_role(role))
    assert client.get(reverse("legal:referral_list")).status_code == 403


def test_the_referrals_page_answers_get_only_and_sends_visitors_to_log_in(client, legal_officer):
    assert client.get(reverse("legal:referral_list")).status_code == 302
    client.force_login(legal_officer)
    assert client.post(reverse("legal:referral_list")).status_code == 405


def test_the_legal_officer_sees_the_referral_on_the_case_page_and_where_to_decide(client, collector, legal_officer):
    case = referable(collector)
    file = services.case_refer(case=case, actor=collector)
    client.force_login(legal_officer)
    page = client.get(reverse("collection:case_detail", args=[case.pk]))
    assert page.status_code == 200
    assert f"(file {file.number}): Referred." in page.text
    assert reverse("legal:referral_list") in page.text
    assert page.text.count('data-passed="true"') == 6  # the checklist as it stood
    assert 'id="case-limitation"' in page.text
