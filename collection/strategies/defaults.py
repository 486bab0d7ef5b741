"""The catch-all segment and its default strategy, so every open case is in a segment from the start."""


def install_default_segment(apps, *, now) -> None:
    """Install the catch-all segment with the historical models of `apps` (migration 0009)."""
