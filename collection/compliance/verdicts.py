"""
What the guard answers: a `Verdict` (allowed or refused, the rule, the
sentence, the short label), and `ContactRefused`, the error a `..._require`
raises with a refused verdict. `refusal` builds a refused verdict from a
rule and its sentences (rules.py), filling in the values.
"""

import datetime
from dataclasses import dataclass

from collection.errors import CollectionError


@dataclass(frozen=True)
class Verdict:
    """
    Allowed or refused. `rule` names the refusing rule (a `Rule` code); an
    allowed verdict may name a condition to obey (`third_party_locate_only`).
    `reason` is a full sentence for the user, `label` the short live verdict.
    """

    allowed: bool
    rule: str = ""
    reason: str = ""
    label: str = ""

    def __bool__(self):
        return self.allowed


class ContactRefused(CollectionError):
    """The compliance guard refused a contact; the message is the verdict's reason."""

    def __init__(self, verdict: Verdict):
        super().__init__(verdict.reason)
        self.verdict = verdict


def refusal(rule, reason, label, **values) -> Verdict:
    """A refused verdict naming `rule`, its reason and label filled in with `values`."""
    return Verdict(allowed=False, rule=str(rule), reason=fill(reason, values), label=fill(label, values))


def fill(text, values) -> str:
    # `%` on the lazy text itself, so that a plural (ngettext_lazy) picks its form from the values.
    return str(text % values) if values else str(text)


def hhmm(value: datetime.time) -> str:
    return value.strftime("%H:%M")
