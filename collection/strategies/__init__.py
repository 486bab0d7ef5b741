"""
Segments, strategies and their steps, the action registry, champion/challenger
(docs/strategies.md). `segments.py` puts every open case in one segment,
`engine.py` runs the night's due steps set-based, `actions.py` is the
registry of what a step can do (`builtin.py` collection's own actions; legal
registers its letters and referrals from legal/strategy_actions.py),
`services.py` the manager's edits (a strategy edit saves a new version).
"""


def strategies_nightly(on) -> dict:
    """The nightly chain's "strategies" step: every open case into its segment, then the due steps."""
    from collection.strategies.engine import strategies_run
    from collection.strategies.segments import segments_assign

    counts = segments_assign(on=on)
    counts.update(strategies_run(on=on))
    return counts


def strategy_message_relevance(message) -> str | None:
    """
    Part A asks this before sending a message a strategy step queued: a reason
    code when the message no longer applies (the case closed, or it left the
    strategy version that queued it, or a promise now pauses it), else None.
    """
    from collection.models import CaseStatus, CaseStrategy

    if message.case_id is None:
        return None
    state = (
        CaseStrategy.objects.filter(case_id=message.case_id)
        .values_list("case__status", "strategy_version_id", "paused_by")
        .first()
    )
    if state is None:
        return None
    status, version_id, paused_by = state
    if status == CaseStatus.CLOSED:
        return "case_closed"
    step_version = getattr(getattr(message, "strategy_step", None), "version_id", None)
    if step_version is not None and version_id != step_version:
        return "step_no_longer_applies"
    if paused_by:
        return f"paused_{paused_by}"
    return None


def _relevance_hook():
    """Part A's `relevance_register`, wherever it lives, or None while messaging does not have it."""
    import importlib

    for module in ("collection.messaging.services", "collection.messaging.relevance", "collection.messaging"):
        try:
            found = getattr(importlib.import_module(module), "relevance_register", None)
        except ImportError:
            continue
        if found is not None:
            return found
    return None


def register() -> None:
    """What this part adds at start-up (navigation, case-page sections, timeline codes, nightly steps)."""
    from django.utils.translation import gettext_lazy as _

    from accounts.navigation import NavItem, nav_register
    from accounts.permissions import Capability
    from collection.case_sections import CaseSection, case_section_register
    from collection.models import EventKind, MessageOrigin
    from collection.nightly.steps import NightlyStepSpec, nightly_step_register
    from collection.strategies import (
        builtin,
        tasks,  # noqa: F401 (registers the Run now task)
    )
    from collection.strategies.engine import STEP_DONE_CODE, STEP_REFUSED_CODE
    from collection.strategies.texts import step_event_text
    from collection.timeline import event_text_register

    builtin.register()
    nav_register(
        NavItem(
            "segments",
            _("Segments"),
            "collection:segment_list",
            Capability.CONFIGURE_AUTOMATION,
            order=80,
            group="automation",
            description=_("Which cases get which treatment: conditions tried in order, the first match wins."),
        )
    )
    nav_register(
        NavItem(
            "strategies",
            _("Strategies"),
            "collection:strategy_list",
            Capability.CONFIGURE_AUTOMATION,
            order=81,
            group="automation",
            description=_(
                "The steps each segment's cases go through by days past due: messages, calls, visits, letters, legal."
            ),
        )
    )
    for kind in (
        EventKind.STATUS,
        EventKind.MESSAGE,
        EventKind.ASSIGNMENT,
        EventKind.VISIT,
        EventKind.STAGE,
        EventKind.ACCOUNT,
        EventKind.LETTER,
    ):
        event_text_register(kind, STEP_DONE_CODE, step_event_text)
        event_text_register(kind, STEP_REFUSED_CODE, step_event_text)

    from collection.strategies.case_section import case_strategy_section

    case_section_register(
        CaseSection(
            key="strategy",
            template="collection/strategies/_case_section.html",
            context=case_strategy_section,
            order=30,
        )
    )
    nightly_step_register(
        NightlyStepSpec(name="strategies", label=_("Segments and strategies"), order=30, run=strategies_nightly)
    )
    relevance_register = _relevance_hook()
    if relevance_register is not None:
        relevance_register(MessageOrigin.STRATEGY, strategy_message_relevance)
