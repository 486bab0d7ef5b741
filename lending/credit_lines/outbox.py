"""
Delivering the outbox (CoreSystemDelivery) to the core system.

Each due row is claimed by one worker (a conditional update under
`select_for_update(skip_locked=True)`, so two workers never take the same
row), POSTed as signed JSON, and its answer recorded:

- 2xx: delivered;
- 5xx, 408, 425, 429, a timeout or no connection: tried again later,
  base * 2^(attempt-1) seconds on (capped), until the retry budget is spent
  (then failed);
- any other answer (4xx, a redirect): failed at once, with the answer kept.

An account's changes go in the order they were made: a row waits while an
older one of its account is undelivered (pending, delivering or failed).

CORE_SYSTEM_URL may name a folder instead (file:///path, the demo's
default): each change is written there as `<idempotency key>.json`, with
the headers it would have carried, and counts as delivered.

A failed row waits for a manual retry (services.core_delivery_retry). A
worker that dies holding a claim loses it when `claimed_until` passes; the
receiver de-duplicates by the Idempotency-Key header should that row then
reach it twice.
"""

import datetime
import http.client
import json
import logging
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from django.conf import settings
from django.db import transaction
from django.db.models import Exists, F, OuterRef, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.signing import body_signature
from lending.models import CoreSystemDelivery

logger = logging.getLogger(__name__)

Status = CoreSystemDelivery.Status

NOT_CONFIGURED = _("No core system is configured (CORE_SYSTEM_URL): changes wait here until one is.")
FILE_DELIVERY = _("Demo: each change is written as a file to {folder} instead of being sent to a core system.")
# Answers worth asking again: the core system is busy or restarting, not refusing the change.
TRANSIENT_STATUS_CODES = {408, 425, 429}
ERROR_BODY_CHARS = 300
UNDELIVERED = (Status.PENDING, Status.DELIVERING, Status.FAILED)


@dataclass(frozen=True)
class Answer:
    status_code: int | None  # None: no answer at all (refused, timed out)
    text: str

    @property
    def delivered(self) -> bool:
        return self.status_code is not None and 200 <= self.status_code < 300

    @property
    def transient(self) -> bool:
        return self.status_code is None or self.status_code >= 500 or self.status_code in TRANSIENT_STATUS_CODES


def core_system_configured() -> bool:
    return bool(settings.CORE_SYSTEM_URL)


def core_system_folder() -> str:
    """The folder the changes are written to, when CORE_SYSTEM_URL is a file:// URL (else "")."""
    url = urlsplit(settings.CORE_SYSTEM_URL)
    return url.path if url.scheme == "file" else ""


def core_deliveries_deliver(*, now=None, limit: int | None = None, time_budget: float | None = None) -> dict:
    """
    Deliver the due rows, batch after batch, until none is due or the time
    budget (seconds) is spent. Returns the counts of the run.
    """
    counts = {"delivered": 0, "retrying": 0, "failed": 0}
    if not core_system_configured():
        counts["waiting_unconfigured"] = CoreSystemDelivery.objects.filter(status=Status.PENDING).count()
        return counts
    limit = limit or settings.CORE_SYSTEM_BATCH_SIZE
    started = time.monotonic()
    while True:
        batch = deliveries_claim(now=now or timezone.now(), limit=limit)
        for delivery in batch:
            counts[delivery_attempt(delivery, now=now)] += 1
        if len(batch) < limit or (time_budget is not None and time.monotonic() - started > time_budget):
            return counts


def earlier_undelivered():
    """
    An older change of the same account not yet delivered: a row waits behind
    it, so the core system applies an account's changes in the order they were
    made (a restore never overtaken by the freeze it undoes, even one that failed).
    """
    return CoreSystemDelivery.objects.filter(
        account=OuterRef("account_id"), id__lt=OuterRef("id"), status__in=UNDELIVERED
    )


def deliveries_claim(*, now: datetime.datetime, limit: int) -> list[CoreSystemDelivery]:
    """Take up to `limit` due rows for this worker alone (the claim counts as an attempt)."""
    due = Q(status=Status.PENDING, next_attempt_at__lte=now) | Q(status=Status.DELIVERING, claimed_until__lt=now)
    due &= ~Q(Exists(earlier_undelivered()))
    token = uuid.uuid4().hex
    with transaction.atomic():
        ids = list(
            CoreSystemDelivery.objects.filter(due)
            .order_by("next_attempt_at", "id")
            .select_for_update(skip_locked=True)
            .values_list("id", flat=True)[:limit]
        )
        if not ids:
            return []
        # The condition again: on a database without row locks (SQLite) it alone keeps a row to one worker.
        CoreSystemDelivery.objects.filter(due, id__in=ids).update(
            status=Status.DELIVERING,
            claim_token=token,
            claimed_until=now + datetime.timedelta(seconds=_claim_seconds()),
            attempts=F("attempts") + 1,
        )
    return list(CoreSystemDelivery.objects.filter(claim_token=token).order_by("next_attempt_at", "id"))


def delivery_attempt(delivery: CoreSystemDelivery, *, now=None) -> str:
    """POST one claimed row and record the answer; returns "delivered", "retrying" or "failed"."""
    answer = core_system_post(payload=delivery.payload, idempotency_key=delivery.idempotency_key)
    now = now or timezone.now()
    mine = CoreSystemDelivery.objects.filter(pk=delivery.pk, claim_token=delivery.claim_token)
    error = "" if answer.delivered else answer.text[:500]
    if answer.delivered:
        outcome, fields = "delivered", {"status": Status.DELIVERED, "delivered_at": now}
    elif answer.transient and delivery.attempts < settings.CORE_SYSTEM_MAX_ATTEMPTS:
        outcome = "retrying"
        fields = {"status": Status.PENDING, "next_attempt_at": now + retry_delay(delivery.attempts)}
    else:
        outcome, fields = "failed", {"status": Status.FAILED}
    if outcome != "delivered":
        logger.warning("Core system: delivery %s (attempt %s) %s: %s", delivery.pk, delivery.attempts, outcome, error)
    mine.update(last_status_code=answer.status_code, last_error=error, claimed_until=None, claim_token="", **fields)
    return outcome


def retry_delay(attempts: int) -> datetime.timedelta:
    """Exponential backoff after the `attempts`-th attempt: base, 2·base, 4·base … capped."""
    seconds = settings.CORE_SYSTEM_RETRY_BASE_SECONDS * 2 ** max(attempts - 1, 0)
    return datetime.timedelta(seconds=min(seconds, settings.CORE_SYSTEM_RETRY_MAX_SECONDS))


def core_system_post(*, payload: dict, idempotency_key: str) -> Answer:
    """One signed POST of `payload` to CORE_SYSTEM_URL; never raises for a network or HTTP failure."""
    body = json.dumps(payload, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()
    timestamp = int(time.time())
    headers = {
        "Content-Type": "application/json; charset=utf-8",
        "Idempotency-Key": idempotency_key,
        "X-Arrears-Timestamp": str(timestamp),
        "X-Arrears-Signature": body_signature(secret=settings.CORE_SYSTEM_SECRET, timestamp=timestamp, body=body),
        "User-Agent": "Arrears core-system outbox",
    }
    url = urlsplit(settings.CORE_SYSTEM_URL)
    if url.scheme == "file":
        return _file_write(Path(url.path), body=body, headers=headers, idempotency_key=idempotency_key)
    connection_class = http.client.HTTPSConnection if url.scheme == "https" else http.client.HTTPConnection
    connection = connection_class(url.hostname, url.port, timeout=settings.CORE_SYSTEM_CONNECT_TIMEOUT)
    try:
        connection.connect()
        connection.sock.settimeout(settings.CORE_SYSTEM_TIMEOUT)
        path = (url.path or "/") + (f"?{url.query}" if url.query else "")
        connection.request("POST", path, body=body, headers=headers)
        response = connection.getresponse()
        text = response.read(ERROR_BODY_CHARS).decode("utf-8", "replace")
        return Answer(response.status, f"HTTP {response.status} {response.reason}: {text}".strip())
    except TimeoutError:
        return Answer(None, CoreSystemDelivery.ERROR_TIMEOUT)
    except (OSError, http.client.HTTPException) as error:
        return Answer(None, f"{type(error).__name__}: {error}"[:500])
    finally:
        connection.close()


def _file_write(folder: Path, *, body: bytes, headers: dict, idempotency_key: str) -> Answer:
    """The demo's core system: one JSON file a change (written again, the same file: idempotent)."""
    try:
        folder.mkdir(parents=True, exist_ok=True)
        target = folder / f"{idempotency_key}.json"
        partial = target.with_suffix(".part")
        document = {"headers": headers, "body": json.loads(body)}
        partial.write_text(json.dumps(document, indent=2, ensure_ascii=False), encoding="utf-8")
        partial.replace(target)  # whole or not at all
    except OSError as error:
        return Answer(None, f"{type(error).__name__}: {error}"[:500])
    return Answer(200, "")


def _claim_seconds() -> float:
    # Long enough for the slowest answer we wait for, so a live worker keeps its row.
    return max(60.0, 2 * (settings.CORE_SYSTEM_CONNECT_TIMEOUT + settings.CORE_SYSTEM_TIMEOUT))
