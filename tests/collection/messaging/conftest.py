"""Fixtures of the message tests: templates for the case's messages, a US case, the files the demo backends write."""

import json

import pytest

from collection.models import MessageKind
from tests.collection.factories import PortfolioFactory, case_in_arrears
from tests.collection.messaging.factories import template_with_text

SMS_TEXT = "{{ borrower_name }}, {{ amount_due|money(currency) }} is overdue on {{ reference }}."


@pytest.fixture
def sms_template(db):
    template_with_text(channel="sms", kind=MessageKind.OVERDUE_REMINDER, language="zh-hans", body=SMS_TEXT)
    return template_with_text(channel="sms", kind=MessageKind.OVERDUE_REMINDER, language="en", body=SMS_TEXT)


@pytest.fixture
def us_case(collector):
    portfolio = PortfolioFactory(code="us", name="US cards", jurisdiction="us", is_default=False)
    case = case_in_arrears(collector=collector, days_past_due=20, portfolio=portfolio)
    borrower = case.borrower
    borrower.name, borrower.time_zone, borrower.language = "John Smith", "America/New_York", "en"
    borrower.province, borrower.city = "NY", "Albany"
    borrower.save(update_fields=["name", "time_zone", "language", "province", "city"])
    # A New York mobile (212), so every zone the borrower may be in is New York's.
    borrower.contact_points.update(value="2125550123", number_e164="+12125550123")
    return case


@pytest.fixture
def sent_files(settings):
    """The JSON files the SMS file backend wrote, by idempotency key."""
    folder = settings.MESSAGES_DIR

    def read(subfolder="sms"):
        path = folder / subfolder
        if not path.exists():
            return {}
        return {
            record["idempotency_key"]: record
            for record in (json.loads(file.read_text(encoding="utf-8")) for file in sorted(path.glob("*.json")))
        }

    return read


@pytest.fixture(autouse=True)
def _messages_dir(settings, tmp_path):
    settings.MESSAGES_DIR = tmp_path / "messages"
    options = {**settings.ARREARS_MESSAGE_BACKEND_OPTIONS}
    for name in ("sms_files", "in_app_files", "files"):
        options[name] = {"folder": str(settings.MESSAGES_DIR)}
    settings.ARREARS_MESSAGE_BACKEND_OPTIONS = options
    assert settings.ARREARS_MESSAGE_BACKENDS["sms"].endswith("SmsFileBackend")
