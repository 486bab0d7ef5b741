"""
POST /api/intake/payments/: token authentication, one payment or a batch, all
or nothing, idempotent; strict about what it reads (the body's declared
charset, amounts as plain decimals, JSON numbers too, times with their zone
and not in the future), and JSON whatever goes wrong (413, 404, 405, 500).
"""

import datetime
import hashlib
import json
from decimal import Decimal

import pytest
from django.test import Client
from django.urls import reverse

from accounts.models import AuditEvent
from lending.intake import middleware, payments_api, reader, schema, services
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
        '"received_at": "2026-02-10T10:00+08:00", "channel": "app"}',
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
    monkeypatch.setattr(payments_api, "API_MAX_ITEMS", 2)  # the limit is read where it lives
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


# --- Strict reading: charset, numbers, times ------------------------------------------------


def send(client, body: bytes | str, token, *, content_type="application/json"):
    """Text is encoded by the test client in the content type's charset (UTF-8 by default); bytes go as they are."""
    return client.post(URL, data=body, content_type=content_type, headers={"Authorization": f"Bearer {token.key}"})


def one(amount='"500.00"', received_at="2026-02-10T10:00:00+08:00", external_id="P1"):
    return (
        f'{{"external_id": "{external_id}", "account_external_id": "A1", "amount": {amount}, '
        f'"received_at": "{received_at}", "channel": "app"}}'
    )


# --- Encodings ------------------------------------------------------------------------------


def test_a_gbk_body_declared_gb18030_is_read(client, token, account):
    response = send(client, one(external_id="付款1"), token, content_type="application/json; charset=GB18030")

    assert response.status_code == 200, response.json()
    assert Payment.objects.get().external_id == "付款1"
    assert ImportBatch.objects.get().encoding == "gb18030"


def test_a_gbk_body_without_a_charset_is_refused_naming_the_byte(client, token, account):
    body = one(external_id="付款1").encode("gbk")

    response = send(client, body, token)

    assert response.status_code == 400
    offset = body.index("付".encode("gbk"))
    assert response.json() == {"detail": str(reader.BODY_NOT_DECODABLE).format(encoding="UTF-8", offset=offset)}
    assert Payment.objects.count() == 0


def test_an_unknown_charset_is_415(client, token, account):
    response = send(client, one(), token, content_type="application/json; charset=latin-1")

    assert response.status_code == 415
    assert "latin-1" in response.json()["detail"]
    assert Payment.objects.count() == 0


# --- Numbers ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("amount", "reason"),
    [
        ("1e3", schema.NOT_DECIMAL),
        ("1E+3", schema.NOT_DECIMAL),
        ("5.000", schema.TOO_MANY_DECIMALS),
        ("-0.00", schema.NOT_POSITIVE),
        ('"１２３４"', schema.NOT_DECIMAL),
        ('"1_000"', schema.NOT_DECIMAL),
        ('"+5"', schema.NOT_DECIMAL),
        ('"1e3"', schema.NOT_DECIMAL),
        ('"-0.00"', schema.NOT_POSITIVE),
    ],
)
def test_amounts_other_than_plain_decimals_are_refused(client, token, account, amount, reason):
    response = send(client, one(amount=amount), token)

    assert response.status_code == 400, response.json()
    [error] = response.json()["errors"]
    assert (error["field"], error["reason"]) == ("amount", str(reason))
    assert Payment.objects.count() == 0


@pytest.mark.parametrize("constant", ["NaN", "Infinity", "-Infinity"])
def test_json_constants_that_are_not_json_are_refused(client, token, account, constant):
    response = send(client, one(amount=constant), token)

    assert response.status_code == 400
    assert constant in response.json()["detail"]
    assert Payment.objects.count() == 0


@pytest.mark.parametrize("amount", ["500", "500.5", '"500.50"'])
def test_plain_json_numbers_and_strings_are_amounts(client, token, account, amount):
    response = send(client, one(amount=amount), token)

    assert response.status_code == 200, response.json()
    assert str(Payment.objects.get().amount) in {"500.00", "500.50"}


# --- Dates ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("received_at", "reason"),
    [
        ("20261130", schema.NOT_DATETIME),
        ("2026-W05-2", schema.NOT_DATETIME),
        ("2026-02-10", schema.NOT_DATETIME),
        ("2026-02-10T10:00:00", schema.NOT_DATETIME),
        ("2026-02-10 10:00:00+08:00", schema.NOT_DATETIME),
        ("2026-02-10T10:00:00.123+08:00", schema.NOT_DATETIME),
        ("２０２６-02-10T10:00+08:00", schema.NOT_DATETIME),
        ("2099-02-10T10:00:00+08:00", schema.DATETIME_IN_FUTURE),
    ],
)
def test_received_at_must_be_a_zoned_iso_time_not_in_the_future(client, token, account, received_at, reason):
    response = send(client, one(received_at=received_at), token)

    assert response.status_code == 400
    [error] = response.json()["errors"]
    assert (error["field"], error["reason"]) == ("received_at", str(reason))


def test_a_time_a_few_minutes_ahead_is_clock_skew_and_accepted(client, token, account, time_machine):
    import datetime

    time_machine.move_to(datetime.datetime(2026, 3, 1, 2, 0, tzinfo=datetime.UTC), tick=False)
    ahead = send(client, one(received_at="2026-03-01T10:09:00+08:00"), token)
    too_far = send(client, one(received_at="2026-03-01T02:11:00Z", external_id="P2"), token)

    assert ahead.status_code == 200, ahead.json()
    assert too_far.status_code == 400
    assert too_far.json()["errors"][0]["reason"] == str(schema.DATETIME_IN_FUTURE)


# --- JSON errors only -------------------------------------------------------------------------


def test_a_body_over_the_limit_is_413_in_json(client, token, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000

    response = send(client, json.dumps({"payments": [json.loads(one())] * 20}), token)

    assert response.status_code == 413
    assert response["Content-Type"] == "application/json"
    assert response.json() == {"detail": str(middleware.API_BODY_TOO_LARGE).format(limit=1000)}
    assert ImportBatch.objects.count() == 0


def test_an_unknown_address_in_the_api_is_404_in_json(client):
    response = client.get("/api/intake/nothing-here/")

    assert response.status_code == 404
    assert response.json() == {"detail": str(middleware.API_ERROR_DETAILS[404])}


def test_a_wrong_method_is_405_in_json(client):
    response = client.put(URL, data="{}", content_type="application/json")

    assert response.status_code == 405
    assert response["Allow"] == "POST"
    assert response.json()["detail"]


def test_an_uncaught_error_is_500_in_json(token, account, monkeypatch):
    def explode(**kwargs):
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(services, "intake_payments_receive", explode)
    client = Client(raise_request_exception=False)

    response = send(client, one(), token)

    assert response.status_code == 500
    assert response["Content-Type"] == "application/json"
    assert response.json() == {"detail": str(middleware.API_ERROR_DETAILS[500])}
    assert "disk on fire" not in response.text


def test_pages_outside_the_api_keep_their_html_errors(client, admin_user):
    client.force_login(admin_user)
    response = client.get("/imports/999999/")
    assert response.status_code == 404
    assert "application/json" not in response["Content-Type"]
