"""The default message templates (every kind and channel in English and Simplified Chinese), version 1."""


def install_default_templates(apps, *, now) -> None:
    """Install the defaults with the historical models of `apps` (migration 0009)."""
