"""
Fixtures the issue-10 tests share (a module's own fixture of the same name wins):
a Monday morning in Shanghai (`morning`, used with `usefixtures`), a case in
arrears of the collector's team and its borrower's mobile.
"""

import datetime
import threading
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.db import connection
from django.urls import reverse

from collection.compliance import ContactRefused
from collection.models import AnsweredBy, Channel, Outcome
from collection.services.contacts import contact_log
from tests.collection.factories import case_in_arrears

SHANGHAI = ZoneInfo("Asia/Shanghai")
MORNING = datetime.datetime(2026, 3, 16, 10, 0, tzinfo=SHANGHAI)
NIGHT = datetime.datetime(2026, 3, 16, 23, 30, tzinfo=SHANGHAI)


@pytest.fixture
def morning():
    with time_machine.travel(MORNING, tick=False):
        yield MORNING


@pytest.fixture
def case(collector):
    case = case_in_arrears(collector=collector, days_past_due=20)
    if not case.borrower.time_zone:
        case.borrower.time_zone = "Asia/Shanghai"
        case.borrower.save(update_fields=["time_zone"])
    return case


@pytest.fixture
def mobile(case):
    return case.borrower.contact_points.get()


def call_logged(case, point, actor, **kwargs):
    """A call answered by the borrower, logged through contact_log (keywords change any field)."""
    kwargs.setdefault("channel", Channel.CALL)
    kwargs.setdefault("answered_by", AnsweredBy.BORROWER)
    kwargs.setdefault("outcome", Outcome.RIGHT_PARTY_CONTACT)
    return contact_log(case=case, contact_point=point, actor=actor, **kwargs)


def calls_at_once(case, point, users) -> tuple[list, list]:
    """
    Each user logs a connected call (call_logged) at the same moment, one thread each released by a
    barrier: the ids of the calls logged and the rules that refused the others (the daily-cap races).
    """
    barrier = threading.Barrier(len(users))
    logged, refused, errors = [], [], []

    def press(user):
        try:
            barrier.wait(timeout=30)
            logged.append(call_logged(case, point, user).pk)
        except ContactRefused as error:
            refused.append(error.verdict.rule)
        except Exception as error:  # noqa: BLE001 - reported below
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=press, args=(user,)) for user in users]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not errors, errors
    return logged, refused


def contact_posted(client, user, case, point, **changes):
    """The case page's contact form posted with htmx: an outbound call the borrower answered, unless changed."""
    data = {"channel": "call", "direction": "outbound", "answered_by": "borrower", "outcome": "rpc", "duration": "1:00"}
    data.update(changes)
    data["contact_point"] = str(point.pk)
    client.force_login(user)
    return client.post(
        reverse("collection:case_contact_log", args=[case.pk]),
        {f"contact-{key}": value for key, value in data.items()},
        headers={"HX-Request": "true"},
    )
