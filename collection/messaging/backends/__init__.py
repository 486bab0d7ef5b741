"""
Channel backends: how a rendered message leaves, one interface for every channel.

    backend_for("sms").send(outgoing)  -> Delivery (the provider's id)
                                          or TransientSendError (retry later)
                                          or PermanentSendError (failed for good)

Which backend serves which channel is `settings.ARREARS_MESSAGE_BACKENDS`
(channel → dotted path); each backend reads its own options from
`settings.ARREARS_MESSAGE_BACKEND_OPTIONS[<its name>]` (docs/messages.md).
A backend knows nothing of cases or the guard: it is handed the recipient,
the text and the idempotency key, and must make a resend with the same key
harmless (a provider header, a file named by the key).
"""

from dataclasses import dataclass
from functools import cache

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.utils.module_loading import import_string


@dataclass(frozen=True)
class Outgoing:
    """What a backend sends: everything rendered, nothing to look up."""

    idempotency_key: str
    channel: str
    recipient: str
    body: str
    subject: str = ""
    language: str = ""


@dataclass(frozen=True)
class Delivery:
    """The backend's answer to an accepted message: the provider's id (for its delivery reports)."""

    provider_message_id: str
    # Some channels know at once that the message arrived (a file, an inbox).
    delivered: bool = False


class SendError(Exception):
    """A message the backend could not send; `code` is stored on the message, `detail` is the provider's word."""

    def __init__(self, code: str, detail: str = ""):
        super().__init__(f"{code}: {detail}" if detail else code)
        self.code = code
        self.detail = detail[:500]


class TransientSendError(SendError):
    """Worth trying again later: a timeout, a provider's 5xx, a connection refused."""


class PermanentSendError(SendError):
    """Trying again would fail the same way: the provider refused the message (4xx), a bad address."""


class MessageBackend:
    """The interface. `options` are the backend's own settings (ARREARS_MESSAGE_BACKEND_OPTIONS)."""

    name = ""

    def __init__(self, options: dict | None = None):
        self.options = options or {}

    def send(self, outgoing: Outgoing) -> Delivery:
        raise NotImplementedError


@cache
def _backend_class(path: str):
    try:
        return import_string(path)
    except ImportError as exc:
        raise ImproperlyConfigured(f"ARREARS_MESSAGE_BACKENDS names {path!r}, which cannot be imported: {exc}") from exc


def backend_for(channel: str) -> MessageBackend:
    """The configured backend of `channel` (sms, email, in_app), with its options."""
    paths = settings.ARREARS_MESSAGE_BACKENDS
    if channel not in paths:
        raise ImproperlyConfigured(f"ARREARS_MESSAGE_BACKENDS has no backend for the channel {channel!r}")
    backend_class = _backend_class(paths[channel])
    options = settings.ARREARS_MESSAGE_BACKEND_OPTIONS.get(backend_class.name, {})
    return backend_class(options)
