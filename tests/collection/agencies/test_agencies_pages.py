"""The manager's agency pages: the hub, the list, an agency's page and its forms, the contract editor."""

import datetime
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from accounts.navigation import nav_group_items_for
from accounts.roles import Role
from collection.models import (
    Agency,
    AgencyContract,
    AgencyEvaluation,
    AgencyMember,
    AgencyStatus,
    EvaluationOutcome,
    TierBasis,
)
from tests.collection.agencies.factories import AgencyContractFactory, AgencyFactory, agency_user, placed_case
from tests.factories import UserFactory
from tests.lending.factories import BorrowerFactory, CreditProductFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def as_manager(client, manager):
    client.force_login(manager)
    return client


def tiers_post(rows, *, initial=0):
    data = {
        "tiers-TOTAL_FORMS": str(len(rows)),
        "tiers-INITIAL_FORMS": str(initial),
        "tiers-MIN_NUM_FORMS": "0",
        "tiers-MAX_NUM_FORMS": "30",
    }
    for index, row in enumerate(rows):
        for key, value in row.items():
            data[f"tiers-{index}-{key}"] = value
    return data


def contract_post(**fields):
    data = {
        "reference": "HX-2027",
        "starts_on": "2026-01-01",
        "ends_on": "2027-12-31",
        "currency": "CNY",
        "tier_basis": TierBasis.BUCKET,
        "flat_fee_per_case": "8.00",
        "placement_days": "90",
        "max_caseload": "300",
        "visible_fields": ["phone", "address"],
        "notes": "",
    }
    data.update(fields)
    return data


# --- The hub ------------------------------------------------------------------------------------


def test_the_hub_lists_every_page_of_the_agencies_group_the_manager_may_use(as_manager, manager):
    response = as_manager.get(reverse("collection:agencies_hub"))
    assert response.status_code == 200
    items = nav_group_items_for(manager, "agencies")
    assert {"agency_list"} <= {item["key"] for item in items}
    for item in items:
        assert f'href="{item["url"]}"' in response.text
        assert str(item["description"]) in response.text
    assert '<a href="/agencies/" data-nav="agencies" aria-current="page">' in response.text


def test_the_hub_names_the_agencies_whose_evaluation_is_due(as_manager):
    today = timezone.localdate()
    AgencyFactory(name="Never evaluated", last_evaluated_on=None)
    AgencyFactory(name="Due soon", last_evaluated_on=today - datetime.timedelta(days=350))
    AgencyFactory(name="Fine", last_evaluated_on=today - datetime.timedelta(days=30))
    response = as_manager.get(reverse("collection:agencies_hub"))
    notice = response.text.split('data-testid="evaluations-due"')[1].split("</div>")[0]
    assert "Never evaluated" in notice and "Due soon" in notice
    assert "Fine" not in notice


@pytest.mark.parametrize("role", [Role.COLLECTOR, Role.TEAM_LEAD, Role.AGENCY_AGENT])
def test_the_agency_pages_are_forbidden_without_the_capability(client, user_of_role, role):
    agency = AgencyFactory()
    client.force_login(user_of_role(role))
    assert client.get(reverse("collection:agencies_hub")).status_code == 403
    assert client.get(reverse("collection:agency_list")).status_code == 403
    assert client.get(reverse("collection:agency_detail", args=[agency.pk])).status_code == 403
    refused = client.post(reverse("collection:agency_status", args=[agency.pk]), {"status": "suspended"})
    assert refused.status_code == 403
    assert Agency.objects.get(pk=agency.pk).status == AgencyStatus.ACTIVE


def test_an_anonymous_visitor_is_sent_to_log_in(client):
    response = client.get(reverse("collection:agencies_hub"))
    assert response.status_code == 302
    assert reverse("accounts:login") in response["Location"]


# --- The list -----------------------------------------------------------------------------------


def test_the_list_shows_status_contract_caseload_and_evaluation_due(as_manager, django_assert_max_num_queries):
    today = timezone.localdate()
    contract = AgencyContractFactory(
        agency__name="华信催收服务有限公司", agency__code="HX", reference="HX-2026", max_caseload=250
    )
    placed_case(contract=contract)
    placed_case(contract=contract)
    AgencyFactory(code="JD", name="金盾资产管理有限公司", status=AgencyStatus.SUSPENDED, last_evaluated_on=None)
    AgencyFactory(code="OLD", last_evaluated_on=today - datetime.timedelta(days=400))
    for _ in range(3):
        placed_case()  # more agencies: the query count stays
    with django_assert_max_num_queries(10):
        response = as_manager.get(reverse("collection:agency_list"))
    assert response.status_code == 200
    html = response.text
    row = html.split('data-agency="HX"')[1].split("</tr>")[0]
    assert "华信催收服务有限公司" in row and "HX-2026" in row
    assert ">2 / 250<" in row
    jd = html.split('data-agency="JD"')[1].split("</tr>")[0]
    assert "Suspended" in jd and 'data-evaluation="never"' in jd
    assert 'data-evaluation="overdue"' in html.split('data-agency="OLD"')[1].split("</tr>")[0]


def test_the_list_refuses_post(as_manager):
    assert as_manager.post(reverse("collection:agency_list")).status_code == 405


# --- Creating and editing an agency ---------------------------------------------------------------


def test_a_manager_adds_an_agency(as_manager, manager):
    response = as_manager.post(
        reverse("collection:agency_new"),
        {"code": "hx", "name": "华信催收服务有限公司", "licence_number": "沪催字第0001号", "contact_email": ""},
    )
    agency = Agency.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("collection:agency_detail", args=[agency.pk])
    assert (agency.code, agency.licence_number) == ("HX", "沪催字第0001号")


def test_a_taken_code_is_shown_on_the_form(as_manager):
    AgencyFactory(code="HX")
    response = as_manager.post(reverse("collection:agency_new"), {"code": "hx", "name": "Other"})
    assert response.status_code == 200
    assert "Another agency has this code." in response.text
    assert Agency.objects.count() == 1


def test_a_manager_edits_an_agency(as_manager):
    agency = AgencyFactory(code="HX", name="Old")
    response = as_manager.post(reverse("collection:agency_edit", args=[agency.pk]), {"code": "HX", "name": "New"})
    assert response.status_code == 302
    agency.refresh_from_db()
    assert agency.name == "New"


def test_an_unknown_agency_is_404(as_manager):
    assert as_manager.get(reverse("collection:agency_detail", args=[999999])).status_code == 404
    assert as_manager.get(reverse("collection:contract_new", args=[999999])).status_code == 404


# --- The agency's page ----------------------------------------------------------------------------


def test_the_agency_page_shows_contracts_evaluations_members_and_placements(
    as_manager, manager, django_assert_max_num_queries
):
    contract = AgencyContractFactory(reference="HX-2026", tiers=[("M1", "0.1000"), ("", "0.2250")])
    agency = contract.agency
    AgencyEvaluation.objects.create(
        agency=agency,
        evaluated_on=datetime.date(2026, 1, 10),
        outcome=EvaluationOutcome.APPROVED,
        notes="clean record",
        evaluated_by=manager,
    )
    agency_user(agency, username="hx-lead", supervisor=True)
    agency_user(agency, username="hx-agent")
    placements = [placed_case(contract=contract) for _ in range(3)]
    with django_assert_max_num_queries(15):
        response = as_manager.get(reverse("collection:agency_detail", args=[agency.pk]))
    html = response.text
    assert response.status_code == 200
    contracts = html.split('data-testid="contracts"')[1].split("</section>")[0]
    assert "HX-2026" in contracts and "in force" in contracts
    assert "M1 10%" in contracts and "any other bucket 22.5%" in contracts
    assert "clean record" in html.split('data-testid="evaluations"')[1]
    members = html.split('data-testid="members"')[1].split("</table>")[0]
    assert 'data-member="hx-lead"' in members and "Supervisor" in members
    assert 'data-member="hx-agent"' in members
    for placement in placements:
        assert f'href="{reverse("collection:case_detail", args=[placement.case_id])}"' in html
    assert ">3 / 1000<" in html


def test_suspending_an_agency_says_its_cases_come_back_tonight(as_manager):
    placement = placed_case()
    response = as_manager.post(
        reverse("collection:agency_status", args=[placement.agency_id]),
        {"status": AgencyStatus.SUSPENDED, "note": "audit"},
        follow=True,
    )
    assert Agency.objects.get(pk=placement.agency_id).status == AgencyStatus.SUSPENDED
    assert "is now Suspended. Its placed cases are recalled by tonight" in response.text


def test_a_refused_status_change_is_shown_on_the_page(as_manager):
    agency = AgencyFactory()
    response = as_manager.post(reverse("collection:agency_status", args=[agency.pk]), {"status": "active"})
    assert response.status_code == 200
    assert "The agency is Active already." in response.text


def test_the_status_change_refuses_get(as_manager):
    agency = AgencyFactory()
    assert as_manager.get(reverse("collection:agency_status", args=[agency.pk])).status_code == 405


def test_a_manager_records_an_evaluation(as_manager, manager):
    agency = AgencyFactory(last_evaluated_on=None)
    today = timezone.localdate()
    response = as_manager.post(
        reverse("collection:agency_evaluation_new", args=[agency.pk]),
        {"evaluated_on": today.isoformat(), "outcome": EvaluationOutcome.APPROVED, "notes": "ok"},
    )
    assert response.status_code == 302
    agency.refresh_from_db()
    assert agency.last_evaluated_on == today
    assert AgencyEvaluation.objects.get().evaluated_by == manager


def test_a_future_evaluation_is_refused_on_the_page(as_manager):
    agency = AgencyFactory()
    tomorrow = timezone.localdate() + datetime.timedelta(days=2)
    response = as_manager.post(
        reverse("collection:agency_evaluation_new", args=[agency.pk]),
        {"evaluated_on": tomorrow.isoformat(), "outcome": EvaluationOutcome.APPROVED},
    )
    assert response.status_code == 200
    assert "the date is in the future" in response.text
    assert not AgencyEvaluation.objects.exists()


def test_a_manager_links_an_agency_user_and_only_agency_users_are_offered(as_manager, collector):
    agency = AgencyFactory()
    user = UserFactory(username="wang", role=Role.AGENCY_AGENT)
    page = as_manager.get(reverse("collection:agency_detail", args=[agency.pk])).text
    member_form = page.split('data-testid="member-form"')[1].split("</form>")[0]
    assert "wang" in member_form and collector.username not in member_form
    response = as_manager.post(
        reverse("collection:agency_member_link", args=[agency.pk]), {"user": user.pk, "is_supervisor": "1"}
    )
    assert response.status_code == 302
    member = AgencyMember.objects.get(user=user)
    assert (member.agency, member.is_supervisor) == (agency, True)
    refused = as_manager.post(
        reverse("collection:agency_member_link", args=[agency.pk]), {"user": collector.pk, "is_supervisor": "0"}
    )
    assert refused.status_code == 200
    assert not AgencyMember.objects.filter(user=collector).exists()


# --- Contracts ----------------------------------------------------------------------------------


def test_the_contract_form_offers_the_borrowers_provinces_and_the_products(as_manager):
    BorrowerFactory(province="浙江省")
    BorrowerFactory(province="广东省")
    CreditProductFactory(name="Shop installments")
    agency = AgencyFactory()
    response = as_manager.get(reverse("collection:contract_new", args=[agency.pk]))
    assert response.status_code == 200
    assert 'value="浙江省"' in response.text and 'value="广东省"' in response.text
    assert "Shop installments" in response.text
    assert 'value="date_of_birth"' in response.text  # the visible fields' checkboxes


def test_a_manager_writes_a_contract_with_bucket_tiers_in_per_cent(as_manager):
    BorrowerFactory(province="浙江省")
    product = CreditProductFactory()
    agency = AgencyFactory()
    data = contract_post(regions=["浙江省"], other_regions="江苏省， 上海市", products=[str(product.pk)])
    data.update(
        tiers_post(
            [
                {"bucket": "M1", "rate_percent": "12.5"},
                {"bucket": "", "rate_percent": "20"},
                {"bucket": "", "rate_percent": ""},  # an empty row
            ]
        )
    )
    response = as_manager.post(reverse("collection:contract_new", args=[agency.pk]), data)
    assert response.status_code == 302, response.content.decode()[:3000]
    contract = AgencyContract.objects.get(agency=agency)
    assert sorted(contract.tiers.values_list("bucket", "rate")) == [("", Decimal("0.2000")), ("M1", Decimal("0.1250"))]
    assert contract.regions == ["上海市", "江苏省", "浙江省"]
    assert list(contract.products.all()) == [product]
    assert contract.visible_fields == ["phone", "address"]


def test_tiers_that_leave_a_bucket_uncovered_are_refused_with_the_reason(as_manager):
    agency = AgencyFactory()
    data = contract_post()
    data.update(tiers_post([{"bucket": "M1", "rate_percent": "10"}]))
    response = as_manager.post(reverse("collection:contract_new", args=[agency.pk]), data)
    assert response.status_code == 200
    assert "No tier covers bucket M2" in response.text
    assert not AgencyContract.objects.exists()


def test_a_rate_over_100_per_cent_is_refused(as_manager):
    agency = AgencyFactory()
    data = contract_post()
    data.update(tiers_post([{"bucket": "", "rate_percent": "120"}]))
    response = as_manager.post(reverse("collection:contract_new", args=[agency.pk]), data)
    assert response.status_code == 200
    assert not AgencyContract.objects.exists()


def test_a_manager_edits_a_contract_into_day_tiers(as_manager):
    contract = AgencyContractFactory()
    page = as_manager.get(reverse("collection:contract_edit", args=[contract.agency_id, contract.pk]))
    assert 'value="20.00"' in page.text  # the saved tiers, in per cent
    data = contract_post(reference=contract.reference, tier_basis=TierBasis.DAYS_PLACED)
    data.update(
        tiers_post(
            [
                {"min_days": "0", "max_days": "30", "rate_percent": "8"},
                {"min_days": "31", "max_days": "", "rate_percent": "15"},
                {"min_days": "", "rate_percent": "", "DELETE": "on"},
            ]
        )
    )
    response = as_manager.post(reverse("collection:contract_edit", args=[contract.agency_id, contract.pk]), data)
    assert response.status_code == 302
    contract.refresh_from_db()
    assert contract.tier_basis == TierBasis.DAYS_PLACED
    assert list(contract.tiers.values_list("min_days", "max_days", "rate")) == [
        (0, 30, Decimal("0.0800")),
        (31, None, Decimal("0.1500")),
    ]


def test_a_contract_of_another_agency_is_404(as_manager):
    contract = AgencyContractFactory()
    other = AgencyFactory()
    assert as_manager.get(reverse("collection:contract_edit", args=[other.pk, contract.pk])).status_code == 404
