"""Segments, strategies and their steps, the action registry, champion/challenger."""


def register() -> None:
    """What this part adds at start-up (navigation, case-page sections, timeline codes, nightly steps)."""
