"""
SMS through a provider's HTTP API.

Options (ARREARS_MESSAGE_BACKEND_OPTIONS["sms_http"], from the environment):

    url                  the provider's send endpoint (POST, JSON body)
    username, password   HTTP basic credentials, or
    token                a bearer token (Authorization: Bearer ...)
    timeout              seconds to wait for the answer (connect and read)
    payload              provider field → our field: recipient, body, idempotency_key,
                         language, sender, callback_url (default below)
    extra                fields sent as they are (an account id, a route)
    id_field             where the provider's message id is in its JSON answer ("id", "data.id")
    idempotency_header   the header that carries the idempotency key (blank: none)

A 2xx answer is sent, with the provider's id; a 5xx, a 408, a 429, a
timeout or an unreachable host is transient (tried again later); any other
4xx is permanent, with the provider's answer kept for support. The
idempotency key travels in a header so that a provider that saw the first
try de-duplicates the retry.
"""

import base64
import json
import socket
import urllib.error
import urllib.request

from collection.messaging.backends import Delivery, MessageBackend, Outgoing, PermanentSendError, TransientSendError

DEFAULT_PAYLOAD = {"to": "recipient", "text": "body", "reference": "idempotency_key"}
DEFAULT_TIMEOUT = 10.0
# 4xx answers that say "later", not "never".
TRANSIENT_CLIENT_STATUSES = frozenset({408, 425, 429})


def _dig(data, path: str):
    for part in path.split("."):
        if not isinstance(data, dict) or part not in data:
            return None
        data = data[part]
    return data


class HttpSmsBackend(MessageBackend):
    name = "sms_http"

    def payload(self, outgoing: Outgoing) -> dict:
        ours = {
            "recipient": outgoing.recipient,
            "body": outgoing.body,
            "idempotency_key": outgoing.idempotency_key,
            "language": outgoing.language,
            "sender": self.options.get("sender", ""),
            "callback_url": self.options.get("callback_url", ""),
        }
        mapping = self.options.get("payload") or DEFAULT_PAYLOAD
        body = dict(self.options.get("extra") or {})
        body.update({theirs: ours[field] for theirs, field in mapping.items()})
        return body

    def headers(self, outgoing: Outgoing) -> dict:
        headers = {"Content-Type": "application/json; charset=utf-8", "Accept": "application/json"}
        header = self.options.get("idempotency_header", "Idempotency-Key")
        if header:
            headers[header] = outgoing.idempotency_key
        if self.options.get("token"):
            headers["Authorization"] = f"Bearer {self.options['token']}"
        elif self.options.get("username"):
            pair = f"{self.options['username']}:{self.options.get('password', '')}".encode()
            headers["Authorization"] = "Basic " + base64.b64encode(pair).decode("ascii")
        return headers

    def send(self, outgoing: Outgoing) -> Delivery:
        url = self.options.get("url")
        if not url:
            raise PermanentSendError("not_configured", "the SMS provider's url is not set (SMS_HTTP_URL)")
        if not url.startswith(("https://", "http://")):
            raise PermanentSendError("not_configured", "the SMS provider's url must be http:// or https://")
        request = urllib.request.Request(  # noqa: S310 (the configured provider URL)
            url,
            data=json.dumps(self.payload(outgoing), ensure_ascii=False).encode("utf-8"),
            headers=self.headers(outgoing),
            method="POST",
        )
        timeout = float(self.options.get("timeout") or DEFAULT_TIMEOUT)
        try:
            with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310
                answer = response.read(64 * 1024)
        except urllib.error.HTTPError as exc:
            detail = exc.read(2000).decode("utf-8", "replace")
            code = f"provider_{exc.code}"
            if exc.code >= 500 or exc.code in TRANSIENT_CLIENT_STATUSES:
                raise TransientSendError(code, detail) from exc
            raise PermanentSendError(code, detail) from exc
        except TimeoutError as exc:
            raise TransientSendError("timeout", f"no answer within {timeout:g} s") from exc
        except urllib.error.URLError as exc:
            if isinstance(exc.reason, (TimeoutError, socket.timeout)):
                raise TransientSendError("timeout", f"no answer within {timeout:g} s") from exc
            raise TransientSendError("unreachable", str(exc.reason)) from exc
        except OSError as exc:
            raise TransientSendError("unreachable", str(exc)) from exc
        try:
            data = json.loads(answer.decode("utf-8") or "{}")
        except (UnicodeDecodeError, json.JSONDecodeError):
            data = {}
        provider_id = _dig(data, self.options.get("id_field") or "id")
        return Delivery(provider_message_id=str(provider_id) if provider_id is not None else "")


class HttpInAppBackend(HttpSmsBackend):
    """In-app messages to the lender's app over the same kind of HTTP API (options: "in_app_http")."""

    name = "in_app_http"
