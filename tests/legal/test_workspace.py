"""The legal officer's workspace: the file queue, the deadline calendar, the cases in the legal stage."""

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from accounts.roles import Role
from legal.models import FileStatus, Hearing, Judgment
from tests.collection.factories import case_in_arrears
from tests.legal.factories import LitigationFileFactory

pytestmark = pytest.mark.django_db

URL = reverse("legal:workspace")


def _days(n):
    return timezone.localdate() + datetime.timedelta(days=n)


def test_the_legal_officer_lands_on_the_workspace(client, legal_officer):
    client.force_login(legal_officer)
    response = client.get(reverse("accounts:home"), follow=True)
    assert response.redirect_chain[-1][0] == URL
    assert "Legal workspace" in response.content.decode()


def test_the_queue_lists_open_files_by_next_deadline(client, legal_officer, django_assert_max_num_queries):
    later = LitigationFileFactory(status=FileStatus.PREPARING, next_deadline_on=_days(30))
    sooner = LitigationFileFactory(status=FileStatus.FILED, next_deadline_on=_days(3), court="Pudong Court")
    closed = LitigationFileFactory(status=FileStatus.CLOSED_WON)
    referred = LitigationFileFactory(status=FileStatus.REFERRED)
    for _ in range(5):
        LitigationFileFactory(status=FileStatus.ACCEPTED)
    client.force_login(legal_officer)
    with django_assert_max_num_queries(16):
        response = client.get(URL)
    page = response.content.decode()
    assert response.status_code == 200
    assert page.index(sooner.number) < page.index(later.number)
    assert "Pudong Court" in page
    assert closed.number not in page and referred.number not in page
    assert reverse("legal:file_detail", args=[sooner.pk]) in page
    # The count of files in each status, each a link to the queue filtered by it.
    assert '?status=accepted">Accepted <strong>5</strong></a>' in page


def test_the_queue_filters_by_status_and_officer(client, legal_officer, user_of_role):
    other = user_of_role(Role.LEGAL_OFFICER, username="other_legal")
    mine = LitigationFileFactory(status=FileStatus.PREPARING, legal_officer=legal_officer)
    theirs = LitigationFileFactory(status=FileStatus.PREPARING, legal_officer=other)
    filed = LitigationFileFactory(status=FileStatus.FILED, legal_officer=legal_officer)
    client.force_login(legal_officer)
    page = client.get(URL, {"status": "preparing", "legal_officer": legal_officer.pk}).content.decode()
    assert mine.number in page
    assert theirs.number not in page and filed.number not in page
    page = client.get(URL, {"legal_officer": "none"}).content.decode()
    assert mine.number not in page


def test_the_queue_sorts_and_answers_htmx_with_the_table_only(client, legal_officer):
    LitigationFileFactory(status=FileStatus.PREPARING)
    client.force_login(legal_officer)
    response = client.get(URL, {"sort": "-claim_total"}, HTTP_HX_REQUEST="true", HTTP_HX_TARGET="results")
    page = response.content.decode()
    assert response.status_code == 200
    assert 'data-testid="file-queue"' in page and "<html" not in page


def test_a_legal_officer_sees_no_file_outside_the_legal_stage(client, legal_officer):
    outside = LitigationFileFactory(case=case_in_arrears(days_past_due=200, stage="late"))
    client.force_login(legal_officer)
    assert outside.number not in client.get(URL).content.decode()


def test_the_calendar_groups_the_next_sixty_days_by_day(client, legal_officer, django_assert_max_num_queries):
    file = LitigationFileFactory(status=FileStatus.HEARING_SCHEDULED)
    soon = timezone.make_aware(datetime.datetime.combine(_days(2), datetime.time(9, 30)))
    Hearing.objects.create(file=file, starts_at=soon, place="Room 5")
    Hearing.objects.create(file=file, starts_at=soon + datetime.timedelta(days=90), place="Far away")
    judged = LitigationFileFactory(status=FileStatus.JUDGMENT)
    Judgment.objects.create(file=judged, judged_on=_days(-5), appeal_deadline_on=_days(10))
    expiring = case_in_arrears(days_past_due=400, stage="legal")
    expiring.limitation_expires_on = _days(2)
    expiring.save(update_fields=["limitation_expires_on"])
    client.force_login(legal_officer)
    with django_assert_max_num_queries(10):
        response = client.get(URL, {"tab": "calendar"})
    page = response.content.decode()
    assert response.status_code == 200
    assert "Room 5" in page and "Far away" not in page
    assert "Appeal deadline" in page and judged.number in page
    assert "Limitation expires" in page and expiring.number in page
    # Day two holds the hearing and the expiry, in that order.
    assert page.index("Room 5") < page.index(expiring.number) < page.index(judged.number)


def test_the_cases_tab_lists_the_legal_stage(client, legal_officer, django_assert_max_num_queries):
    legal_case = case_in_arrears(days_past_due=300, stage="legal")
    late_case = case_in_arrears(days_past_due=100, stage="late")
    client.force_login(legal_officer)
    with django_assert_max_num_queries(10):
        response = client.get(URL, {"tab": "cases"})
    page = response.content.decode()
    assert legal_case.number in page and late_case.number not in page


def test_the_workspace_is_403_without_work_legal_and_refuses_post(client, collector, legal_officer):
    client.force_login(collector)
    assert client.get(URL).status_code == 403
    client.force_login(legal_officer)
    assert client.post(URL).status_code == 405


def test_the_workspace_asks_a_visitor_to_log_in(client):
    response = client.get(URL)
    assert response.status_code == 302 and "login" in response["Location"]


def test_a_manager_sees_every_file(client, manager):
    outside = LitigationFileFactory(case=case_in_arrears(days_past_due=200, stage="late"), status="preparing")
    client.force_login(manager)
    assert outside.number in client.get(URL).content.decode()


def test_the_workspace_links_to_the_other_legal_pages(client, legal_officer):
    from legal.views.workspace import workspace_links

    client.force_login(legal_officer)
    page = client.get(URL).content.decode()
    links = workspace_links()
    assert links  # the referrals, limitation and letter batch pages are installed
    for url, label in links:
        assert f'href="{url}"' in page and str(label) in page
