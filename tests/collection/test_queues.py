"""The queues: who sees which cases, every filter, sorting, htmx, bulk reassignment and query counts."""

import datetime
import importlib
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from accounts.models import AuditEvent
from accounts.roles import Role
from collection.models import Case, CaseAccount, CaseStatus, LatenessReason, Stage
from lending.models import Bucket
from tests.collection.factories import CaseFactory
from tests.factories import TeamFactory, UserFactory
from tests.lending.factories import BorrowerFactory, CreditAccountFactory, CreditProductFactory

pytestmark = pytest.mark.django_db

DEFAULT_BUCKETS = importlib.import_module("lending.migrations.0002_default_buckets").DEFAULT_BUCKETS


@pytest.fixture(autouse=True)
def _buckets(db):
    """The bucket filter offers the bucket table's codes (made by a migration, flushed by transactional tests)."""
    for code, label, min_days, max_days in DEFAULT_BUCKETS:
        Bucket.objects.get_or_create(code=code, defaults={"label": label, "min_days": min_days, "max_days": max_days})


MY_QUEUE = reverse("collection:my_queue")
TEAM_QUEUE = reverse("collection:team_queue")
UNASSIGNED = reverse("collection:unassigned_pool")
REASSIGN = reverse("collection:queue_reassign")
HTMX_TABLE = {"HTTP_HX_REQUEST": "true", "HTTP_HX_TARGET": "results"}


def case_of(collector=None, *, team=None, name=None, borrower=None, **fields):
    """An open case of `collector` (in their team), or of `team` with no collector."""
    borrower = borrower or BorrowerFactory(**({"name": name} if name else {}))
    return CaseFactory(
        borrower=borrower,
        assigned_to=collector,
        team=team if team is not None else getattr(collector, "team", None),
        **fields,
    )


def listed(response) -> list[int]:
    """The case ids in the table, in order."""
    return [row.record.pk for row in response.context["table"].paginated_rows]


@pytest.fixture
def colleague(team_a):
    return UserFactory(username="colleague", role=Role.COLLECTOR, team=team_a)


@pytest.fixture
def cases(collector, colleague, outsider, team_a, team_b):
    """Mine, a colleague's, my team's unassigned, another team's, another team's unassigned, a closed one of mine."""
    return {
        "mine": case_of(collector, priority=50),
        "colleague": case_of(colleague, priority=40),
        "team_unassigned": case_of(team=team_a, priority=30),
        "other_team": case_of(outsider, priority=60),
        "other_unassigned": case_of(team=team_b, priority=70),
        "closed": case_of(
            collector, status=CaseStatus.CLOSED, closed_on=datetime.date(2026, 4, 1), close_outcome="cured"
        ),
    }


def ids(cases, *names):
    return {cases[name].pk for name in names}


# --- Who sees what -------------------------------------------------------------------


def test_my_queue_shows_my_open_cases_only(client, collector, cases):
    client.force_login(collector)
    response = client.get(MY_QUEUE)
    assert response.status_code == 200
    assert set(listed(response)) == ids(cases, "mine")
    assert cases["mine"].number in response.text
    assert cases["other_team"].number not in response.text


def test_the_team_queue_shows_my_teams_open_cases(client, collector, cases):
    client.force_login(collector)
    response = client.get(TEAM_QUEUE)
    assert set(listed(response)) == ids(cases, "mine", "colleague", "team_unassigned")


def test_a_collector_never_sees_another_teams_cases(client, outsider, cases):
    client.force_login(outsider)
    seen = set()
    for url in (MY_QUEUE, TEAM_QUEUE):
        response = client.get(url)
        seen |= set(listed(response))
        response = client.get(url, {"q": cases["mine"].number})
        seen |= set(listed(response))
    assert seen == ids(cases, "other_team", "other_unassigned")
    assert cases["mine"].borrower.name not in client.get(TEAM_QUEUE).text


def test_a_team_lead_sees_every_team_they_lead(client, team_lead, cases):
    led_too = TeamFactory(name="Late C", lead=team_lead)
    theirs = case_of(UserFactory(username="c_collector", role=Role.COLLECTOR, team=led_too))
    client.force_login(team_lead)
    response = client.get(TEAM_QUEUE)
    assert set(listed(response)) == ids(cases, "mine", "colleague", "team_unassigned") | {theirs.pk}
    # ... and may narrow it to one of them.
    response = client.get(TEAM_QUEUE, {"team": led_too.pk})
    assert listed(response) == [theirs.pk]


def test_a_manager_sees_every_open_case_in_the_team_queue(client, manager, cases):
    client.force_login(manager)
    response = client.get(TEAM_QUEUE)
    assert set(listed(response)) == {case.pk for name, case in cases.items() if name != "closed"}


def test_the_unassigned_pool_shows_the_teams_cases_without_a_collector(client, team_lead, cases):
    client.force_login(team_lead)
    response = client.get(UNASSIGNED)
    assert response.status_code == 200
    assert set(listed(response)) == ids(cases, "team_unassigned")


def test_a_manager_sees_every_unassigned_case(client, manager, cases):
    no_team = case_of(team=None)
    client.force_login(manager)
    response = client.get(UNASSIGNED)
    assert set(listed(response)) == ids(cases, "team_unassigned", "other_unassigned") | {no_team.pk}


def test_the_closed_status_shows_closed_cases(client, collector, cases):
    client.force_login(collector)
    response = client.get(MY_QUEUE, {"status": CaseStatus.CLOSED})
    assert listed(response) == [cases["closed"].pk]


@pytest.mark.parametrize("url", [MY_QUEUE, TEAM_QUEUE, UNASSIGNED])
@pytest.mark.parametrize("role", [Role.LEGAL_OFFICER, Role.AGENCY_AGENT, Role.FIELD_AGENT, Role.ADMIN])
def test_roles_that_do_not_work_cases_are_refused(client, user_of_role, url, role):
    client.force_login(user_of_role(role))
    assert client.get(url).status_code == 403


def test_a_collector_has_no_unassigned_pool(client, collector):
    client.force_login(collector)
    assert client.get(UNASSIGNED).status_code == 403


@pytest.mark.parametrize("url", [MY_QUEUE, TEAM_QUEUE, UNASSIGNED])
def test_a_visitor_is_sent_to_log_in(client, url):
    response = client.get(url)
    assert response.status_code == 302
    assert reverse("accounts:login") in response["Location"]


# --- Filters ----------------------------------------------------------------------------


NOW = timezone.now()
TODAY = timezone.localdate(NOW, timezone.get_default_timezone())


@pytest.mark.parametrize(
    ("params", "matching", "other"),
    [
        ({"bucket": "M2"}, {"bucket": "M2"}, {"bucket": "M1"}),
        ({"days_past_due_min": 31, "days_past_due_max": 60}, {"days_past_due": 45}, {"days_past_due": 61}),
        ({"days_past_due_max": 10}, {"days_past_due": 10}, {"days_past_due": 11}),
        ({"stage": Stage.LATE}, {"stage": Stage.LATE}, {"stage": Stage.EARLY}),
        ({"status": CaseStatus.PROMISED}, {"status": CaseStatus.PROMISED}, {"status": CaseStatus.OPEN}),
        ({"reason": LatenessReason.ILLNESS}, {"reason": LatenessReason.ILLNESS}, {"reason": LatenessReason.UNKNOWN}),
        (
            {"overdue_total_min": "1000", "overdue_total_max": "2000"},
            {"overdue_total": Decimal("1500.00")},
            {"overdue_total": Decimal("2000.01")},
        ),
        ({"broken_promise": "on"}, {"has_broken_promise": True}, {"has_broken_promise": False}),
        ({"promise_due_today": "on"}, {"promise_due_on": TODAY}, {"promise_due_on": TODAY + datetime.timedelta(1)}),
        (
            {"next_action_due": "on"},
            {"next_action_at": NOW - datetime.timedelta(hours=1)},
            {"next_action_at": NOW + datetime.timedelta(hours=1)},
        ),
        (
            {"no_contact_days": 7},
            {"last_contact_at": NOW - datetime.timedelta(days=8)},
            {"last_contact_at": NOW - datetime.timedelta(days=6)},
        ),
    ],
    ids=[
        "bucket",
        "dpd-range",
        "dpd-max",
        "stage",
        "status",
        "reason",
        "balance",
        "broken-promise",
        "promise-today",
        "next-action-due",
        "no-contact",
    ],
)
def test_each_filter_narrows_the_queue(client, collector, params, matching, other):
    wanted = case_of(collector, **matching)
    unwanted = case_of(collector, **other)
    client.force_login(collector)
    assert set(listed(client.get(MY_QUEUE))) == {wanted.pk, unwanted.pk}
    response = client.get(MY_QUEUE, params)
    assert response.status_code == 200
    assert listed(response) == [wanted.pk]


def test_no_next_action_planned_counts_as_due(client, collector):
    unplanned = case_of(collector, next_action_at=None)
    case_of(collector, next_action_at=NOW + datetime.timedelta(days=1))
    client.force_login(collector)
    assert listed(client.get(MY_QUEUE, {"next_action_due": "on"})) == [unplanned.pk]


def test_never_contacted_counts_as_no_contact(client, collector):
    never = case_of(collector, last_contact_at=None)
    client.force_login(collector)
    assert listed(client.get(MY_QUEUE, {"no_contact_days": 3})) == [never.pk]


def test_the_province_and_city_filters(client, collector):
    shanghai = case_of(collector, borrower=BorrowerFactory(province="上海市", city="上海市"))
    hangzhou = case_of(collector, borrower=BorrowerFactory(province="浙江省", city="杭州市"))
    ningbo = case_of(collector, borrower=BorrowerFactory(province="浙江省", city="宁波市"))
    client.force_login(collector)
    assert set(listed(client.get(MY_QUEUE, {"province": "浙江省"}))) == {hangzhou.pk, ningbo.pk}
    assert listed(client.get(MY_QUEUE, {"city": "杭州市"})) == [hangzhou.pk]
    assert shanghai.pk in listed(client.get(MY_QUEUE))


def test_the_product_filter_looks_at_the_accounts_now_in_the_case(client, collector):
    revolving, installments = CreditProductFactory(code="revolving"), CreditProductFactory(code="inst-6m")
    current = case_of(collector)
    CaseAccount.objects.create(
        case=current, account=CreditAccountFactory(product=revolving), joined_on=datetime.date(2026, 3, 1)
    )
    cured = case_of(collector)
    CaseAccount.objects.create(
        case=cured,
        account=CreditAccountFactory(product=revolving),
        joined_on=datetime.date(2026, 3, 1),
        left_on=datetime.date(2026, 3, 20),
    )
    CaseAccount.objects.create(
        case=cured, account=CreditAccountFactory(product=installments), joined_on=datetime.date(2026, 3, 1)
    )
    client.force_login(collector)
    assert listed(client.get(MY_QUEUE, {"product": revolving.pk})) == [current.pk]
    assert listed(client.get(MY_QUEUE, {"product": installments.pk})) == [cured.pk]


@pytest.mark.parametrize("how", ["number", "number-lowercase", "bare-id"])
def test_the_search_finds_a_case_by_its_number(client, collector, how):
    wanted, _other = case_of(collector), case_of(collector)
    query = {"number": wanted.number, "number-lowercase": wanted.number.lower(), "bare-id": str(wanted.pk)}[how]
    client.force_login(collector)
    assert listed(client.get(MY_QUEUE, {"q": query})) == [wanted.pk]


def test_the_search_finds_a_case_by_the_start_of_the_borrowers_name(client, collector):
    wanted = case_of(collector, name="欧阳娜娜")
    case_of(collector, name="王欧阳")
    client.force_login(collector)
    assert listed(client.get(MY_QUEUE, {"q": "欧阳"})) == [wanted.pk]


def test_a_bad_filter_value_shows_the_error_and_no_cases(client, collector):
    case_of(collector)
    client.force_login(collector)
    response = client.get(MY_QUEUE, {"days_past_due_min": "many"})
    assert response.status_code == 200
    assert listed(response) == []
    assert 'class="field-invalid"' in response.text


# --- Sorting and the page ----------------------------------------------------------------------


def test_the_queue_is_ordered_by_priority_and_sorts_by_any_column(client, collector):
    low = case_of(collector, priority=10, days_past_due=90, overdue_total=Decimal("300.00"))
    high = case_of(collector, priority=90, days_past_due=5, overdue_total=Decimal("100.00"))
    middle = case_of(collector, priority=50, days_past_due=40, overdue_total=Decimal("900.00"))
    client.force_login(collector)
    assert listed(client.get(MY_QUEUE)) == [high.pk, middle.pk, low.pk]
    assert listed(client.get(MY_QUEUE, {"sort": "days_past_due"})) == [high.pk, middle.pk, low.pk]
    assert listed(client.get(MY_QUEUE, {"sort": "-days_past_due"})) == [low.pk, middle.pk, high.pk]
    assert listed(client.get(MY_QUEUE, {"sort": "-overdue_total"})) == [middle.pk, low.pk, high.pk]
    assert listed(client.get(MY_QUEUE, {"sort": "number"})) == [low.pk, high.pk, middle.pk]


def test_a_row_shows_what_the_collector_needs(client, team_lead, collector):
    case = case_of(collector, name="李雷", bucket="M2", days_past_due=45, overdue_total=Decimal("12345.60"))
    client.force_login(team_lead)
    response = client.get(TEAM_QUEUE)
    text = response.text
    assert case.number in text
    assert reverse("collection:case_detail", args=[case.pk]) in text
    assert "李雷" in text
    assert "北京市" in text
    assert "12,345.60 CNY" in text
    assert 'class="bucket bucket-m2"' in text
    assert str(collector) in text


def test_the_queue_pages_without_counting(client, collector):
    for _ in range(55):
        case_of(collector)
    client.force_login(collector)
    with CaptureQueriesContext(connection) as queries:
        response = client.get(MY_QUEUE)
    assert not [query["sql"] for query in queries if "COUNT(" in query["sql"].upper()]
    assert len(listed(response)) == 50
    assert "?page=2" in response.text
    assert len(listed(client.get(MY_QUEUE, {"page": 2}))) == 5


def test_htmx_gets_the_table_only(client, collector):
    case = case_of(collector)
    client.force_login(collector)
    response = client.get(MY_QUEUE, {"sort": "days_past_due"}, **HTMX_TABLE)
    assert response.status_code == 200
    assert case.number in response.text
    assert "<html" not in response.text
    assert 'class="filters"' not in response.text
    assert "HX-Target" in response["Vary"]


def test_the_page_offers_next_case_search_and_shortcuts(client, collector):
    client.force_login(collector)
    text = client.get(MY_QUEUE).text
    assert reverse("collection:next_case") in text
    assert 'data-shortcut="n"' in text
    assert 'data-shortcut="/"' in text
    assert 'data-shortcut="?"' in text
    assert "js/queue.js" in text


def test_bulk_select_is_offered_only_to_those_who_reassign(client, collector, team_lead, cases):
    client.force_login(collector)
    text = client.get(TEAM_QUEUE).text
    assert "data-select-all" not in text
    assert REASSIGN not in text
    client.force_login(team_lead)
    text = client.get(TEAM_QUEUE).text
    assert "data-select-all" in text
    assert f'value="{cases["mine"].pk}"' in text
    assert REASSIGN in text


@pytest.mark.parametrize(
    ("who", "url"),
    [("collector", MY_QUEUE), ("collector", TEAM_QUEUE), ("team_lead", TEAM_QUEUE), ("team_lead", UNASSIGNED)]
    + [("manager", TEAM_QUEUE), ("manager", UNASSIGNED)],
)
def test_query_count_first_page_filtered_and_sorted(client, request, who, url, django_assert_max_num_queries):
    user = request.getfixturevalue(who)
    collector = request.getfixturevalue("collector")
    product = CreditProductFactory()
    for number in range(30):
        case = case_of(collector if number % 2 else None, team=collector.team, bucket="M2", days_past_due=40 + number)
        CaseAccount.objects.create(case=case, account=CreditAccountFactory(product=product), joined_on=case.opened_on)
    client.force_login(user)
    params = {
        "bucket": "M2",
        "days_past_due_min": 31,
        "product": product.pk,
        "no_contact_days": 3,
        "next_action_due": "on",
        "sort": "-overdue_total",
    }
    with django_assert_max_num_queries(12):
        response = client.get(url, params)
    assert response.status_code == 200
    assert listed(response)
    with django_assert_max_num_queries(12):
        assert client.get(url, params, **HTMX_TABLE).status_code == 200


# --- Bulk reassignment -------------------------------------------------------------------


def test_a_team_lead_reassigns_selected_cases_to_a_collector(client, team_lead, collector, colleague, cases):
    client.force_login(team_lead)
    chosen = [cases["mine"].pk, cases["team_unassigned"].pk]
    back = f"{TEAM_QUEUE}?bucket=M1"
    response = client.post(REASSIGN, {"case": chosen, "to_user": colleague.pk, "next": back}, follow=True)
    assert response.redirect_chain[-1][0] == back
    assert "2 cases reassigned." in response.text
    assert {case.assigned_to for case in Case.objects.filter(pk__in=chosen)} == {colleague}
    audited = AuditEvent.objects.filter(actor=team_lead, target_id__in=[str(pk) for pk in chosen])
    assert set(audited.values_list("target_id", flat=True)) == {str(pk) for pk in chosen}


def test_a_team_lead_cannot_move_another_teams_case(client, team_lead, colleague, cases):
    client.force_login(team_lead)
    response = client.post(REASSIGN, {"case": [cases["other_team"].pk], "to_user": colleague.pk}, follow=True)
    assert "Select at least one case." in response.text
    cases["other_team"].refresh_from_db()
    assert cases["other_team"].assigned_to.username == "outsider"
    assert not AuditEvent.objects.filter(target_id=str(cases["other_team"].pk)).exists()


def test_reassigning_needs_a_target_and_cases(client, team_lead, cases):
    client.force_login(team_lead)
    response = client.post(REASSIGN, {"case": [cases["mine"].pk]}, follow=True)
    assert "Choose a collector or a team to move the cases to." in response.text
    response = client.post(REASSIGN, {"to_team": cases["mine"].team_id}, follow=True)
    assert "Select at least one case." in response.text
    cases["mine"].refresh_from_db()
    assert cases["mine"].assigned_to.username == "collector"


def test_reassigning_is_refused_without_the_capability(client, collector, colleague, cases):
    client.force_login(collector)
    response = client.post(REASSIGN, {"case": [cases["mine"].pk], "to_user": colleague.pk})
    assert response.status_code == 403
    cases["mine"].refresh_from_db()
    assert cases["mine"].assigned_to == collector


def test_reassigning_refuses_get(client, team_lead):
    client.force_login(team_lead)
    assert client.get(REASSIGN).status_code == 405


def test_a_team_lead_may_not_pick_a_collector_of_another_team(client, team_lead, outsider, cases):
    client.force_login(team_lead)
    response = client.post(REASSIGN, {"case": [cases["mine"].pk], "to_user": outsider.pk}, follow=True)
    assert "Select a valid choice" in response.text
    cases["mine"].refresh_from_db()
    assert cases["mine"].assigned_to.username == "collector"


def test_a_team_lead_moves_cases_to_a_team_which_shares_them_out(client, team_lead, collector, colleague, cases):
    client.force_login(team_lead)
    case = cases["team_unassigned"]
    response = client.post(REASSIGN, {"case": [case.pk], "to_team": case.team_id}, follow=True)
    assert "1 case reassigned." in response.text
    case.refresh_from_db()
    assert case.assigned_to in {collector, colleague}
    assert AuditEvent.objects.filter(action="collection.case.assigned", target_id=str(case.pk)).exists()


def test_a_collector_and_a_team_at_once_is_refused(client, team_lead, colleague, cases):
    client.force_login(team_lead)
    response = client.post(
        REASSIGN, {"case": [cases["mine"].pk], "to_user": colleague.pk, "to_team": colleague.team_id}, follow=True
    )
    assert "Choose a collector or a team, not both." in response.text


def test_the_queue_offers_one_click_views_of_what_needs_attention(client, collector):
    client.force_login(collector)
    text = client.get(MY_QUEUE).text
    for query in ("next_action_due=on", "promise_due_today=on", "broken_promise=on", "no_contact_days=7"):
        assert f"{MY_QUEUE}?{query}" in text
