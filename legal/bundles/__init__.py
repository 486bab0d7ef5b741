"""Legal's bundles: see the modules of this package."""


def register() -> None:
    """What this part adds to the apps on its left at start-up (legal/registry.py)."""
