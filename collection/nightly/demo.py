"""The demo's record of last night's run (make demo → seed_demo_automation)."""


def nightly_demo(*, today) -> dict:
    """Run the nightly chain for `today` so the nightly page shows its steps; returns counts. Filled by part F."""
    return {}
