"""The one exception the intake's writes raise: a rule refused the request, and the message says why to the user."""


class IntakeError(Exception):
    """An intake rule refused the request; the message is for the user."""
