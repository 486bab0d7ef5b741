"""The default reminder schedule every product without its own follows."""


def install_default_schedule(apps) -> None:
    """Install the default schedule with the historical models of `apps` (migration 0009)."""
