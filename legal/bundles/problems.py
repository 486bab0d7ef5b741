"""
Why a bundle build failed: a code stored on the bundle (`error`, e.g.
"unreadable:exhibit:3"), and the sentence it reads as in the reader's language.
"""

from django.db import models
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _


class Problem(models.TextChoices):
    MISSING = "missing", _("A stored file is missing")
    ALTERED = "altered", _("A stored file no longer matches its SHA-256")
    UNREADABLE = "unreadable", _("A stored file is not a readable PDF or image")
    UNEXPECTED = "unexpected", _("The bundle could not be built")
    INTERRUPTED = "interrupted", _("The build stopped before it finished; build the bundle again")


class BundleProblem(Exception):
    """A known reason the build stops; `code` is what the bundle stores."""

    def __init__(self, problem: str, *, kind: str = "", number: int | None = None):
        self.problem = problem
        self.kind = kind
        self.number = number
        super().__init__(self.code)

    @property
    def code(self) -> str:
        return f"{self.problem}:{self.kind}:{self.number}" if self.kind else str(self.problem)


def problem_text(code: str) -> str:
    """The stored code as a sentence: "altered:exhibit:3" → "Exhibit 3: A stored file no longer matches …"."""
    if not code:
        return ""
    problem, _sep, rest = code.partition(":")
    kind, _sep, number = rest.partition(":")
    try:
        sentence = str(Problem(problem).label)
    except ValueError:
        sentence = str(Problem.UNEXPECTED.label)
    if kind == "exhibit":
        return gettext("Exhibit %(number)s: %(problem)s.") % {"number": number, "problem": sentence}
    if kind == "letter":
        return gettext("Letter %(number)s: %(problem)s.") % {"number": number, "problem": sentence}
    return sentence + "."
