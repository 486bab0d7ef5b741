"""The nightly chain: its ordered steps, each after the one before succeeded, and its record."""


def register() -> None:
    """What this part adds at start-up: the page in the navigation, the built-in steps, their counts' labels."""
    from django.utils.translation import gettext_lazy as _

    from accounts.audit_text import audit_sentence_register
    from accounts.navigation import NavItem, nav_register
    from accounts.permissions import Capability
    from collection.nightly import builtin
    from collection.nightly.chain import AUDIT_STARTED
    from collection.nightly.display import nightly_started_sentence
    from collection.nightly.steps import NightlyStepSpec, nightly_count_labels_register, nightly_step_register

    nav_register(
        NavItem(
            "nightly_runs",
            _("Nightly runs"),
            "collection:nightly_run_list",
            Capability.VIEW_NIGHTLY_RUNS,
            order=90,
            group="automation",
            description=_("Each night's chain: its steps in order, their counts and any failure."),
        )
    )
    nightly_step_register(
        NightlyStepSpec("lending", _("Lending: days past due, buckets, snapshots"), 10, builtin.lending_step)
    )
    nightly_step_register(
        NightlyStepSpec(
            "lifecycle", _("Collection lifecycle: cases, promises, stages, assignment"), 20, builtin.lifecycle_step
        )
    )
    if builtin.credit_lines_available():
        nightly_step_register(
            NightlyStepSpec("credit_lines", _("Credit lines restored"), 50, builtin.credit_lines_step)
        )
    nightly_count_labels_register(builtin.COUNT_LABELS)
    audit_sentence_register(AUDIT_STARTED, nightly_started_sentence)
