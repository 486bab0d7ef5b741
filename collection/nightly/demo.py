"""The demo's record of last night's run (make demo → seed_demo_automation)."""

from collection.models import RunStatus


def nightly_demo(*, today) -> dict:
    """Run the nightly chain for `today` (after the other demo parts) so the nightly page shows its steps."""
    from collection.nightly.chain import nightly_chain_run

    run = nightly_chain_run(on=today)
    steps = list(run.steps.values_list("status", flat=True))
    return {
        "nightly steps succeeded": steps.count(RunStatus.SUCCEEDED),
        "failed": steps.count(RunStatus.FAILED),
        "not run": steps.count(RunStatus.SKIPPED),
    }
