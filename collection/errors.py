"""The one exception collection's services raise for a refused change; views show its message."""


class CollectionError(Exception):
    """A rule of collection refused the change; the message is for the user, `field` names the form field."""

    def __init__(self, message, *, field: str = ""):
        super().__init__(str(message))
        self.field = field
