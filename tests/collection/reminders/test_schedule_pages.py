"""A manager's reminder pages: the schedules, a product's own, adding, turning off and removing reminders."""

import pytest
from django.urls import reverse

from accounts.models import AuditEvent
from accounts.roles import Role
from collection.models import ReminderRule
from collection.reminders.services import KIND_BEFORE_DUE
from tests.lending.factories import CreditProductFactory

pytestmark = pytest.mark.django_db

SCHEDULES = reverse("collection:reminder_schedules")
DEFAULT = reverse("collection:reminder_schedule_default")


@pytest.fixture
def product(db):
    return CreditProductFactory(code="revolving-a", name="Revolving A")


def product_url(product):
    return reverse("collection:reminder_schedule_product", args=[product.pk])


def test_the_schedules_page_shows_the_default_and_each_product(client, manager, product, django_assert_max_num_queries):
    client.force_login(manager)
    with django_assert_max_num_queries(12):
        response = client.get(SCHEDULES)

    page = response.content.decode()
    assert response.status_code == 200
    assert 'data-rule="-3-sms"' in page and 'data-rule="0-email"' in page and 'data-rule="7-sms"' in page
    assert 'data-product="revolving-a"' in page and "follows the default" in page


def test_the_automation_page_names_it_for_a_manager_only(client, manager, collector):
    client.force_login(manager)
    assert SCHEDULES in client.get(reverse("collection:automation")).content.decode()
    client.force_login(collector)
    assert client.get(reverse("collection:automation")).status_code == 403
    assert SCHEDULES not in client.get(reverse("collection:my_queue")).content.decode()


def test_the_default_schedule_lists_its_reminders_in_order(client, manager):
    client.force_login(manager)
    page = client.get(DEFAULT).content.decode()

    order = [page.index(f'data-rule="{rule}"') for rule in ("-3-sms", "-1-sms", "0-sms", "1-sms", "3-sms", "7-sms")]
    assert order == sorted(order)


def test_a_manager_copies_the_default_to_a_product_audited(client, manager, product):
    client.force_login(manager)
    assert "follows the default schedule" in client.get(product_url(product)).content.decode()

    response = client.post(reverse("collection:reminder_schedule_copy", args=[product.pk]))

    assert response.status_code == 302 and response["Location"] == product_url(product)
    own = ReminderRule.objects.filter(product=product)
    assert sorted(own.values_list("offset_days", "channel")) == sorted(
        ReminderRule.objects.filter(product__isnull=True).values_list("offset_days", "channel")
    )
    event = AuditEvent.objects.get(action="collection.reminder_schedule.copied")
    assert event.actor == manager and event.data == {"reminders": own.count()}


def test_copying_twice_is_refused(client, manager, product):
    client.force_login(manager)
    client.post(reverse("collection:reminder_schedule_copy", args=[product.pk]))
    count = ReminderRule.objects.count()

    response = client.post(reverse("collection:reminder_schedule_copy", args=[product.pk]), follow=True)

    assert "already has a schedule of its own" in response.content.decode()
    assert ReminderRule.objects.count() == count


def test_a_manager_adds_a_reminder_to_a_products_schedule(client, manager, product):
    client.force_login(manager)
    client.post(reverse("collection:reminder_schedule_copy", args=[product.pk]))

    response = client.post(product_url(product), {"offset_days": "14", "channel": "email", "kind": "payment_demand"})

    assert response.status_code == 302
    rule = ReminderRule.objects.get(product=product, offset_days=14)
    assert (rule.channel, rule.kind, rule.is_active) == ("email", "payment_demand", True)
    assert AuditEvent.objects.get(action="collection.reminder.added").data == {
        "product": "revolving-a",
        "offset_days": 14,
        "channel": "email",
        "kind": "payment_demand",
    }


def test_a_reminder_before_the_due_date_must_be_a_pre_due_one(client, manager):
    client.force_login(manager)
    count = ReminderRule.objects.count()

    response = client.post(DEFAULT, {"offset_days": "-5", "channel": "sms", "kind": "overdue_reminder"})

    assert response.status_code == 200
    assert str(KIND_BEFORE_DUE) in response.content.decode()
    assert ReminderRule.objects.count() == count


def test_the_same_day_and_channel_twice_is_refused(client, manager):
    client.force_login(manager)

    response = client.post(DEFAULT, {"offset_days": "-3", "channel": "sms", "kind": "pre_due_reminder"})

    assert "already has a reminder 3 days before the due date by SMS" in response.content.decode()


def test_a_manager_turns_a_reminder_off_and_on(client, manager):
    client.force_login(manager)
    rule = ReminderRule.objects.get(product__isnull=True, offset_days=7)
    url = reverse("collection:reminder_rule_toggle", args=[rule.pk])

    client.post(url)
    rule.refresh_from_db()
    assert not rule.is_active
    client.post(url)
    rule.refresh_from_db()
    assert rule.is_active
    assert [event.action for event in AuditEvent.objects.filter(action__startswith="collection.reminder.")] == [
        "collection.reminder.activated",
        "collection.reminder.deactivated",
    ]


def test_a_manager_removes_a_reminder_and_puts_a_product_back_on_the_default(client, manager, product):
    client.force_login(manager)
    client.post(reverse("collection:reminder_schedule_copy", args=[product.pk]))
    rule = ReminderRule.objects.get(product=product, offset_days=7)

    client.post(reverse("collection:reminder_rule_remove", args=[rule.pk]))
    assert not ReminderRule.objects.filter(pk=rule.pk).exists()

    client.post(reverse("collection:reminder_schedule_drop", args=[product.pk]))
    assert not ReminderRule.objects.filter(product=product).exists()


def test_the_buttons_take_post_only(client, manager, product):
    client.force_login(manager)
    rule = ReminderRule.objects.filter(product__isnull=True).first()
    assert client.get(reverse("collection:reminder_rule_toggle", args=[rule.pk])).status_code == 405
    assert client.get(reverse("collection:reminder_rule_remove", args=[rule.pk])).status_code == 405
    assert client.get(reverse("collection:reminder_schedule_copy", args=[product.pk])).status_code == 405


def test_an_unknown_product_or_rule_is_404(client, manager):
    client.force_login(manager)
    assert client.get(reverse("collection:reminder_schedule_product", args=[999999])).status_code == 404
    assert client.post(reverse("collection:reminder_rule_toggle", args=[999999])).status_code == 404


@pytest.mark.parametrize(
    "role", [Role.COLLECTOR, Role.TEAM_LEAD, Role.FIELD_AGENT, Role.LEGAL_OFFICER, Role.AGENCY_AGENT, Role.ADMIN]
)
def test_roles_without_configure_automation_get_403(client, user_of_role, role):
    client.force_login(user_of_role(role))
    rule = ReminderRule.objects.filter(product__isnull=True).first()
    assert client.get(SCHEDULES).status_code == 403
    assert client.get(DEFAULT).status_code == 403
    assert client.post(reverse("collection:reminder_rule_toggle", args=[rule.pk])).status_code == 403
    rule.refresh_from_db()
    assert rule.is_active


def test_anonymous_users_are_sent_to_log_in(client):
    response = client.get(SCHEDULES)
    assert response.status_code == 302 and "login" in response["Location"]
