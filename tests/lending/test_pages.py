"""Borrower and account pages: what staff see, masked by role, in few queries."""

import datetime
from decimal import Decimal

import pytest
from django.urls import reverse

from accounts.roles import Role
from collection.models import Case, Stage
from lending.models import ContactPoint, CreditLimitChange, Payment, PaymentAllocation
from tests.collection.factories import CaseFactory
from tests.lending.factories import BorrowerFactory, ContactPointFactory, account_with_schedule

pytestmark = pytest.mark.django_db

NATIONAL_ID = "110101199003071234"
MASKED_NATIONAL_ID = "1101**********1234"


@pytest.fixture
def borrower(team_a):
    """A borrower whose case team A (the collector's) works."""
    borrower = BorrowerFactory(name="王小明", external_id="B-42", national_id=NATIONAL_ID, is_vulnerable=True)
    CaseFactory(borrower=borrower, team=team_a)
    ContactPointFactory(borrower=borrower, value="13800001111", consent_sms=True)
    ContactPointFactory(
        borrower=borrower,
        value="13900002222",
        owner=ContactPoint.Owner.THIRD_PARTY,
        third_party_name="王大明",
        relation=ContactPoint.Relation.SIBLING,
        is_primary=False,
    )
    return borrower


@pytest.fixture
def account(borrower):
    account = account_with_schedule(borrower=borrower, external_id="ACC-7", months=3)
    first = account.installments.get(number=1)
    payment = Payment.objects.create(
        external_id="PAY-1",
        account=account,
        amount=Decimal("1012.50"),
        received_at=datetime.datetime(2026, 2, 14, 10, 0, tzinfo=datetime.UTC),
        channel=Payment.Channel.APP,
    )
    PaymentAllocation.objects.create(payment=payment, installment=first, component="interest", amount=Decimal("12.50"))
    PaymentAllocation.objects.create(
        payment=payment, installment=first, component="principal", amount=Decimal("1000.00")
    )
    CreditLimitChange.objects.create(
        account=account,
        changed_at=datetime.datetime(2026, 3, 1, tzinfo=datetime.UTC),
        previous_limit=Decimal("10000.00"),
        new_limit=Decimal("6000.00"),
        reason=CreditLimitChange.Reason.DELINQUENCY,
    )
    return account


def test_a_collector_finds_a_borrower_by_account_and_sees_the_id_masked(client, collector, borrower, account):
    CaseFactory(borrower=BorrowerFactory(name="李四"), team=collector.team)
    client.force_login(collector)
    response = client.get(reverse("lending:borrower_list"), {"q": "ACC-7"})
    assert response.status_code == 200
    assert "王小明" in response.text
    assert "李四" not in response.text
    assert MASKED_NATIONAL_ID in response.text
    assert NATIONAL_ID not in response.text


@pytest.mark.parametrize("query", ["B-42", "王小", "ACC-7"], ids=["borrower", "name", "account"])
def test_the_search_understands_every_key_a_collector_has(client, collector, account, query):
    CaseFactory(borrower=BorrowerFactory(name="李四"), team=collector.team)
    client.force_login(collector)
    response = client.get(reverse("lending:borrower_list"), {"q": query})
    rows = [row.record.name for row in response.context["table"].paginated_rows]
    assert rows == ["王小明"]


@pytest.mark.parametrize(
    "query",
    ["B-42", NATIONAL_ID, "王小", "ACC-7", "13800001111"],
    ids=["borrower", "national", "name", "account", "phone"],
)
def test_the_search_understands_every_key_for_a_legal_officer(client, legal_officer, account, query):
    # A legal officer sees the borrowers of legal-stage cases: both are visible, only one matches.
    Case.objects.filter(borrower=account.borrower).update(stage=Stage.LEGAL)
    CaseFactory(borrower=BorrowerFactory(name="李四"), stage=Stage.LEGAL)
    client.force_login(legal_officer)
    response = client.get(reverse("lending:borrower_list"), {"q": query})
    rows = [row.record.name for row in response.context["table"].paginated_rows]
    assert rows == ["王小明"]


def test_the_list_pages_in_few_queries(client, collector, django_assert_max_num_queries):
    for _number in range(60):
        CaseFactory(team=collector.team)
    client.force_login(collector)
    with django_assert_max_num_queries(7):
        response = client.get(reverse("lending:borrower_list"))
    assert len(list(response.context["table"].paginated_rows)) == 50


def test_the_borrower_page_shows_contacts_apart_and_masks_the_id(
    client, collector, borrower, account, django_assert_max_num_queries
):
    client.force_login(collector)
    with django_assert_max_num_queries(8):
        response = client.get(reverse("lending:borrower_detail", args=[borrower.pk]))
    assert response.status_code == 200
    assert MASKED_NATIONAL_ID in response.text and NATIONAL_ID not in response.text
    assert "Vulnerable" in response.text
    assert [row.point.value for row in response.context["own_contact_points"]] == ["13800001111"]
    assert [row.value for row in response.context["own_contact_points"]] == ["138****1111"]
    assert [row.point.third_party_name for row in response.context["third_party_contact_points"]] == ["王大明"]
    assert "13800001111" not in response.text and "13900002222" not in response.text and "王大明" not in response.text
    assert "ACC-7" in response.text


@pytest.mark.parametrize("role", [Role.LEGAL_OFFICER, Role.ADMIN])
def test_legal_officers_and_administrators_see_the_whole_id(client, user_of_role, borrower, role):
    Case.objects.filter(borrower=borrower).update(stage=Stage.LEGAL)
    client.force_login(user_of_role(role))
    response = client.get(reverse("lending:borrower_detail", args=[borrower.pk]))
    assert NATIONAL_ID in response.text


def test_the_account_page_shows_schedule_payments_and_limit_history(
    client, collector, account, django_assert_max_num_queries
):
    client.force_login(collector)
    with django_assert_max_num_queries(10):
        response = client.get(reverse("lending:account_detail", args=[account.pk]))
    assert response.status_code == 200
    assert [installment.number for installment in response.context["installments"]] == [1, 2, 3]
    assert "1,012.50 CNY" in response.text  # the payment, with its currency
    assert "#1 Principal 1,000.00" in response.text  # what it paid
    assert "6,000.00 CNY" in response.text  # the new limit
    assert "Delinquency" in response.text


def test_amounts_follow_the_users_language(client, collector, account):
    collector.language = "zh-hans"
    collector.save()
    client.force_login(collector)
    response = client.get(reverse("lending:account_detail", args=[account.pk]))
    assert '<html lang="zh-hans">' in response.text
    assert "1,012.50 CNY" in response.text  # grouped by thousands, as in English (config/formats/zh_Hans)
    assert "6,000.00 CNY" in response.text
    assert "1012.50" not in response.text


def test_an_agency_agent_may_not_browse_borrowers(client, agency_agent, borrower, account):
    client.force_login(agency_agent)
    assert client.get(reverse("lending:borrower_list")).status_code == 403
    # One borrower or account: the same 404 as for one outside the user's scope, so no id can be probed.
    assert client.get(reverse("lending:borrower_detail", args=[borrower.pk])).status_code == 404
    assert client.get(reverse("lending:account_detail", args=[account.pk])).status_code == 404


def test_a_missing_borrower_or_account_is_a_404(client, collector):
    client.force_login(collector)
    assert client.get(reverse("lending:borrower_detail", args=[999999])).status_code == 404
    assert client.get(reverse("lending:account_detail", args=[999999])).status_code == 404


def test_a_visitor_is_sent_to_log_in(client, borrower):
    response = client.get(reverse("lending:borrower_detail", args=[borrower.pk]))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:login"))
