"""The demo's reminders (make demo → seed_demo_automation)."""


def reminders_demo(*, seed: int, today) -> dict:
    """Give the demo portfolio its reminders; returns counts for the command's report. Filled by part B."""
    return {}
