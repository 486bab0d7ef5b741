"""The audit trail and the home pages' activity read as sentences in the reader's language; raw facts one click away."""

import datetime
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import translation

from accounts.audit_text import audit_sentence_register, audit_text
from accounts.models import AuditEvent
from accounts.services import audit_record
from collection.services.contacts import hold_place
from collection.services.promises import promise_record
from lending.services import lender_today
from tests.collection.factories import case_in_arrears

pytestmark = pytest.mark.django_db


def test_every_code_the_product_writes_has_a_sentence(collector, team_lead):
    """A service action's audit event reads as a sentence, not as its code."""
    case = case_in_arrears(collector=collector, days_past_due=20)
    promise_record(
        case=case, amount=Decimal("1500.00"), due_on=lender_today() + datetime.timedelta(days=3), actor=collector
    )
    hold_place(case=case, kind="dispute", reason="Goods never arrived", actor=collector)
    events = list(AuditEvent.objects.exclude(action__startswith="accounts."))
    assert events
    with translation.override("en"):
        for event in events:
            assert audit_text(event) != event.action, event.action


def test_the_trail_shows_sentences_with_the_facts_one_click_away(client, manager, collector):
    case = case_in_arrears(collector=collector, days_past_due=20)
    hold_place(case=case, kind="dispute", reason="Goods never arrived", actor=collector)
    client.force_login(manager)
    response = client.get(reverse("accounts:audit_trail"))
    assert f"Case {case.number}: On hold: Dispute" in response.text
    assert '<details class="audit-facts">' in response.text
    assert "{&#x27;" not in response.text  # no Python dict printed across the row


def test_a_sentence_reads_in_chinese_for_a_chinese_reader(client, manager):
    audit_record(action="accounts.login", actor=manager, target=manager)
    manager.language = "zh-hans"
    manager.save()
    client.force_login(manager)
    response = client.get(reverse("accounts:home") + "?overview=1")
    assert "Logged in" not in response.text
    with translation.override("zh-hans"):
        assert audit_text(AuditEvent.objects.filter(action="accounts.login").first()) in response.text


def test_a_code_nobody_registered_still_reads_and_bad_facts_do_not_break_the_page(manager, team_a):
    created = audit_record(action="accounts.team.changed", actor=manager, target=team_a, data={"fields": ["name"]})
    assert audit_text(created) == "Team changed: Early A"
    audit_sentence_register("tests.thing.done", "Did %(thing)s")
    odd = audit_record(action="tests.thing.done", actor=manager, data={"other": 1})
    assert audit_text(odd) == "tests.thing.done"
