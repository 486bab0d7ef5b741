"""
The refusal log (issue 10): every refusal of the guard's `contact_require`
(a contact about to be made) is one ContactRefusal row that outlives the
refused action's rollback; the passive verdicts of the case page write none.
And the manager's page of refusals: counts by rule, collector and day,
filters, the CSV export, the nav.
"""

import csv
import importlib
import io
import re
from pathlib import Path
from urllib.parse import urlencode

import pytest
import time_machine
from django.conf import settings
from django.urls import reverse

from accounts.navigation import nav_items_for
from collection import compliance
from collection.compliance import ContactRefused, Rule
from collection.models import Channel, ContactAttempt, ContactRefusal, HoldKind
from collection.services.visits import visit_request, visit_schedule
from tests.collection.conftest import MORNING, NIGHT, call_logged, contact_posted
from tests.collection.factories import HoldFactory

# The case, its mobile and the morning come from tests/collection/conftest.py.
pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("morning")]


call = call_logged


def test_a_refused_contact_leaves_a_refusal_row_and_no_contact(case, mobile, collector):
    HoldFactory(case=case, kind=HoldKind.DISPUTE)
    with pytest.raises(ContactRefused):
        call(case, mobile, collector)
    assert ContactAttempt.objects.count() == 0
    refusal = ContactRefusal.objects.get()
    assert (refusal.case, refusal.borrower_id, refusal.contact_point, refusal.channel) == (
        case,
        case.borrower_id,
        mobile,
        Channel.CALL,
    )
    assert (refusal.rule, refusal.actor, refusal.action) == (Rule.HOLD, collector, "contact")
    assert refusal.reason.startswith("The case is on hold (Dispute)")
    assert refusal.refused_at == MORNING


def test_a_refusal_at_night_names_the_hour_rule(case, mobile, collector):
    with time_machine.travel(NIGHT, tick=False), pytest.raises(ContactRefused):
        call(case, mobile, collector)
    assert ContactRefusal.objects.get().rule == Rule.CONTACT_HOURS


def test_a_refusal_twice_is_two_rows(case, mobile, collector):
    HoldFactory(case=case, kind=HoldKind.DISPUTE)
    for _ in range(2):
        with pytest.raises(ContactRefused):
            call(case, mobile, collector)
    assert ContactRefusal.objects.count() == 2


def test_an_allowed_contact_and_a_passive_verdict_write_no_refusal(case, mobile, collector):
    call(case, mobile, collector)
    HoldFactory(case=case, kind=HoldKind.DISPUTE)
    assert not compliance.contact_check(case=case, channel=Channel.CALL, contact_point=mobile)
    compliance.contact_points_verdicts(case=case, contact_points=[mobile])
    assert ContactRefusal.objects.count() == 0


def test_the_case_page_writes_no_refusal(client, case, collector):
    HoldFactory(case=case, kind=HoldKind.DISPUTE)
    client.force_login(collector)
    assert client.get(reverse("collection:case_detail", args=[case.pk])).status_code == 200
    assert ContactRefusal.objects.count() == 0


def test_contact_require_outside_a_transaction_writes_at_once(case, mobile, collector):
    HoldFactory(case=case, kind=HoldKind.DECEASED)
    with pytest.raises(ContactRefused) as refused:
        compliance.contact_require(case=case, channel=Channel.CALL, contact_point=mobile, actor=collector)
    # Inside the test's transaction the row waits for the service wrapper; recording it is idempotent.
    first = compliance.refusal_record(refused.value)
    assert compliance.refusal_record(refused.value) == first
    assert ContactRefusal.objects.get().rule == Rule.HOLD


def test_a_refused_post_from_the_case_page_is_recorded(client, case, mobile, collector):
    HoldFactory(case=case, kind=HoldKind.CEASE_CONTACT)
    response = contact_posted(client, collector, case, mobile)
    assert response.status_code == 200
    assert ContactAttempt.objects.count() == 0
    assert ContactRefusal.objects.get().rule == Rule.CEASE_CONTACT


def test_a_refused_visit_schedule_is_recorded(case, collector, team_lead, field_agent):
    visit = visit_request(case=case, reason="Not answering", actor=collector, address="1 Road")
    HoldFactory(case=case, kind=HoldKind.COMPLAINT)
    with pytest.raises(ContactRefused):
        visit_schedule(visit=visit, agent=field_agent, scheduled_on=MORNING.date(), actor=team_lead)
    refusal = ContactRefusal.objects.get()
    assert (refusal.action, refusal.channel, refusal.actor) == ("visit.schedule", Channel.VISIT, team_lead)


# --- The manager's page ---------------------------------------------------------------------------


@pytest.fixture
def refusals(case, mobile, collector):
    HoldFactory(case=case, kind=HoldKind.DISPUTE)
    for _ in range(2):
        with pytest.raises(ContactRefused):
            call(case, mobile, collector)
    return case


def url(**query):
    return reverse("collection:refusal_report") + ("?" + urlencode(query) if query else "")


def test_the_manager_sees_counts_by_rule_collector_and_day(client, manager, refusals, collector):
    client.force_login(manager)
    response = client.get(url())
    assert response.status_code == 200
    counts = response.context["counts"]
    assert [(row["rule"], row["actor_id"], row["day"], row["count"]) for row in counts] == [
        (Rule.HOLD, collector.pk, MORNING.date(), 2)
    ]
    assert response.context["total"] == 2
    assert len(response.context["rows"]) == 2
    assert 'data-testid="refusal-counts"' in response.text


def test_filters_narrow_the_counts(client, manager, refusals, collector):
    client.force_login(manager)
    assert client.get(url(rule=Rule.CONTACT_HOURS)).context["total"] == 0
    assert client.get(url(rule=Rule.HOLD, collector=collector.pk)).context["total"] == 2
    assert client.get(url(collector=collector.pk + 1000)).context["total"] == 0
    assert client.get(url(first="2026-03-17", last="2026-03-20")).context["total"] == 0


def test_a_period_the_wrong_way_round_is_an_error(client, manager, refusals):
    client.force_login(manager)
    response = client.get(url(first="2026-03-17", last="2026-03-10"))
    assert response.status_code == 200
    assert response.context["form"].errors
    assert response.context["total"] == 0


def test_the_csv_export_has_every_refusal(client, manager, refusals, collector):
    client.force_login(manager)
    response = client.get(url(export="csv"))
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    text = b"".join(response.streaming_content).decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text)))
    assert rows[0][:3] == ["Refused at", "Rule", "Rule code"]
    assert [row[2] for row in rows[1:]] == ["hold", "hold"]
    assert rows[1][9] == collector.username


def test_collectors_and_team_leads_may_not_see_the_refusals(client, collector, team_lead):
    for user in (collector, team_lead):
        client.force_login(user)
        assert client.get(url()).status_code == 403


def test_the_refusal_page_answers_only_get(client, manager):
    client.force_login(manager)
    assert client.post(url()).status_code == 405


def test_the_refusal_page_is_in_the_managers_nav(manager, collector):
    assert "refusal_report" in [item["key"] for item in nav_items_for(manager)]
    assert "refusal_report" not in [item["key"] for item in nav_items_for(collector)]


def test_docs_name_only_issue_10_tests_that_exist():
    docs = (Path(settings.BASE_DIR) / "docs" / "compliance.md").read_text()
    section = docs.split("## Around the guard (issue 10)")[1].split("\n## ")[0]
    named = 0
    for row in section.splitlines():
        for module, names in re.findall(r"`(test_\w+)\.py`: ((?:`test_\w+`(?:, )?)+)", row):
            tests = importlib.import_module(f"tests.collection.{module}")
            for name in re.findall(r"`(test_\w+)`", names):
                assert callable(getattr(tests, name, None)), f"{module}.py::{name}"
                named += 1
    assert named > 25
