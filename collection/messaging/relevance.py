"""
Whether a queued message still has a reason to go, asked again at send time.

The part that queued it registers the check for its origin at start-up:
reminders ("installment already paid"), strategies ("case closed", "step no
longer applies"). A check takes the message and returns a reason code (the
message is then suppressed with that code) or None (it goes).
"""

from collections.abc import Callable

RelevanceCheck = Callable[[object], str | None]

RELEVANCE_CHECKS: dict[str, list[RelevanceCheck]] = {}


def relevance_register(origin: str, check: RelevanceCheck) -> None:
    """Add `check` for messages of `origin` (once: registering the same function twice keeps one)."""
    checks = RELEVANCE_CHECKS.setdefault(str(origin), [])
    if check not in checks:
        checks.append(check)


def irrelevance_reason(message) -> str | None:
    """The first reason code a registered check gives for `message`, or None."""
    for check in RELEVANCE_CHECKS.get(str(message.origin), ()):
        reason = check(message)
        if reason:
            return str(reason)
    return None
