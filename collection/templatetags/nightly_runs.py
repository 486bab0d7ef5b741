"""`{% nightly_last_run as last_run %}`: the latest nightly run for the home page (who may see the runs only)."""

from django import template

from accounts.permissions import Capability, user_can

register = template.Library()


@register.simple_tag(takes_context=True)
def nightly_last_run(context):
    """The latest run with its `step_rows` and `failure` (for the banner); None for who may not see runs."""
    from collection.models import RunStatus
    from collection.nightly.display import run_failure_text, steps_display
    from collection.nightly.selectors import nightly_run_last

    user = context.get("user")
    if user is None or not user_can(user, Capability.VIEW_NIGHTLY_RUNS):
        return None
    run = nightly_run_last()
    if run is None:
        return None
    run.step_rows = steps_display(run, list(run.steps.order_by("position")))
    run.failure = run_failure_text(run, run.step_rows) if run.status == RunStatus.FAILED else ""
    return run
