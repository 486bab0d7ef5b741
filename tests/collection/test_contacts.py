"""
Logging contacts, notes, the reason for lateness, holds and hardship: each
service's change, its audit row and timeline line, nothing written on error;
and the case page's actions that call them, posted with htmx.
"""

import datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

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
    Direction,
    EventKind,
    Hold,
    HoldKind,
    LatenessReason,
    Outcome,
    Stage,
)
from collection.services.contacts import (
    CONTACT_POINT_NOT_THE_BORROWERS,
    HOLD_ALREADY_ACTIVE,
    HOLD_ALREADY_RELEASED,
    HOLD_RELEASE_NOT_ALLOWED,
    NOTE_EMPTY,
    contact_log,
    hardship_record,
    hold_place,
    hold_release,
    note_add,
    reason_set,
)
from tests.collection.factories import HoldFactory, case_in_arrears
from tests.factories import UserFactory
from tests.lending.factories import ContactPointFactory

pytestmark = pytest.mark.django_db

SHANGHAI = ZoneInfo("Asia/Shanghai")
MORNING = datetime.datetime(2026, 3, 16, 10, 0, tzinfo=SHANGHAI)
NIGHT = datetime.datetime(2026, 3, 16, 23, 0, tzinfo=SHANGHAI)
HTMX = {"HX-Request": "true"}


@pytest.fixture(autouse=True)
def _morning():
    with time_machine.travel(MORNING, tick=False):
        yield


@pytest.fixture
def case(collector):
    return case_in_arrears(collector=collector, days_past_due=20)


@pytest.fixture
def mobile(case):
    return case.borrower.contact_points.get()


def written(case) -> tuple[int, int, int]:
    """What a service writes: contacts, timeline lines, audit events."""
    return (
        ContactAttempt.objects.filter(case=case).count(),
        CaseEvent.objects.filter(case=case).count(),
        AuditEvent.objects.filter(action__startswith="collection.").count(),
    )


def call(case, point, actor, **kwargs):
    values = {
        "channel": Channel.CALL,
        "contact_point": point,
        "answered_by": AnsweredBy.BORROWER,
        "outcome": Outcome.RIGHT_PARTY_CONTACT,
        "duration_seconds": 125,
        "notes": "Will pay on Friday.",
    }
    values.update(kwargs)
    return contact_log(case=case, actor=actor, **values)


# --- contact_log -----------------------------------------------------------------------------------


def test_a_logged_call_moves_the_case_s_last_contacts_and_goes_on_the_timeline(case, mobile, collector):
    contact = call(case, mobile, collector)
    assert (contact.channel, contact.outcome, contact.duration_seconds) == ("call", "rpc", 125)
    assert contact.borrower == case.borrower and contact.actor == collector
    case.refresh_from_db()
    assert case.last_contact_at == MORNING
    assert case.last_right_party_contact_at == MORNING
    assert case.next_action_at == MORNING + datetime.timedelta(days=1)  # not handed straight back by the queue
    event = CaseEvent.objects.get(case=case, kind=EventKind.CONTACT)
    assert event.data["outcome"] == "rpc" and event.data["contact_id"] == contact.pk
    assert event.notes == "Will pay on Friday."
    audit = AuditEvent.objects.get(action="collection.contact.logged")
    assert audit.actor == collector and audit.target_id == str(case.pk)


def test_an_unanswered_call_is_a_contact_but_not_a_right_party_one(case, mobile, collector):
    call(case, mobile, collector, answered_by=AnsweredBy.NOBODY, outcome=Outcome.NO_ANSWER, duration_seconds=0)
    case.refresh_from_db()
    assert case.last_contact_at == MORNING
    assert case.last_right_party_contact_at is None
    assert case.next_action_at == MORNING + datetime.timedelta(hours=2)


def test_a_call_at_23_00_borrower_time_is_refused_and_nothing_is_written(case, mobile, collector):
    before = written(case)
    with time_machine.travel(NIGHT, tick=False), pytest.raises(ContactRefused) as refused:
        call(case, mobile, collector)
    assert refused.value.verdict.rule == "contact_hours"
    assert "08:00" in refused.value.verdict.label
    assert written(case) == before
    case.refresh_from_db()
    assert case.last_contact_at is None


def test_a_call_the_borrower_makes_at_night_is_logged(case, mobile, collector):
    with time_machine.travel(NIGHT, tick=False):
        contact = call(case, mobile, collector, direction=Direction.INBOUND)
    assert contact.direction == "inbound"
    case.refresh_from_db()
    assert case.next_action_at is None  # an inbound call does not put off the next action


def test_a_call_while_the_case_is_on_hold_is_refused(case, mobile, collector):
    HoldFactory(case=case, kind=HoldKind.DISPUTE)
    with pytest.raises(ContactRefused) as refused:
        call(case, mobile, collector)
    assert refused.value.verdict.rule == "hold"
    assert not ContactAttempt.objects.exists()


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"answered_by": AnsweredBy.NOBODY}, "does not fit a contact answered by"),
        ({"channel": Channel.EMAIL}, "cannot go to a mobile phone"),
        ({"channel": Channel.IN_APP}, "not to a contact point"),
        ({"contact_point": None}, "Choose the number or address"),
        ({"duration_seconds": 5 * 60 * 60}, "between 0 seconds and 4 hours"),
        ({"outcome": Outcome.MESSAGE_SENT}, "“Message sent” is an outcome of"),
        ({"outcome": "shouted"}, "Choose an outcome."),
    ],
    ids=["outcome", "channel", "in-app", "no-point", "duration", "message-sent", "unknown-outcome"],
)
def test_a_contact_that_does_not_add_up_is_refused_and_nothing_is_written(case, mobile, collector, changes, message):
    before = written(case)
    with pytest.raises(CollectionError) as error:
        call(case, mobile, collector, **changes)
    assert message in str(error.value)
    assert written(case) == before


def test_another_borrower_s_number_is_refused(case, collector):
    stranger = ContactPointFactory()
    with pytest.raises(CollectionError, match=str(CONTACT_POINT_NOT_THE_BORROWERS)):
        call(case, stranger, collector)
    assert not ContactAttempt.objects.exists()


def test_nothing_can_be_logged_on_a_closed_case(case, mobile, collector):
    case.status, case.closed_on = CaseStatus.CLOSED, MORNING.date()
    case.save()
    with pytest.raises(CollectionError, match="closed"):
        call(case, mobile, collector)


# --- Notes and the reason ------------------------------------------------------------------------


def test_a_note_goes_on_the_timeline_and_the_audit_trail(case, collector):
    event = note_add(case=case, text="  Works night shifts; call after 10.  ", actor=collector)
    assert (event.kind, event.notes, event.actor) == (EventKind.NOTE, "Works night shifts; call after 10.", collector)
    assert AuditEvent.objects.filter(action="collection.note.added", target_id=str(case.pk)).count() == 1


def test_an_empty_note_writes_nothing(case, collector):
    before = written(case)
    with pytest.raises(CollectionError, match=str(NOTE_EMPTY)):
        note_add(case=case, text="   ", actor=collector)
    assert written(case) == before


def test_the_reason_for_lateness_is_recorded_once(case, collector):
    reason_set(case=case, reason=LatenessReason.ILLNESS, actor=collector)
    reason_set(case=case, reason=LatenessReason.ILLNESS, actor=collector)
    case.refresh_from_db()
    assert case.reason == "illness"
    assert CaseEvent.objects.filter(case=case, data__field="reason").count() == 1
    audit = AuditEvent.objects.get(action="collection.reason.set")
    assert audit.data == {"field": "reason", "from": "unknown", "to": "illness"}


def test_an_unknown_reason_is_refused(case, collector):
    with pytest.raises(CollectionError):
        reason_set(case=case, reason="bad luck", actor=collector)
    case.refresh_from_db()
    assert case.reason == "unknown"


# --- Holds -----------------------------------------------------------------------------------------


def test_a_dispute_puts_the_case_on_hold_until_released(case, collector):
    hold = hold_place(case=case, kind=HoldKind.DISPUTE, reason="Goods never arrived", actor=collector)
    case.refresh_from_db()
    assert case.status == CaseStatus.ON_HOLD
    assert hold.is_active and hold.started_by == collector
    assert AuditEvent.objects.filter(action="collection.hold.placed").count() == 1
    assert CaseEvent.objects.filter(case=case, kind=EventKind.HOLD, data__action="placed").count() == 1
    assert CaseEvent.objects.filter(case=case, kind=EventKind.STATUS, data__to="on_hold").count() == 1

    hold_release(hold=hold, actor=collector, note="Merchant confirmed delivery")
    case.refresh_from_db()
    hold.refresh_from_db()
    assert case.status == CaseStatus.OPEN
    assert (hold.released_by, hold.release_note) == (collector, "Merchant confirmed delivery")
    assert AuditEvent.objects.get(action="collection.hold.released").data["note"] == "Merchant confirmed delivery"


def test_a_second_hold_of_the_same_kind_is_refused(case, collector):
    hold_place(case=case, kind=HoldKind.DISPUTE, reason="Goods never arrived", actor=collector)
    before = written(case)
    with pytest.raises(CollectionError, match=str(HOLD_ALREADY_ACTIVE.format(kind="Dispute"))):
        hold_place(case=case, kind=HoldKind.DISPUTE, reason="Again", actor=collector)
    assert written(case) == before
    assert Hold.objects.count() == 1


def test_a_cease_contact_request_holds_the_case_and_leaves_lending_alone(case, collector):
    hold_place(case=case, kind=HoldKind.CEASE_CONTACT, reason="Asked in writing to stop calling", actor=collector)
    case.borrower.refresh_from_db()
    assert case.borrower.cease_contact_requested is False  # lending is read-only to collection
    assert Hold.objects.get().kind == "cease_contact"


def test_hardship_records_the_reason_and_a_review_hold_with_evidence(case, collector):
    evidence = SimpleUploadedFile("letter.pdf", b"%PDF-1.4 dismissal letter", content_type="application/pdf")
    hold = hardship_record(
        case=case,
        reason=LatenessReason.LOST_INCOME,
        description="Laid off in February",
        actor=collector,
        evidence=evidence,
    )
    case.refresh_from_db()
    assert case.reason == "lost_income" and case.status == CaseStatus.ON_HOLD
    assert hold.kind == HoldKind.HARDSHIP_REVIEW
    assert hold.review_on == MORNING.date() + datetime.timedelta(days=14)
    assert hold.evidence.read() == b"%PDF-1.4 dismissal letter"
    assert CaseEvent.objects.filter(case=case, kind=EventKind.HARDSHIP).count() == 1
    assert set(AuditEvent.objects.values_list("action", flat=True)) >= {
        "collection.reason.set",
        "collection.hold.placed",
    }


def test_a_team_lead_may_release_a_hold_but_another_collector_may_not(case, collector, team_lead, team_a):
    colleague = UserFactory(username="colleague", role=Role.COLLECTOR, team=team_a)
    hold = hold_place(case=case, kind=HoldKind.DISPUTE, reason="Goods never arrived", actor=collector)
    with pytest.raises(CollectionError, match=str(HOLD_RELEASE_NOT_ALLOWED)):
        hold_release(hold=hold, actor=colleague)
    assert Hold.objects.get().is_active
    hold_release(hold=hold, actor=team_lead, note="Resolved with the merchant")
    assert not Hold.objects.get().is_active


def test_a_hold_is_released_only_once(case, collector):
    hold = hold_place(case=case, kind=HoldKind.DISPUTE, reason="Goods never arrived", actor=collector)
    hold_release(hold=hold, actor=collector)
    before = written(case)
    with pytest.raises(CollectionError, match=str(HOLD_ALREADY_RELEASED)):
        hold_release(hold=hold, actor=collector)
    assert written(case) == before


# --- The actions on the case page ----------------------------------------------------------------


def post(client, user, name, case, data, *, htmx=True, **kwargs):
    client.force_login(user)
    return client.post(
        reverse(f"collection:{name}", args=[case.pk, *kwargs.values()]), data, headers=HTMX if htmx else {}
    )


def contact_data(point, **changes):
    data = {
        "contact-channel": "call",
        "contact-direction": "outbound",
        "contact-contact_point": str(point.pk),
        "contact-answered_by": "borrower",
        "contact-outcome": "rpc",
        "contact-duration": "2:05",
        "contact-notes": "Spoke to him.",
    }
    data.update({f"contact-{key}": value for key, value in changes.items()})
    return data


def test_logging_a_call_refreshes_the_timeline_without_a_reload(client, collector, case, mobile):
    response = post(client, collector, "case_contact_log", case, contact_data(mobile))
    assert response.status_code == 200
    assert "<html" not in response.text
    assert 'id="case-timeline" class="panel" hx-swap-oob="true"' in response.text
    assert "Call to Mobile phone: Right party contact (2:05)" in response.text
    assert "Contact logged." in response.text
    assert ContactAttempt.objects.get().duration_seconds == 125


def test_a_call_at_night_is_refused_in_the_form_with_its_reason(client, collector, case, mobile):
    with time_machine.travel(NIGHT, tick=False):
        response = post(client, collector, "case_contact_log", case, contact_data(mobile))
    assert response.status_code == 200
    assert "Not before 08:00 local time" in response.text
    assert "It is 23:00 for the borrower" in response.text
    assert 'id="case-timeline"' not in response.text  # nothing changed: only the form comes back
    assert not ContactAttempt.objects.exists()


def test_a_call_that_ends_in_a_promise_opens_the_promise_form_for_it(client, collector, case, mobile):
    response = post(client, collector, "case_contact_log", case, contact_data(mobile, outcome="promised"))
    contact = ContactAttempt.objects.get()
    assert response.context["open_form"] == "promise"
    promise_form = response.context["forms"]["promise"]
    assert promise_form.initial["contact"] == contact.pk
    assert promise_form.initial["amount"] == case.overdue_total
    assert 'id="form-promise"' in response.text and "data-focus" in response.text


def test_a_call_ending_in_a_promise_without_htmx_goes_to_the_promise_form(client, collector, case, mobile):
    response = post(client, collector, "case_contact_log", case, contact_data(mobile, outcome="promised"), htmx=False)
    contact = ContactAttempt.objects.get()
    assert response.status_code == 302
    assert response["Location"].endswith(f"?form=promise&contact={contact.pk}")
    page = client.get(response["Location"])
    assert page.context["forms"]["promise"].initial["contact"] == contact.pk


def test_a_bad_duration_is_shown_in_the_form(client, collector, case, mobile):
    response = post(client, collector, "case_contact_log", case, contact_data(mobile, duration="2 min"))
    assert "Type the duration as minutes:seconds" in response.text
    assert not ContactAttempt.objects.exists()


def test_a_note_is_added_from_the_page(client, collector, case):
    response = post(client, collector, "case_note_add", case, {"note-text": "Prefers WeChat."})
    assert response.status_code == 200
    assert "Prefers WeChat." in response.text
    assert CaseEvent.objects.get(kind=EventKind.NOTE).notes == "Prefers WeChat."


def test_an_empty_note_is_sent_back_with_its_error(client, collector, case):
    response = post(client, collector, "case_note_add", case, {"note-text": ""})
    assert "This field is required." in response.text
    assert not CaseEvent.objects.exists()


def test_the_reason_is_set_from_the_page(client, collector, case):
    post(client, collector, "case_reason_set", case, {"reason-reason": "over_borrowing"})
    case.refresh_from_db()
    assert case.reason == "over_borrowing"


def test_a_dispute_from_the_page_shows_the_hold_banner(client, collector, case):
    response = post(
        client, collector, "case_hold_place", case, {"hold-kind": "dispute", "hold-reason": "Goods never arrived"}
    )
    assert 'data-testid="hold-banner"' in response.text
    assert "On hold: Dispute" in response.text
    assert Hold.objects.get().kind == "dispute"


def test_hardship_with_evidence_from_the_page(client, collector, case):
    evidence = SimpleUploadedFile("payslip.png", b"\x89PNG fake", content_type="image/png")
    post(
        client,
        collector,
        "case_hardship_record",
        case,
        {"hardship-reason": "illness", "hardship-description": "In hospital", "hardship-evidence": evidence},
    )
    hold = Hold.objects.get()
    assert hold.kind == "hardship_review" and hold.evidence.name.endswith(".png")


def test_evidence_of_the_wrong_kind_is_refused(client, collector, case):
    evidence = SimpleUploadedFile("run.exe", b"MZ", content_type="application/octet-stream")
    response = post(
        client,
        collector,
        "case_hardship_record",
        case,
        {"hardship-reason": "illness", "hardship-description": "In hospital", "hardship-evidence": evidence},
    )
    assert "File extension “exe” is not allowed." in response.text
    assert not Hold.objects.exists()


def test_a_hold_is_released_from_its_banner(client, collector, case):
    hold = hold_place(case=case, kind=HoldKind.DISPUTE, reason="Goods never arrived", actor=collector)
    client.force_login(collector)
    response = client.post(
        reverse("collection:case_hold_release", args=[case.pk, hold.pk]),
        {"release-note": "Delivered after all"},
        headers=HTMX,
    )
    assert "Hold released." in response.text
    assert 'data-testid="hold-banner"' not in response.text
    hold.refresh_from_db()
    assert hold.release_note == "Delivered after all"


def test_a_colleague_s_release_is_refused_with_the_reason(client, case, collector, team_a):
    colleague = UserFactory(username="colleague", role=Role.COLLECTOR, team=team_a)
    hold = hold_place(case=case, kind=HoldKind.DISPUTE, reason="Goods never arrived", actor=collector)
    client.force_login(colleague)
    response = client.post(
        reverse("collection:case_hold_release", args=[case.pk, hold.pk]), {"release-note": "Done"}, headers=HTMX
    )
    assert str(HOLD_RELEASE_NOT_ALLOWED).replace("'", "&#x27;") in response.text
    assert Hold.objects.get().is_active


def test_without_htmx_an_action_redirects_back_to_the_case(client, collector, case):
    response = post(client, collector, "case_note_add", case, {"note-text": "Plain form."}, htmx=False)
    assert response.status_code == 302
    assert response["Location"] == reverse("collection:case_detail", args=[case.pk])
    assert "Note added." in client.get(response["Location"]).text


@pytest.mark.parametrize(
    "name",
    [
        "case_contact_log",
        "case_promise_record",
        "case_note_add",
        "case_reason_set",
        "case_hold_place",
        "case_hardship_record",
    ],
)
def test_each_action_only_answers_post(client, collector, case, name):
    client.force_login(collector)
    assert client.get(reverse(f"collection:{name}", args=[case.pk])).status_code == 405


@pytest.mark.parametrize(
    "name",
    [
        "case_contact_log",
        "case_promise_record",
        "case_note_add",
        "case_reason_set",
        "case_hold_place",
        "case_hardship_record",
    ],
)
def test_each_action_is_a_404_for_another_team(client, outsider, case, name):
    client.force_login(outsider)
    assert client.post(reverse(f"collection:{name}", args=[case.pk]), {}).status_code == 404


@pytest.mark.parametrize(
    ("role", "status"),
    [(Role.LEGAL_OFFICER, 403), (Role.FIELD_AGENT, 404), (Role.AGENCY_AGENT, 404)],
    ids=["sees-the-case", "no-visit-there", "no-placement"],
)
def test_roles_that_do_not_work_cases_are_refused(client, user_of_role, case, mobile, role, status):
    """403 for a role that sees the case; 404 for one that does not see it at all (nothing to probe)."""
    if role == Role.LEGAL_OFFICER:
        # A legal officer sees a case only once it is in the legal stage.
        case.stage = Stage.LEGAL
        case.save(update_fields=["stage"])
    client.force_login(user_of_role(role))
    response = client.post(reverse("collection:case_contact_log", args=[case.pk]), contact_data(mobile))
    assert response.status_code == status
    assert not ContactAttempt.objects.exists()


def test_releasing_another_case_s_hold_through_this_case_is_a_404(client, collector, case):
    other = case_in_arrears(collector=collector)
    hold = HoldFactory(case=other)
    client.force_login(collector)
    response = client.post(reverse("collection:case_hold_release", args=[case.pk, hold.pk]), {"release-note": "x"})
    assert response.status_code == 404


def test_the_evidence_is_downloaded_by_who_may_see_the_case(client, collector, outsider, case):
    evidence = SimpleUploadedFile("letter.pdf", b"%PDF-1.4 dismissal letter", content_type="application/pdf")
    hold = hardship_record(
        case=case, reason=LatenessReason.LOST_INCOME, description="Laid off", actor=collector, evidence=evidence
    )
    url = reverse("collection:case_hold_evidence", args=[case.pk, hold.pk])
    client.force_login(collector)
    assert url in client.get(reverse("collection:case_detail", args=[case.pk])).text
    response = client.get(url)
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == b"%PDF-1.4 dismissal letter"
    assert response["Content-Disposition"].startswith("attachment;")
    client.force_login(outsider)
    assert client.get(url).status_code == 404


def test_a_hold_without_evidence_has_nothing_to_download(client, collector, case):
    hold = HoldFactory(case=case)
    client.force_login(collector)
    assert client.get(reverse("collection:case_hold_evidence", args=[case.pk, hold.pk])).status_code == 404
