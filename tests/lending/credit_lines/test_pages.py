"""The credit-line buttons on the account page and the core-system deliveries page."""

from decimal import Decimal

import pytest
from django.urls import reverse

from accounts.models import AuditEvent
from lending.credit_lines.services import credit_line_cut, credit_line_freeze
from lending.models import CoreSystemDelivery, CreditAccount
from tests.collection.factories import CaseFactory
from tests.lending.factories import BorrowerFactory, account_with_schedule

pytestmark = pytest.mark.django_db


@pytest.fixture
def account():
    borrower = BorrowerFactory(name="王小明", national_id="110101199003071234")
    return account_with_schedule(borrower=borrower, external_id="ACC-9", months=3)


def test_a_manager_freezes_a_line_from_the_account_page(client, manager, account):
    client.force_login(manager)
    page = client.get(reverse("lending:account_detail", args=[account.pk]))
    assert reverse("lending:credit_line_freeze", args=[account.pk]) in page.text

    response = client.post(
        reverse("lending:credit_line_freeze", args=[account.pk]),
        {"freeze-reason": "delinquency", "freeze-note": "M2"},
        follow=True,
    )

    account.refresh_from_db()
    assert account.status == CreditAccount.Status.FROZEN
    assert "Line frozen. The core system will be told." in response.text
    history = response.text.split('data-testid="limit-history"')[1].split("</tbody>")[0]
    assert "Line frozen" in history and "Pending" in history and "M2" in history
    # Frozen: no freeze button any more, a restore one instead.
    assert reverse("lending:credit_line_freeze", args=[account.pk]) not in response.text
    assert reverse("lending:credit_line_restore", args=[account.pk]) in response.text
    restriction = response.text.split('data-testid="line-restriction">')[1].split("</dd>")[0]
    assert "(Delinquency); a restore gives back 10,000.00 CNY" in restriction


def test_a_charged_off_account_offers_no_line_button(client, manager, account):
    CreditAccount.objects.filter(pk=account.pk).update(status=CreditAccount.Status.CHARGED_OFF)
    client.force_login(manager)
    page = client.get(reverse("lending:account_detail", args=[account.pk]))
    assert 'data-testid="line-actions"' not in page.text


def test_a_manager_cuts_a_line_and_a_wrong_limit_is_explained(client, manager, account):
    client.force_login(manager)
    url = reverse("lending:credit_line_cut", args=[account.pk])
    refused = client.post(url, {"cut-new_limit": "20000", "cut-reason": "review"}, follow=True)
    assert "below the current limit (10000.00)" in refused.text
    client.post(url, {"cut-new_limit": "3000", "cut-reason": "review"})
    account.refresh_from_db()
    assert account.credit_limit == Decimal("3000.00")


def test_a_manager_restores_a_line(client, manager, account):
    credit_line_cut(account=account, new_limit="3000")
    client.force_login(manager)
    client.post(reverse("lending:credit_line_restore", args=[account.pk]), {"restore-note": "paid up"})
    account.refresh_from_db()
    assert account.credit_limit == Decimal("10000.00")
    assert AuditEvent.objects.get(action="lending.credit_line.restored").actor == manager


def test_a_collector_sees_the_history_but_no_buttons_and_may_not_post(client, collector, account):
    CaseFactory(borrower=account.borrower, team=collector.team)  # the collector's case: the account is in scope
    credit_line_freeze(account=account)
    client.force_login(collector)
    page = client.get(reverse("lending:account_detail", args=[account.pk]))
    assert page.status_code == 200
    assert "Line frozen" in page.text
    assert 'data-testid="line-actions"' not in page.text
    for name in ("credit_line_freeze", "credit_line_cut", "credit_line_restore"):
        assert client.post(reverse(f"lending:{name}", args=[account.pk])).status_code == 403
    assert client.get(reverse("lending:core_deliveries")).status_code == 403
    assert client.post(reverse("lending:core_deliveries_retry_failed")).status_code == 403
    delivery = CoreSystemDelivery.objects.get()
    assert client.post(reverse("lending:core_delivery_retry", args=[delivery.pk])).status_code == 403


def test_the_line_buttons_refuse_get(client, manager, account):
    client.force_login(manager)
    assert client.get(reverse("lending:credit_line_freeze", args=[account.pk])).status_code == 405


def test_an_unknown_account_is_404(client, manager):
    client.force_login(manager)
    assert (
        client.post(reverse("lending:credit_line_freeze", args=[999999]), {"freeze-reason": "delinquency"}).status_code
        == 404
    )


def test_the_deliveries_page_lists_external_ids_only_in_few_queries(client, manager, django_assert_max_num_queries):
    for number in range(12):
        account = account_with_schedule(
            borrower=BorrowerFactory(name=f"张{number}", national_id=f"11010119900307{number:04d}"),
            external_id=f"ACC-{number:02d}",
            months=1,
        )
        credit_line_freeze(account=account)
    CoreSystemDelivery.objects.filter(account__external_id="ACC-03").update(
        status=CoreSystemDelivery.Status.FAILED, last_error="HTTP 422 Unprocessable Entity: unknown account"
    )
    client.force_login(manager)
    client.get(reverse("lending:core_deliveries"))  # warm the session and the nav
    with django_assert_max_num_queries(8):
        response = client.get(reverse("lending:core_deliveries"))
    assert response.status_code == 200
    assert "ACC-00" in response.text and "ACC-11" in response.text
    assert "张" not in response.text and "110101" not in response.text
    assert "HTTP 422 Unprocessable Entity: unknown account" in response.text
    assert "No core system is configured" in response.text
    failed = client.get(reverse("lending:core_deliveries"), {"status": "failed"})
    assert [row.account.external_id for row in failed.context["page"].object_list] == ["ACC-03"]


def test_a_manager_retries_a_failed_delivery_and_all_failed(client, manager, account):
    credit_line_freeze(account=account)
    credit_line_cut(account=account, new_limit="1000")
    CoreSystemDelivery.objects.update(status=CoreSystemDelivery.Status.FAILED, attempts=10)
    first, second = CoreSystemDelivery.objects.order_by("id")
    client.force_login(manager)

    response = client.post(reverse("lending:core_delivery_retry", args=[first.pk]), {"query": "status=failed"})
    assert response.url == reverse("lending:core_deliveries") + "?status=failed"
    first.refresh_from_db()
    assert (first.status, first.attempts) == (CoreSystemDelivery.Status.PENDING, 0)

    client.post(reverse("lending:core_deliveries_retry_failed"))
    second.refresh_from_db()
    assert second.status == CoreSystemDelivery.Status.PENDING
    assert AuditEvent.objects.filter(action__startswith="lending.core_delivery.retried").count() == 2


def test_the_deliveries_page_says_where_the_demo_writes_the_changes(client, manager, settings, tmp_path):
    settings.CORE_SYSTEM_URL = f"file://{tmp_path}/core-system"
    client.force_login(manager)
    response = client.get(reverse("lending:core_deliveries"))
    assert f"Demo: each change is written as a file to {tmp_path}/core-system" in response.text
    assert "No core system is configured" not in response.text


def test_a_failed_delivery_shows_on_the_account_page_with_the_way_to_retry(client, manager, account):
    credit_line_freeze(account=account)
    CoreSystemDelivery.objects.update(
        status=CoreSystemDelivery.Status.FAILED, last_error=CoreSystemDelivery.ERROR_TIMEOUT
    )
    client.force_login(manager)
    history = client.get(reverse("lending:account_detail", args=[account.pk])).text.split(
        'data-testid="limit-history"'
    )[1]
    assert 'title="No answer within the timeout."' in history
    assert f"{reverse('lending:core_deliveries')}?account=ACC-9" in history
