"""The nightly chain: its ordered steps, each after the one before succeeded, and its record."""


def register() -> None:
    """What this part adds at start-up (navigation, case-page sections, timeline codes, nightly steps)."""
