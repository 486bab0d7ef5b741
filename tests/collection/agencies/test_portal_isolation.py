"""
Isolation of the agency portal, generated over the URL conf (part C).

Every route of the collection, legal, lending, accounts and documents
namespaces is requested as agency A's agent (and as its supervisor) with its
URL arguments filled with the ids of what agency A must never reach — agency
B's placed case, a recalled case, an unplaced case, and their contacts,
promises, holds, arrangements, visits, accounts and borrowers — by GET (plain,
htmx, with ?q= / ?search= / ?export=csv / ?format=csv|xlsx) and by POST: the
answer is 403, 404 or 405, or a page that names none of those cases.

A second test opens every page an agency agent reaches on their own placed
case (whose borrower has distinctive details) and finds neither the whole
national id nor any value the contract withholds in any of them.

The routes an agency agent reaches at all are pinned (AGENT_REACHABLE,
SUPERVISOR_REACHABLE): a new route they can open fails the test until it is
classified here — and checked by the tests above, which then cover it.
"""

import datetime

import pytest
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.utils import timezone

from collection.models import Arrangement, FieldVisit, Hold, HoldKind
from tests.collection.agencies.portal_cast import AgencyWorld, leaked, own_mobile
from tests.collection.factories import ContactAttemptFactory, PromiseToPayFactory

pytestmark = pytest.mark.django_db

NAMESPACES = ("collection", "legal", "lending", "accounts", "documents")

# What an agency agent reaches (a status other than 403/404/405) with ids of their own agency's case
# (agency A's contract shows phones only: no visit request, which lists the borrower's addresses).
AGENT_REACHABLE = {
    "accounts:home",
    "accounts:language",
    "accounts:login",
    "accounts:logout",
    "collection:agency_queue",
    "collection:arrangement_cancel",
    "collection:arrangement_propose",
    "collection:case_contact_log",
    "collection:case_detail",
    "collection:case_hardship_record",
    "collection:case_hold_evidence",
    "collection:case_hold_place",
    "collection:case_hold_release",
    "collection:case_message_send",
    "collection:case_note_add",
    "collection:case_panels",
    "collection:case_promise_record",
    "collection:case_reason_set",
    "collection:case_reveal",
    "collection:case_timeline",
    "collection:visit_day",  # their own visits only (agent_day_visits: visits assigned to them)
    "collection:message_delivery_callback",  # the provider's signed callback: no session, refuses unsigned posts
    "lending:intake_payments_api",  # the core system's token-authenticated API: no session
}
# ... and what their supervisor reaches besides.
SUPERVISOR_REACHABLE = AGENT_REACHABLE | {
    "collection:agency_assign",
    "collection:agency_file_list",  # E: the agency's placement files and return uploads
    "collection:agency_return_upload",
    "collection:agency_statement_list",  # D: the agency's approved commission statements
    "collection:agency_team",
    "collection:placement_file",
}
REFUSED = {403, 404, 405}
STRING_ARGS = {"direction": "up", "which": "zip", "token": "nothing", "task_id": "nothing", "number": "1"}


def routes():
    """(name, pattern text, converters' names) of every named route of NAMESPACES."""
    found = []

    def walk(resolver, prefix, namespace):
        for entry in resolver.url_patterns:
            if isinstance(entry, URLResolver):
                inner = namespace
                if entry.namespace:
                    inner = f"{namespace}:{entry.namespace}" if namespace else entry.namespace
                walk(entry, prefix + str(entry.pattern), inner)
            elif isinstance(entry, URLPattern) and entry.name and namespace in NAMESPACES:
                found.append((f"{namespace}:{entry.name}", prefix + str(entry.pattern), entry.pattern.converters))

    walk(get_resolver(), "", "")
    return found


def _object_kind(pattern: str, arg: str) -> str:
    """Which kind of object an URL argument names, from the route's text before it."""
    before = pattern.split(f"<int:{arg}>")[0].rstrip("/").rsplit("/", 1)[-1]
    if arg == "hold_pk":
        return "hold"
    if arg == "case_pk" or before == "cases":
        return "case"
    return before


class Targets:
    """The ids to put in URLs: of one case and what hangs from it."""

    def __init__(self, case, actor):
        now = timezone.now()
        self.case = case
        account = case.case_accounts.first().account
        self.ids = {
            "case": case.pk,
            "accounts": account.pk,
            "borrowers": case.borrower_id,
            "contacts": ContactAttemptFactory(case=case, actor=actor).pk,
            "promises": PromiseToPayFactory(case=case, created_by=actor).pk,
            "hold": Hold.objects.create(
                case=case, kind=HoldKind.COMPLAINT, reason="x", started_at=now, started_by=actor,
                evidence=_evidence(),
            ).pk,
            "arrangements": Arrangement.objects.create(
                case=case, kind="extension", currency=case.currency, requested_at=now, requested_by=actor
            ).pk,
            "visits": FieldVisit.objects.create(
                case=case, address="Somewhere 1", reason="x", requested_at=now, requested_by=actor
            ).pk,
        }  # fmt: skip

    def url(self, name, pattern, converters) -> str:
        kwargs = {}
        for arg, converter in converters.items():
            if type(converter).__name__ == "IntConverter":
                kwargs[arg] = self.ids.get(_object_kind(pattern, arg), self.case.pk)
            else:
                kwargs[arg] = STRING_ARGS.get(arg, "x")
        return reverse(name, kwargs=kwargs)


def _evidence():
    from django.core.files.base import ContentFile

    return ContentFile(b"%PDF-1.4 evidence", name="evidence.pdf")


@pytest.fixture
def world(time_machine):
    time_machine.move_to(datetime.datetime(2026, 3, 16, 10, 0, tzinfo=datetime.UTC), tick=False)
    world = AgencyWorld()
    world.case_b.borrower.name = "Outsider Beta Borrower"
    world.recalled.borrower.name = "Outsider Recalled Borrower"
    world.unplaced.borrower.name = "Outsider Unplaced Borrower"
    for case in world.outsiders:
        case.borrower.save(update_fields=["name"])
    return world


def _variants(url: str, case) -> list[tuple[str, str, dict, dict]]:
    """(method, url, data, headers): the ways to ask a route about `case`."""
    htmx = {"HTTP_HX_REQUEST": "true", "HTTP_HX_TARGET": "results"}
    query = {"q": case.number, "search": case.number}
    return [
        ("get", url, {}, {}),
        ("get", url, {}, htmx),
        ("get", url, query, htmx),
        ("get", url, {"q": "Outsider", "export": "csv"}, {}),
        ("get", url, {"format": "csv", "case": case.pk}, {}),
        ("get", url, {"format": "xlsx"}, {}),
        ("post", url, {"case": case.pk}, {}),
        ("post", url, {"case": case.pk}, {"HTTP_HX_REQUEST": "true"}),
    ]


def _names_a_case(body: str, case, data: dict) -> list[str]:
    """What of `case` the body shows: its page's address, its borrower's name, its number (unless searched for)."""
    shown = []
    if f"/cases/{case.pk}/" in body:
        shown.append("url")
    if case.borrower.name in body:
        shown.append("borrower")
    if case.number not in (data.get("q"), data.get("search")) and case.number in body:
        shown.append("number")
    return shown


def _body(response) -> str:
    if getattr(response, "streaming", False):
        return b"".join(response.streaming_content).decode("utf-8", "replace")
    return response.content.decode("utf-8", "replace")


@pytest.mark.parametrize("who", ["agent_a", "supervisor_a"])
def test_agency_a_reaches_nothing_of_what_is_not_theirs(client, world, who):
    user = getattr(world, who)
    client.force_login(user)
    leaks = []
    for outsider in world.outsiders:
        targets = Targets(outsider, actor=world.agent_b)
        for name, pattern, converters in routes():
            if name in ("accounts:logout",):
                continue
            url = targets.url(name, pattern, converters)
            for method, address, data, headers in _variants(url, outsider):
                response = getattr(client, method)(address, data, **headers)
                if response.status_code in REFUSED:
                    continue
                shown = _names_a_case(_body(response), outsider, data)
                if shown:
                    leaks.append((name, method, data, headers, response.status_code, shown))
            client.force_login(user)  # a route may have logged the session out or switched its language
    assert leaks == []


def _reachable(client, user, targets) -> set[str]:
    client.force_login(user)
    reached = set()
    for name, pattern, converters in routes():
        url = targets.url(name, pattern, converters)
        get, post = client.get(url), client.post(url, {})
        if get.status_code not in REFUSED or post.status_code not in REFUSED:
            reached.add(name)
        client.force_login(user)
    return reached


def test_the_routes_an_agency_agent_reaches_are_pinned(client, world):
    targets = Targets(world.case_a, actor=world.agent_a)
    assert _reachable(client, world.agent_a, targets) == AGENT_REACHABLE
    assert _reachable(client, world.supervisor_a, targets) - {"collection:placement_file"} == (
        SUPERVISOR_REACHABLE - {"collection:placement_file"}
    )


def test_no_page_of_their_own_case_shows_the_national_id_or_a_withheld_detail(client, world):
    targets = Targets(world.case_a, actor=world.agent_a)
    client.force_login(world.agent_a)
    opened, leaks = [], []
    for name, pattern, converters in routes():
        if name in ("accounts:logout", "accounts:language"):
            continue
        url = targets.url(name, pattern, converters)
        for headers in ({}, {"HTTP_HX_REQUEST": "true"}):
            response = client.get(url, **headers)
            if response.status_code != 200:
                continue
            opened.append(name)
            found = leaked(_body(response), fields=list(_withheld()))
            if found:
                leaks.append((name, headers, found))
    assert leaks == []
    assert {"collection:case_detail", "collection:case_panels", "collection:case_timeline"} <= set(opened)


def _withheld():
    from collection.models import AgencyField

    # AgencyWorld's contract A shows the phones only.
    return [field for field in AgencyField.values if field != AgencyField.PHONE]


def test_revealing_on_every_contact_point_of_their_case_gives_only_the_phone(client, world):
    client.force_login(world.agent_a)
    url = reverse("collection:case_reveal", args=[world.case_a.pk])
    revealed = {}
    for point in world.case_a.borrower.contact_points.all():
        response = client.post(url, {"field": "phone", "contact_point": point.pk}, HTTP_HX_REQUEST="true")
        revealed[point.pk] = point.value in response.text
    mobile = own_mobile(world.case_a)
    assert revealed == {pk: pk == mobile.pk for pk in revealed}


def test_the_placement_file_goes_to_the_agency_s_supervisor_only(client, world):
    """E's decision (collection/views/agency_files.py), pinned: supervisor of the batch's agency only."""
    own, other = world.placement_a.batch, world.placement_b.batch
    url = lambda batch, fmt="csv": reverse("collection:placement_file", args=[batch.pk]) + f"?format={fmt}"  # noqa: E731
    client.force_login(world.agent_a)
    assert client.get(url(own)).status_code == 403
    assert client.get(url(own, "xlsx")).status_code == 403
    client.force_login(world.supervisor_a)
    assert client.get(url(other)).status_code == 404
    response = client.get(url(own))
    assert response.status_code == 200
    body = _body(response)
    assert world.case_a.number in body and world.case_b.number not in body
    assert leaked(body, fields=_withheld()) == []


# Every route that downloads a file (CSV, XLSX, PDF, ZIP) or exports a list, and who of an agency may use it.
EXPORT_ROUTES = {
    "collection:refusal_report": "none",  # ?export=csv
    "collection:agency_performance_csv": "none",  # B: the managers' comparison of agencies
    "lending:import_errors": "none",
    "legal:letter_download": "none",
    "legal:batch_file": "none",
    "legal:bundle_download": "none",
    "legal:evidence_download": "none",
    "legal:template_preview_pdf": "none",
    "collection:statement_pdf": "supervisor",  # D: the agency's own approved statements (no personal data)
    "collection:statement_csv": "supervisor",
    "collection:agency_return_errors": "supervisor",  # E: the error report of the agency's own upload
    "collection:placement_file": "supervisor",  # E: the agency's own batches (contract's fields only)
    "collection:case_hold_evidence": "agent",  # one hold's evidence on their own case: not a bulk export
}
# What gives a route away as a download: its name or the end of its path.
EXPORT_NAME_WORDS = ("csv", "xlsx", "pdf", "download", "errors", "evidence", "_file")
EXPORT_PATH_ENDS = (".csv", ".pdf", ".xlsx", ".zip", "/csv/", "/pdf/", "/download/", "-file/", "/<str:which>/")


def test_every_export_route_is_classified(world):
    """A new download route fails here until EXPORT_ROUTES says who of an agency may use it."""
    looks_like_export = {
        name
        for name, pattern, _converters in routes()
        if any(word in name.split(":")[1] for word in EXPORT_NAME_WORDS) or pattern.endswith(EXPORT_PATH_ENDS)
    }
    # Pages that download nothing themselves: legal's evidence list and its moves, the Agency files page.
    pages = {"legal:file_evidence", "legal:evidence_move", "legal:evidence_remove", "collection:agency_file_list"}
    exported_by_query = {"collection:refusal_report"}  # ?export=csv on the report's page
    assert looks_like_export - pages == set(EXPORT_ROUTES) - exported_by_query


@pytest.mark.parametrize("who", ["agent_a", "supervisor_a"])
def test_an_agency_user_downloads_nothing_in_bulk(client, world, who):
    user = getattr(world, who)
    targets = Targets(world.case_a, actor=world.agent_a)
    client.force_login(user)
    allowed = {"agent"} if who == "agent_a" else {"agent", "supervisor"}
    for name, pattern, converters in routes():
        if name not in EXPORT_ROUTES or EXPORT_ROUTES[name] in allowed:
            continue
        url = targets.url(name, pattern, converters)
        for params in ({}, {"export": "csv"}, {"format": "csv"}, {"format": "xlsx"}):
            assert client.get(url, params).status_code in (403, 404), (name, params)
    # A plain agent gets none of the supervisor's files either.
    if who == "agent_a":
        batch = reverse("collection:placement_file", args=[world.placement_a.batch.pk])
        assert client.get(batch, {"format": "xlsx"}).status_code == 403
