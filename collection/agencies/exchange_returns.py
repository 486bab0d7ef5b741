"""See collection/agencies/exchange.py."""


def register() -> None:
    """Filled in below."""
