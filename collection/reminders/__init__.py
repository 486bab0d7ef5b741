"""Reminders before and after the due date: each product's schedule, queued set-based, sent in allowed hours."""


def register() -> None:
    """What this part adds at start-up (navigation, case-page sections, timeline codes, nightly steps)."""
