"""
Signed HTTP bodies between Arrears and the systems it talks to (the SMS
provider's delivery callbacks, the core system's credit-line outbox): an
HMAC-SHA256 over the timestamp and the body, with a shared secret. A
signature is checked in constant time, and a timestamp older than `max_age`
seconds (or from the future beyond it) is refused, so a captured request
cannot be replayed later; the receiver also refuses the same body twice.
"""

import hashlib
import hmac
import time


def body_signature(*, secret: str, timestamp: int, body: bytes) -> str:
    """The hex HMAC-SHA256 of `<timestamp>.<body>` under `secret`."""
    message = str(int(timestamp)).encode() + b"." + body
    return hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()


def signature_valid(*, secret: str, timestamp: str | int, body: bytes, signature: str, max_age: int = 300) -> bool:
    """Whether `signature` signs `body` at `timestamp` under `secret`, and the timestamp is fresh."""
    try:
        moment = int(timestamp)
    except (TypeError, ValueError):
        return False
    if not secret or abs(time.time() - moment) > max_age:
        return False
    expected = body_signature(secret=secret, timestamp=moment, body=body)
    return hmac.compare_digest(expected, str(signature or ""))
