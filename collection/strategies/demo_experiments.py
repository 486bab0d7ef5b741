"""The demo's champion/challenger experiment (make demo → seed_demo_automation)."""


def experiments_demo(*, seed: int, today) -> dict:
    """Give a demo segment a running challenger with a history to compare; returns counts. Filled by part D."""
    return {}
