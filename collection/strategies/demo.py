"""The demo's strategies (make demo → seed_demo_automation)."""


def strategies_demo(*, seed: int, today) -> dict:
    """Give the demo portfolio its strategies; returns counts for the command's report. Filled by part C."""
    return {}
