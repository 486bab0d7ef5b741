"""Reads of the nightly chain's record: every night's run is visible to who may see nightly runs (no scoping)."""

from django.shortcuts import get_object_or_404

from accounts.permissions import Capability, user_can
from accounts.roles import Role
from collection.models import NightlyRun

RUN_LIST_SIZE = 60  # two months of nights, and the re-runs


def nightly_runs_recent():
    return NightlyRun.objects.select_related("started_by").order_by("-run_on", "-id")[:RUN_LIST_SIZE]


def nightly_run_get(pk: int) -> NightlyRun:
    return get_object_or_404(NightlyRun.objects.select_related("started_by"), pk=pk)


def nightly_run_last() -> NightlyRun | None:
    """The latest run (by night, then the latest re-run of that night)."""
    return NightlyRun.objects.order_by("-run_on", "-id").first()


def nightly_run_startable(user) -> bool:
    """Who may start the chain by hand: who configures the automation, or a manager who sees the runs."""
    if user_can(user, Capability.CONFIGURE_AUTOMATION):
        return True
    return user_can(user, Capability.VIEW_NIGHTLY_RUNS) and getattr(user, "role", "") == Role.MANAGER
