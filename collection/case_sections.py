"""
Sections that apps to the right of collection add to the case page (legal's
limitation period, letters and litigation file), registered in their
AppConfig.ready(), so collection shows them without importing those apps.

A section is a template and a function that returns its context for a
(request, case); it returns None when the section has nothing to show this
user, and the page leaves it out.
"""

from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class CaseSection:
    key: str
    template: str
    context: Callable  # (request, case) -> dict | None
    order: int = 100


_sections: dict[str, CaseSection] = {}


def case_section_register(section: CaseSection) -> None:
    _sections[section.key] = section


def case_sections_for(request, case) -> list[dict]:
    """The registered sections to draw for this user and case: [{"key", "template", "context"}]."""
    drawn = []
    for section in sorted(_sections.values(), key=lambda section: (section.order, section.key)):
        context = section.context(request, case)
        if context is not None:
            drawn.append({"key": section.key, "template": section.template, "context": context})
    return drawn
