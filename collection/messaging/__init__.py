"""Messages to borrowers: templates, rendering with the opt-out line, channel backends, sending (docs/messages.md)."""


def register() -> None:
    """What this part adds at start-up (navigation, case-page sections, timeline codes, nightly steps)."""
    # The worker finds the task here: autodiscovery reads only each app's own tasks.py.
    from collection.messaging import tasks  # noqa: F401
