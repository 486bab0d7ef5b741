"""
Which arm of its segment's experiment a case is in: a stable hash of the
segment and the case, so a case never switches arm while the experiment
runs, whatever the order or the day the cases are evaluated in, and the
challenger's share is what the manager set (to within chance).
"""

import hashlib

from collection.models import Arm


def arm_bucket(*, segment_id: int, case_id: int) -> int:
    """The case's place 0-99 in the segment's split; the same for ever."""
    digest = hashlib.sha256(f"segment:{segment_id}:case:{case_id}".encode()).digest()
    return int.from_bytes(digest[:8], "big") % 100


def arm_for(*, segment_id: int, case_id: int, challenger_share: int) -> str:
    """The challenger takes the cases whose place is below its share; the champion the rest."""
    if challenger_share <= 0:
        return Arm.CHAMPION
    return Arm.CHALLENGER if arm_bucket(segment_id=segment_id, case_id=case_id) < challenger_share else Arm.CHAMPION


def register() -> None:
    """What champion/challenger adds at start-up: its page in the navigation, how its audit events read."""
    from django.utils.translation import gettext_lazy as _

    from accounts.audit_text import audit_sentence_register
    from accounts.navigation import NavItem, nav_register
    from accounts.permissions import Capability
    from collection.strategies import experiments

    nav_register(
        NavItem(
            "experiments",
            _("Champion/challenger"),
            "collection:experiment_list",
            Capability.CONFIGURE_AUTOMATION,
            order=82,  # after Segments (80) and Strategies (81)
            group="automation",
            description=_(
                "A challenger strategy tried on a share of a segment's cases, its results beside the champion's."
            ),
        )
    )
    audit_sentence_register(
        experiments.STARTED,
        _("Segment %(target)s: %(challenger_name)s tried against %(champion_name)s on %(share)s%% of new cases"),
    )
    audit_sentence_register(experiments.STOPPED, _("Segment %(target)s: the experiment of %(challenger_name)s stopped"))
    audit_sentence_register(
        experiments.PROMOTED,
        _("Segment %(target)s: %(challenger_name)s promoted in place of %(champion_name)s"),
    )
