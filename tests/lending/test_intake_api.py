"""POST /api/intake/payments/: token authentication, one payment or a batch, all or nothing, idempotent."""

import datetime
import hashlib
import json
from decimal import Decimal

import pytest
from django.urls import reverse

from accounts.models import AuditEvent
from lending.intake import schema, services
from lending.models import ImportBatch, ImportRowError, Installment, IntakeToken, Payment
from tests.lending.factories import account_with_schedule

pytestmark = pytest.mark.django_db

URL = "/api/intake/payments/"


@pytest.fixture
def token(db):
    token, key = services.intake_token_create(name="core-system")
    token.key = key
    return token


@pytest.fixture
def account(db):
    return account_with_schedule(external_id="A1", months=2)


def post(client, body, key=None, raw=False):
    headers = {"Authorization": f"Bearer {key}"} if key else {}
    data = body if raw else json.dumps(body)
    return client.post(URL, data=data, content_type="application/json", headers=headers)


def payment(external_id="P1", amount="500.00", **fields):
    return {
        "external_id": external_id,
        "account_external_id": "A1",
        "amount": amount,
        "received_at": "2026-02-10T10:00:00+08:00",
        "channel": "app",
        **fields,
    }


def test_the_url_is_the_documented_one():
    assert reverse("lending:intake_payments_api") == URL


def test_only_the_sha256_of_a_token_is_kept(token):
    assert token.key_sha256 == hashlib.sha256(token.key.encode()).hexdigest()
    assert token.key not in json.dumps(list(IntakeToken.objects.values()), default=str)
    assert AuditEvent.objects.filter(action="lending.intake_token.created", target_id=str(token.pk)).exists()


# --- Authentication ---------------------------------------------------------------------------


def test_no_token_is_401(client, account):
    response = post(client, payment())
    assert response.status_code == 401
    assert response["WWW-Authenticate"].startswith("Bearer")
    assert Payment.objects.count() == 0
    assert ImportBatch.objects.count() == 0


def test_a_wrong_token_is_401(client, token, account):
    assert post(client, payment(), key=token.key + "x").status_code == 401
    assert (
        client.post(URL, data="{}", content_type="application/json", headers={"Authorization": token.key}).status_code
        == 401
    )
    assert Payment.objects.count() == 0


def test_an_inactive_token_is_401(client, token, account):
    IntakeToken.objects.filter(pk=token.pk).update(is_active=False)
    assert post(client, payment(), key=token.key).status_code == 401
    assert Payment.objects.count() == 0


def test_get_is_405(client, token):
    response = client.get(URL, headers={"Authorization": f"Bearer {token.key}"})
    assert response.status_code == 405
    assert response["Allow"] == "POST"


# --- Good calls -------------------------------------------------------------------------------


def test_a_good_token_records_one_payment(client, token, account):
    response = post(client, payment(), key=token.key)

    assert response.status_code == 200
    body = response.json()
    assert body["created"] == 1
    assert body["results"] == [{"index": 0, "external_id": "P1", "status": "created"}]
    recorded = Payment.objects.get()
    assert (recorded.amount, recorded.account, recorded.channel) == (Decimal("500.00"), account, "app")
    assert recorded.received_at == datetime.datetime(2026, 2, 10, 2, 0, tzinfo=datetime.UTC)
    assert recorded.import_batch_id == body["batch"]
    batch = ImportBatch.objects.get(pk=body["batch"])
    assert (batch.source, batch.status, batch.created_count) == ("api", "applied", 1)
    assert AuditEvent.objects.filter(action="lending.import.applied", target_id=str(batch.pk)).count() == 1
    assert IntakeToken.objects.get().last_used_at is not None


def test_a_batch_call_repeated_changes_nothing(client, token, account):
    body = {"payments": [payment("P1", 300), payment("P2", "12.5", channel="bank_transfer")]}
    first = post(client, body, key=token.key)
    assert first.status_code == 200
    assert [item["status"] for item in first.json()["results"]] == ["created", "created"]
    installments = list(Installment.objects.order_by("id").values())

    again = post(client, body, key=token.key)

    assert again.status_code == 200
    assert (again.json()["created"], again.json()["unchanged"]) == (0, 2)
    assert [item["status"] for item in again.json()["results"]] == ["unchanged", "unchanged"]
    assert Payment.objects.count() == 2
    assert Payment.objects.get(external_id="P1").amount == Decimal("300.00")
    assert list(Installment.objects.order_by("id").values()) == installments


# --- Bad calls -------------------------------------------------------------------------------------


def test_bad_items_are_400_with_index_field_value_and_reason_and_nothing_is_recorded(client, token, account):
    body = {
        "payments": [
            payment("P1"),
            payment("P2", amount="-5"),
            payment("P3", account_external_id="A404"),
            payment("P4", received_at="soon"),
            {"external_id": "P5", "account_external_id": "A1", "amount": "1", "channel": "app", "colour": "red"},
            "not an object",
            payment("P1"),
        ]
    }
    response = post(client, body, key=token.key)

    assert response.status_code == 400
    errors = [(e["index"], e["field"], e["value"], e["reason"]) for e in response.json()["errors"]]
    assert errors == [
        (1, "amount", "-5", str(schema.NOT_POSITIVE)),
        (2, "account_external_id", "A404", "No credit account has this external id."),
        (3, "received_at", "soon", str(schema.NOT_DATETIME)),
        (4, "colour", "red", str(services.API_UNKNOWN_FIELD)),
        (4, "received_at", "", str(services.API_MISSING_FIELD)),
        (5, "", "", str(services.API_ITEM_NOT_OBJECT)),
        (6, "external_id", "P1", "Repeats row 1 of this file (the same external_id)."),
    ]
    assert Payment.objects.count() == 0
    batch = ImportBatch.objects.get(pk=response.json()["batch"])
    assert (batch.status, batch.error_count) == ("rejected", 6)
    assert ImportRowError.objects.filter(batch=batch).count() == 7


def test_json_numbers_are_read_exactly_not_as_floats(client, token, account):
    response = post(
        client,
        '{"external_id": "P1", "account_external_id": "A1", "amount": 0.1, '
        '"received_at": "2026-02-10", "channel": "app"}',
        key=token.key,
        raw=True,
    )
    assert response.status_code == 200
    assert Payment.objects.get().amount == Decimal("0.10")
    too_fine = post(client, json.dumps(payment("P2")).replace('"500.00"', "0.123"), key=token.key, raw=True)
    assert too_fine.status_code == 400
    assert too_fine.json()["errors"][0]["reason"] == str(schema.TOO_MANY_DECIMALS)


def test_a_known_payment_with_other_data_is_refused(client, token, account):
    post(client, payment("P1", "100.00"), key=token.key)
    response = post(client, payment("P1", "999.00"), key=token.key)
    assert response.status_code == 400
    [error] = response.json()["errors"]
    assert (error["index"], error["field"], error["value"]) == (0, "amount", "999.00")
    assert Payment.objects.get().amount == Decimal("100.00")


@pytest.mark.parametrize("body", ["not json", "[1, 2]", '{"payments": {"a": 1}}', '"text"'])
def test_a_body_that_is_not_a_payment_or_a_batch_is_400(client, token, body):
    response = post(client, body, key=token.key, raw=True)
    assert response.status_code == 400
    assert response.json()["detail"]
    assert Payment.objects.count() == 0


def test_too_many_payments_in_one_call_is_400(client, token, account, monkeypatch):
    monkeypatch.setattr(services, "API_MAX_ITEMS", 2)
    response = post(client, {"payments": [payment("P1"), payment("P2"), payment("P3")]}, key=token.key)
    assert response.status_code == 400
    assert response.json()["detail"] == str(services.API_TOO_MANY).format(limit=2)
    assert Payment.objects.count() == 0


def test_the_endpoint_needs_no_csrf_token(token, account):
    from django.test import Client

    strict = Client(enforce_csrf_checks=True)
    response = post(strict, payment(), key=token.key)
    assert response.status_code == 200
    assert Payment.objects.count() == 1


def test_a_body_not_in_utf8_is_400(client, token, account):
    body = json.dumps(payment(channel="app"), ensure_ascii=False).replace("P1", "付款1").encode("gbk")
    response = client.post(
        URL, data=body, content_type="application/json", headers={"Authorization": f"Bearer {token.key}"}
    )
    assert response.status_code == 400
    assert Payment.objects.count() == 0
