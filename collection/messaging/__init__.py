"""Messages to borrowers: templates, rendering with the opt-out line, channel backends, sending (docs/messages.md)."""


def register() -> None:
    """What this part adds at start-up (navigation, case-page sections, timeline codes, nightly steps)."""
