"""Field visits: request, schedule, report; contact hours and recording; the agent's day; who may see what."""

import datetime
import itertools
import json
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from accounts.models import AuditEvent
from accounts.roles import Role
from collection.compliance import ContactRefused
from collection.errors import CollectionError
from collection.models import (
    AnsweredBy,
    CaseEvent,
    CaseStatus,
    Channel,
    ContactAttempt,
    EventKind,
    FieldVisit,
    Outcome,
    PromiseStatus,
    VisitAttachment,
    VisitStatus,
)
from collection.services import visits as services
from collection.services.visits import visit_reject, visit_report, visit_request, visit_schedule
from collection.timeline import event_text
from lending.models import ContactPoint
from tests.collection.factories import HoldFactory, PortfolioFactory, case_in_arrears
from tests.factories import TeamFactory, UserFactory
from tests.lending.factories import BorrowerFactory, ContactPointFactory

pytestmark = pytest.mark.django_db

SHANGHAI = ZoneInfo("Asia/Shanghai")
# Every test starts on Tuesday 1 December 2026 at 09:00 in Beijing, the clock running.
START = datetime.datetime(2026, 12, 1, 9, 0, tzinfo=SHANGHAI)
TODAY = START.date()
HTMX = {"HTTP_HX_REQUEST": "true"}
HOME = "北京市东城区和平里街道12号楼3单元501"
WORK = "北京市朝阳区建国路88号"


@pytest.fixture(autouse=True)
def morning(time_machine):
    time_machine.move_to(START, tick=True)
    return time_machine


def at(hour, minute=0, *, day=TODAY):
    return datetime.datetime.combine(day, datetime.time(hour, minute), tzinfo=SHANGHAI)


def with_addresses(case):
    ContactPointFactory(
        borrower=case.borrower, kind=ContactPoint.Kind.WORK_ADDRESS, value=WORK, is_primary=False, consent_sms=False
    )
    ContactPointFactory(
        borrower=case.borrower, kind=ContactPoint.Kind.HOME_ADDRESS, value=HOME, is_primary=True, consent_sms=False
    )
    return case


@pytest.fixture
def case(collector):
    return with_addresses(case_in_arrears(collector=collector))


@pytest.fixture
def other_agent(db):
    return UserFactory(username="field_b", role=Role.FIELD_AGENT)


def requested(case, collector, **kwargs):
    kwargs.setdefault("reason", "Unreachable by phone for 10 days")
    return visit_request(case=case, actor=collector, **kwargs)


def scheduled(case, collector, team_lead, agent, *, day=TODAY, **kwargs):
    visit = requested(case, collector, **kwargs)
    return visit_schedule(visit=visit, agent=agent, scheduled_on=day, actor=team_lead)


def report(visit, agent, **kwargs):
    kwargs.setdefault("visited_at", timezone.now())
    kwargs.setdefault("met", AnsweredBy.BORROWER)
    kwargs.setdefault("outcome", Outcome.RIGHT_PARTY_CONTACT)
    kwargs.setdefault("was_recorded", True)
    kwargs.setdefault("notes", "Met at the door; lost his job in October.")
    return visit_report(visit=visit, actor=agent, **kwargs)


def visit_actions(visit):
    return list(
        AuditEvent.objects.filter(target_id=str(visit.pk), action__startswith="collection.visit.")
        .order_by("id")
        .values_list("action", flat=True)
    )


# --- Request, schedule, report --------------------------------------------------------------------


def test_a_visit_goes_from_request_to_schedule_to_report(case, collector, team_lead, field_agent, morning):
    visit = requested(case, collector, preferred_on=TODAY)
    assert visit.status == VisitStatus.REQUESTED
    # The borrower's home address, before the work address.
    assert (visit.address, visit.contact_point.kind) == (HOME, ContactPoint.Kind.HOME_ADDRESS)
    assert (visit.province, visit.city, visit.district) == ("北京市", "北京市", "东城区")

    visit_schedule(visit=visit, agent=field_agent, scheduled_on=TODAY, actor=team_lead)
    visit.refresh_from_db()
    assert (visit.status, visit.agent, visit.scheduled_on, visit.decided_by) == (
        VisitStatus.SCHEDULED,
        field_agent,
        TODAY,
        team_lead,
    )

    morning.move_to(at(10), tick=True)
    report(visit, field_agent, visited_at=at(9, 45))
    visit.refresh_from_db()
    assert visit.status == VisitStatus.DONE
    assert (visit.met, visit.outcome, visit.was_recorded) == (
        AnsweredBy.BORROWER,
        Outcome.RIGHT_PARTY_CONTACT,
        True,
    )
    contact = visit.contact
    assert (contact.channel, contact.answered_by, contact.occurred_at, contact.actor) == (
        Channel.VISIT,
        AnsweredBy.BORROWER,
        at(9, 45),
        field_agent,
    )
    assert contact.contact_point == visit.contact_point
    case.refresh_from_db()
    assert case.last_contact_at == at(9, 45)
    assert case.last_right_party_contact_at == at(9, 45)
    assert visit_actions(visit) == [
        "collection.visit.requested",
        "collection.visit.scheduled",
        "collection.visit.reported",
    ]
    timeline = list(case.events.filter(kind=EventKind.VISIT).order_by("id"))
    assert [line.code for line in timeline] == ["visit_requested", "visit_scheduled", "visit_reported"]
    assert timeline[-1].data["contact"] == contact.pk
    assert [event_text(line) for line in timeline] == [
        "Field visit requested · preferred 12/01/2026",  # no address: the timeline is read masked
        f"Field visit scheduled on 12/01/2026 with {field_agent}",
        "Field visit: Right party contact · met: borrower · recorded",
    ]
    # The visit is the timeline's one line for that contact.
    assert not case.events.filter(kind=EventKind.CONTACT).exists()


def test_a_visit_to_another_address(case, collector):
    visit = requested(case, collector, address="上海市浦东新区世纪大道100号", district="浦东新区")
    assert (visit.address, visit.contact_point, visit.district) == ("上海市浦东新区世纪大道100号", None, "浦东新区")


def test_a_visit_needs_an_address(collector):
    case = case_in_arrears(collector=collector)  # a mobile only
    with pytest.raises(CollectionError) as refused:
        requested(case, collector)
    assert (str(refused.value), refused.value.field) == (str(services.ADDRESS_REQUIRED), "address")
    assert FieldVisit.objects.count() == 0


def test_a_third_partys_address_is_never_visited(case, collector):
    sister = ContactPointFactory(
        borrower=case.borrower,
        kind=ContactPoint.Kind.HOME_ADDRESS,
        value="妹妹家",
        owner=ContactPoint.Owner.THIRD_PARTY,
        relation=ContactPoint.Relation.SIBLING,
        is_primary=False,
    )
    with pytest.raises(CollectionError, match=str(services.CONTACT_POINT_NOT_AN_ADDRESS)):
        requested(case, collector, contact_point=sister)


def test_one_open_visit_per_case(case, collector, team_lead):
    visit = requested(case, collector)
    with pytest.raises(CollectionError, match=str(services.VISIT_ALREADY_OPEN)):
        requested(case, collector)
    visit_reject(visit=visit, actor=team_lead, note="Call again first")
    assert requested(case, collector).status == VisitStatus.REQUESTED


def test_only_a_field_agent_is_assigned(case, collector, team_lead):
    visit = requested(case, collector)
    with pytest.raises(CollectionError) as refused:
        visit_schedule(visit=visit, agent=collector, scheduled_on=TODAY, actor=team_lead)
    assert refused.value.field == "agent"
    visit.refresh_from_db()
    assert visit.status == VisitStatus.REQUESTED


def test_a_collector_cannot_schedule(case, collector, field_agent):
    visit = requested(case, collector)
    with pytest.raises(CollectionError, match=str(services.NOT_AN_APPROVER)):
        visit_schedule(visit=visit, agent=field_agent, scheduled_on=TODAY, actor=collector)


def test_a_visit_is_not_scheduled_during_a_dispute(case, collector, team_lead, field_agent):
    visit = requested(case, collector)
    HoldFactory(case=case)
    with pytest.raises(ContactRefused) as refused:
        visit_schedule(visit=visit, agent=field_agent, scheduled_on=TODAY, actor=team_lead)
    assert refused.value.verdict.rule == "hold"
    visit.refresh_from_db()
    assert (visit.status, visit.agent) == (VisitStatus.REQUESTED, None)


def test_a_rejection_says_why(case, collector, team_lead):
    visit = requested(case, collector)
    with pytest.raises(CollectionError) as refused:
        visit_reject(visit=visit, actor=team_lead, note="")
    assert refused.value.field == "note"
    visit_reject(visit=visit, actor=team_lead, note="Try the work phone first")
    visit.refresh_from_db()
    assert visit.status == VisitStatus.REJECTED
    assert case.events.filter(kind=EventKind.VISIT).order_by("id").last().notes == "Try the work phone first"
    with pytest.raises(CollectionError, match=str(services.VISIT_NOT_OPEN)):
        visit_reject(visit=visit, actor=team_lead, note="Again")


# --- The report's rules ----------------------------------------------------------------------------


def test_a_report_at_23_00_local_time_is_refused(case, collector, team_lead, field_agent, morning):
    visit = scheduled(case, collector, team_lead, field_agent)
    morning.move_to(at(23, 30), tick=True)
    with pytest.raises(ContactRefused) as refused:
        report(visit, field_agent, visited_at=at(23, 0))
    assert refused.value.verdict.rule == "contact_hours"
    visit.refresh_from_db()
    assert visit.status == VisitStatus.SCHEDULED
    assert ContactAttempt.objects.count() == 0
    assert not case.events.filter(data__action="reported").exists()


def test_an_unrecorded_visit_is_refused_in_china(case, collector, team_lead, field_agent):
    visit = scheduled(case, collector, team_lead, field_agent)
    with pytest.raises(ContactRefused) as refused:
        report(visit, field_agent, was_recorded=False)
    assert refused.value.verdict.rule == "visit_recording"
    assert refused.value.field == "was_recorded"
    visit.refresh_from_db()
    assert visit.status == VisitStatus.SCHEDULED
    assert ContactAttempt.objects.count() == 0


def test_an_unrecorded_visit_is_reported_in_the_united_states(collector, team_lead, field_agent):
    portfolio = PortfolioFactory(code="us-cards", name="US cards", jurisdiction="us", is_default=False)
    case = with_addresses(case_in_arrears(collector=collector, portfolio=portfolio))
    visit = scheduled(case, collector, team_lead, field_agent)
    report(visit, field_agent, was_recorded=False)
    visit.refresh_from_db()
    assert (visit.status, visit.was_recorded) == (VisitStatus.DONE, False)


def test_only_the_assigned_agent_reports(case, collector, team_lead, field_agent, other_agent):
    visit = scheduled(case, collector, team_lead, field_agent)
    with pytest.raises(CollectionError, match=str(services.NOT_YOUR_VISIT)):
        report(visit, other_agent)


def test_a_report_cannot_be_in_the_future_or_filed_twice(case, collector, team_lead, field_agent):
    visit = scheduled(case, collector, team_lead, field_agent)
    with pytest.raises(CollectionError) as refused:
        report(visit, field_agent, visited_at=at(15))
    assert refused.value.field == "visited_at"
    with pytest.raises(CollectionError) as refused:
        report(visit, field_agent, visited_at=at(8, 30))  # before it was requested
    assert refused.value.field == "visited_at"
    report(visit, field_agent)
    with pytest.raises(CollectionError, match=str(services.VISIT_NOT_SCHEDULED)):
        report(visit, field_agent)
    assert ContactAttempt.objects.count() == 1


def test_an_outcome_must_fit_whom_the_agent_met(case, collector, team_lead, field_agent):
    visit = scheduled(case, collector, team_lead, field_agent)
    with pytest.raises(CollectionError) as refused:
        report(visit, field_agent, met=AnsweredBy.NOBODY, outcome=Outcome.PROMISED)
    assert refused.value.field == "outcome"


def test_a_promise_taken_at_the_door(case, collector, team_lead, field_agent):
    visit = scheduled(case, collector, team_lead, field_agent)
    report(
        visit,
        field_agent,
        outcome=Outcome.PROMISED,
        promise_amount=Decimal("500.00"),
        promise_due_on=TODAY + datetime.timedelta(days=7),
    )
    visit.refresh_from_db()
    promise = case.promises.get()
    assert (promise.amount, promise.status, promise.contact) == (
        Decimal("500.00"),
        PromiseStatus.PENDING,
        visit.contact,
    )
    case.refresh_from_db()
    assert case.status == CaseStatus.PROMISED
    assert case.events.get(data__action="reported").data["promise"] == promise.pk


def test_a_refused_promise_writes_nothing(case, collector, team_lead, field_agent):
    visit = scheduled(case, collector, team_lead, field_agent)
    with pytest.raises(CollectionError) as refused:
        report(
            visit,
            field_agent,
            outcome=Outcome.PROMISED,
            promise_amount=Decimal("500.00"),
            promise_due_on=TODAY + datetime.timedelta(days=365),
            attachments=[SimpleUploadedFile("door.jpg", b"\xff\xd8\xff", content_type="image/jpeg")],
        )
    assert refused.value.field == "promise_due_on"
    assert ContactAttempt.objects.count() == 0
    assert VisitAttachment.objects.count() == 0
    assert case.promises.count() == 0
    visit.refresh_from_db()
    assert visit.status == VisitStatus.SCHEDULED


def test_photos_and_recordings_are_attached(case, collector, team_lead, field_agent):
    visit = scheduled(case, collector, team_lead, field_agent)
    report(
        visit,
        field_agent,
        attachments=[
            SimpleUploadedFile("door.jpg", b"\xff\xd8\xff", content_type="image/jpeg"),
            SimpleUploadedFile("talk.m4a", b"audio", content_type="audio/mp4"),
            SimpleUploadedFile("visit.mp4", b"video", content_type="video/mp4"),
        ],
    )
    assert sorted(visit.attachments.values_list("kind", flat=True)) == ["audio", "photo", "video"]
    assert case.events.get(data__action="reported").data["attachments"] == 3


@pytest.mark.parametrize(
    ("name", "content_type"),
    [("virus.exe", "application/octet-stream"), ("door.jpg", "text/html"), ("notes.pdf", "application/pdf")],
)
def test_other_files_are_refused(name, content_type):
    with pytest.raises(CollectionError) as refused:
        services.attachment_kind(SimpleUploadedFile(name, b"x", content_type=content_type))
    assert refused.value.field == "attachments"


def test_files_over_the_size_limit_are_refused(monkeypatch):
    monkeypatch.setitem(services.MAX_ATTACHMENT_BYTES, "photo", 10)
    with pytest.raises(CollectionError, match="may be at most 10"):
        services.attachment_kind(SimpleUploadedFile("door.jpg", b"x" * 11, content_type="image/jpeg"))


# --- The request page -----------------------------------------------------------------------------------


def request_url(case):
    return reverse("collection:visit_request", args=[case.pk])


def test_the_request_form_offers_the_borrowers_addresses(client, collector, case, django_assert_max_num_queries):
    client.force_login(collector)
    with django_assert_max_num_queries(8):
        response = client.get(request_url(case))
    assert response.status_code == 200
    assert HOME in response.text
    assert WORK in response.text
    assert response.text.index(HOME) < response.text.index(WORK)


def test_a_collector_requests_a_visit_from_the_page(client, collector, case):
    work = case.borrower.contact_points.get(kind=ContactPoint.Kind.WORK_ADDRESS)
    client.force_login(collector)
    response = client.post(
        request_url(case),
        {"address_choice": str(work.pk), "district": "朝阳区", "reason": "Works there", "preferred_on": "2026-12-03"},
    )
    assert response.status_code == 302
    visit = FieldVisit.objects.get()
    assert (visit.address, visit.district, visit.preferred_on) == (WORK, "朝阳区", datetime.date(2026, 12, 3))


def test_a_visit_request_with_htmx_answers_with_a_fragment(client, collector, case):
    client.force_login(collector)
    response = client.post(request_url(case), {"address_choice": "other", "address": "", "reason": "Moved"}, **HTMX)
    assert "Type the address to visit." in response.text
    response = client.post(
        request_url(case), {"address_choice": "other", "address": "新地址 1 号", "reason": "Moved"}, **HTMX
    )
    assert 'data-testid="visit-requested"' in response.text
    assert "case-changed" in json.loads(response["HX-Trigger"])


def test_the_request_page_refuses_outsiders_roles_and_methods(client, outsider, field_agent, collector, case):
    client.force_login(outsider)
    assert client.get(request_url(case)).status_code == 404
    client.force_login(field_agent)
    assert client.get(request_url(case)).status_code == 404  # no visit there: out of their sight
    client.force_login(collector)
    assert client.delete(request_url(case)).status_code == 405


# --- The team lead's list ------------------------------------------------------------------------------

REQUESTS = reverse("collection:visit_requests")


def listed(response):
    return [row.record.pk for row in response.context["table"].paginated_rows]


def test_a_team_lead_lists_their_teams_requests(
    client, team_lead, collector, outsider, case, field_agent, django_assert_max_num_queries
):
    mine = requested(case, collector)
    second = requested(with_addresses(case_in_arrears(collector=collector)), collector)
    requested(with_addresses(case_in_arrears(collector=outsider)), outsider)
    client.force_login(team_lead)
    with django_assert_max_num_queries(10):
        response = client.get(REQUESTS)
    assert response.status_code == 200
    assert listed(response) == [mine.pk, second.pk]
    assert str(field_agent) in response.text


def test_a_team_lead_schedules_from_the_list(client, team_lead, collector, case, field_agent):
    visit = requested(case, collector)
    client.force_login(team_lead)
    response = client.post(
        reverse("collection:visit_schedule", args=[visit.pk]),
        {"agent": field_agent.pk, "scheduled_on": "2026-12-02"},
        **HTMX,
    )
    assert response.status_code == 200
    assert response.text.lstrip().startswith("<tr")
    visit.refresh_from_db()
    assert (visit.status, visit.agent, visit.scheduled_on) == (
        VisitStatus.SCHEDULED,
        field_agent,
        datetime.date(2026, 12, 2),
    )
    # Scheduled visits are on the other tab.
    assert listed(client.get(REQUESTS)) == []
    assert listed(client.get(REQUESTS, {"status": "scheduled"})) == [visit.pk]


def test_a_team_lead_rejects_from_the_list(client, team_lead, collector, case):
    visit = requested(case, collector)
    client.force_login(team_lead)
    response = client.post(reverse("collection:visit_reject", args=[visit.pk]), {"note": "Not yet"})
    assert response.status_code == 302
    visit.refresh_from_db()
    assert visit.status == VisitStatus.REJECTED


def test_the_list_and_its_actions_refuse_the_wrong_people(client, collector, field_agent, case):
    visit = requested(case, collector)
    client.force_login(collector)
    assert client.get(REQUESTS).status_code == 403
    assert client.post(reverse("collection:visit_reject", args=[visit.pk]), {"note": "x"}).status_code == 403
    lead_b = UserFactory(username="lead_b", role=Role.TEAM_LEAD)
    TeamFactory(name="Late B", lead=lead_b)
    client.force_login(lead_b)
    url = reverse("collection:visit_schedule", args=[visit.pk])
    assert client.post(url, {"agent": field_agent.pk, "scheduled_on": "2026-12-02"}).status_code == 404
    assert client.get(url).status_code == 404  # out of scope: 404 whatever the method
    visit.refresh_from_db()
    assert visit.status == VisitStatus.REQUESTED


# --- The field agent's day ------------------------------------------------------------------------------

DAY = reverse("collection:visit_day")


def borrower_case(collector, *, district, name):
    borrower = BorrowerFactory(name=name, district=district)
    return with_addresses(case_in_arrears(collector=collector, borrower=borrower))


@pytest.fixture
def day_of_visits(collector, team_lead, field_agent, other_agent):
    visits = {
        "dongcheng_1": scheduled(
            borrower_case(collector, district="东城区", name="张伟"), collector, team_lead, field_agent
        ),
        "chaoyang": scheduled(
            borrower_case(collector, district="朝阳区", name="李娜"), collector, team_lead, field_agent
        ),
        "dongcheng_2": scheduled(
            borrower_case(collector, district="东城区", name="王芳"), collector, team_lead, field_agent
        ),
        "tomorrow": scheduled(
            borrower_case(collector, district="东城区", name="刘洋"),
            collector,
            team_lead,
            field_agent,
            day=TODAY + datetime.timedelta(days=1),
        ),
        "someone_else": scheduled(
            borrower_case(collector, district="东城区", name="陈静"), collector, team_lead, other_agent
        ),
    }
    return visits


def test_the_field_agents_day_is_grouped_by_district(client, field_agent, day_of_visits, django_assert_max_num_queries):
    client.force_login(field_agent)
    with django_assert_max_num_queries(6):
        response = client.get(DAY)
    assert response.status_code == 200
    assert response.context["day"] == TODAY
    visits = response.context["visits"]
    assert {visit.pk for visit in visits} == {
        day_of_visits["chaoyang"].pk,
        day_of_visits["dongcheng_1"].pk,
        day_of_visits["dongcheng_2"].pk,
    }
    # One group per district, in the database's order of district names.
    districts = [district for district, _group in itertools.groupby(visit.district for visit in visits)]
    assert sorted(districts) == ["东城区", "朝阳区"]
    text = response.text
    assert text.count('data-testid="district"') == 2
    assert "张伟" in text and "李娜" in text and "王芳" in text
    assert "刘洋" not in text and "陈静" not in text
    assert "1,012.50 CNY" in text
    assert reverse("collection:visit_report", args=[day_of_visits["chaoyang"].pk]) in text


def test_the_field_agents_day_picks_a_date(client, field_agent, day_of_visits):
    client.force_login(field_agent)
    response = client.get(DAY, {"day": (TODAY + datetime.timedelta(days=1)).isoformat()})
    assert [visit.pk for visit in response.context["visits"]] == [day_of_visits["tomorrow"].pk]


def test_names_are_masked_for_staff_who_may_not_see_lending_data(field_agent):
    from lending.masking import borrower_name_for

    assert borrower_name_for(field_agent, "王小明") == "王小明"
    agency = UserFactory(username="agency", role=Role.AGENCY_AGENT)
    assert borrower_name_for(agency, "王小明") == "王**"


def test_the_day_is_for_field_agents(client, collector, team_lead):
    client.force_login(collector)
    assert client.get(DAY).status_code == 403
    client.force_login(team_lead)
    assert client.get(DAY).status_code == 403


def test_the_day_refuses_post(client, field_agent):
    client.force_login(field_agent)
    assert client.post(DAY).status_code == 405


# --- The report page --------------------------------------------------------------------------------------


def report_url(visit):
    return reverse("collection:visit_report", args=[visit.pk])


def test_the_agent_files_the_report_with_files(
    client, field_agent, day_of_visits, morning, django_assert_max_num_queries
):
    visit = day_of_visits["chaoyang"]
    morning.move_to(at(10, 30), tick=True)
    client.force_login(field_agent)
    with django_assert_max_num_queries(6):
        assert client.get(report_url(visit)).status_code == 200
    response = client.post(
        report_url(visit),
        {
            "visited_at": "2026-12-01T10:00",
            "met": AnsweredBy.BORROWER,
            "outcome": Outcome.PROMISED,
            "was_recorded": "on",
            "notes": "Will pay on Friday",
            "promise_amount": "300.00",
            "promise_due_on": "2026-12-04",
            "attachments": [
                SimpleUploadedFile("door.jpg", b"\xff\xd8\xff", content_type="image/jpeg"),
                SimpleUploadedFile("talk.amr", b"#!AMR", content_type="audio/amr"),
            ],
        },
    )
    assert response.status_code == 302
    assert response.url == f"{DAY}?day={TODAY.isoformat()}"
    visit.refresh_from_db()
    assert (visit.status, visit.visited_at) == (VisitStatus.DONE, at(10))
    assert visit.attachments.count() == 2
    assert visit.case.promises.get().amount == Decimal("300.00")
    # The report is shown once filed.
    page = client.get(report_url(visit)).text
    assert 'data-testid="visit-report"' in page
    assert "Will pay on Friday" in page


def test_a_report_at_night_is_refused_on_the_page(client, field_agent, day_of_visits, morning):
    visit = day_of_visits["chaoyang"]
    morning.move_to(at(23, 30), tick=True)
    client.force_login(field_agent)
    response = client.post(
        report_url(visit),
        {
            "visited_at": "2026-12-01T23:00",
            "met": AnsweredBy.NOBODY,
            "outcome": Outcome.NO_ANSWER,
            "was_recorded": "on",
        },
    )
    assert response.status_code == 200
    assert "22:00" in response.text
    visit.refresh_from_db()
    assert visit.status == VisitStatus.SCHEDULED


def test_an_unrecorded_visit_is_refused_on_the_page(client, field_agent, day_of_visits, morning):
    visit = day_of_visits["chaoyang"]
    morning.move_to(at(10, 30), tick=True)
    client.force_login(field_agent)
    response = client.post(
        report_url(visit),
        {"visited_at": "2026-12-01T10:00", "met": AnsweredBy.NOBODY, "outcome": Outcome.NO_ANSWER},
    )
    assert response.status_code == 200
    assert response.context["form"].errors["was_recorded"]
    assert CaseEvent.objects.filter(data__action="reported").count() == 0


def test_a_file_of_the_wrong_type_is_refused_on_the_page(client, field_agent, day_of_visits, morning):
    visit = day_of_visits["chaoyang"]
    morning.move_to(at(10, 30), tick=True)
    client.force_login(field_agent)
    response = client.post(
        report_url(visit),
        {
            "visited_at": "2026-12-01T10:00",
            "met": AnsweredBy.NOBODY,
            "outcome": Outcome.NO_ANSWER,
            "was_recorded": "on",
            "attachments": [SimpleUploadedFile("run.exe", b"MZ", content_type="application/octet-stream")],
        },
    )
    assert response.status_code == 200
    assert "run.exe: attach photos" in response.text
    assert VisitAttachment.objects.count() == 0


def test_another_agents_visit_is_404(client, other_agent, day_of_visits):
    client.force_login(other_agent)
    assert client.get(report_url(day_of_visits["chaoyang"])).status_code == 404
    assert client.post(report_url(day_of_visits["chaoyang"]), {}).status_code == 404


def test_the_report_page_refuses_roles_and_methods(client, collector, team_lead, field_agent, day_of_visits):
    visit = day_of_visits["chaoyang"]
    for user in (collector, team_lead):
        client.force_login(user)
        assert client.get(report_url(visit)).status_code == 403
    client.force_login(field_agent)
    assert client.put(report_url(visit)).status_code == 405
