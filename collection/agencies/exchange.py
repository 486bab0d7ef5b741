"""See collection/agencies/__init__.py."""


def register() -> None:
    """What this module registers when collection starts (navigation, strategy actions, nightly steps...)."""
