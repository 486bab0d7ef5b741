"""
The chain's steps that collection registers itself: lending's run (10), the
collection lifecycle (20) and lending's credit-line restores (50; lending
cannot import collection, so collection registers its step). Each returns
flat counts, named for the page by `COUNT_LABELS`.
"""

import datetime

from django.utils.translation import gettext_lazy as _

COUNT_LABELS = {
    # lending
    "installments_accrued": _("Installments charged penalty or fees"),
    "accounts_refreshed": _("Accounts whose figures changed"),
    "snapshots_written": _("Daily snapshots written"),
    "accounts_moved": _("Accounts that changed bucket"),
    # lifecycle
    "cases_opened": _("Cases opened"),
    "accounts_joined": _("Accounts joined a case"),
    "accounts_left": _("Accounts left their case"),
    "cases_refreshed": _("Cases refreshed"),
    "cases_closed": _("Cases closed"),
    "cases_closed.cured": _("Cases closed: cured"),
    "cases_closed.paid_in_full": _("Cases closed: paid in full"),
    "cases_closed.settled": _("Cases closed: settled"),
    "stage_changes": _("Stage changes"),
    "promises.kept": _("Promises kept"),
    "promises.partly_kept": _("Promises partly kept"),
    "promises.broken": _("Promises broken"),
    "installments.paid": _("Arrangement installments paid"),
    "installments.partly_paid": _("Arrangement installments partly paid"),
    "installments.missed": _("Arrangement installments missed"),
    "installments.due": _("Arrangement installments due"),
    "arrangements_completed": _("Arrangements completed"),
    "arrangements_broken": _("Arrangements broken"),
    "statuses_changed": _("Case statuses changed"),
    "promise_dates_changed": _("Next promise dates changed"),
    "cases_assigned": _("Cases shared out"),
    # limitation (legal registers the step; its count is named here with the others)
    "limitation_changed": _("Cases whose limitation expiry changed"),
}


def lending_step(on: datetime.date) -> dict:
    """Lending's delinquency run: penalty and fees, days past due and buckets, snapshots."""
    from lending.delinquency import run_nightly

    report = run_nightly(as_of=on)
    return {
        "installments_accrued": report.installments_accrued,
        "accounts_refreshed": report.accounts_refreshed,
        "snapshots_written": report.snapshots_written,
        "accounts_moved": sum(report.moves.values()),
    }


def lifecycle_step(on: datetime.date) -> dict:
    """Collection's lifecycle for the day lending's figures are for (collection/lifecycle)."""
    from collection.lifecycle import lifecycle_run

    report = lifecycle_run(as_of=on)
    return {
        "cases_opened": report.cases_opened,
        "accounts_joined": report.accounts_joined,
        "accounts_left": report.accounts_left,
        "cases_refreshed": report.cases_refreshed,
        "cases_closed": sum(report.cases_closed.values()),
        **{f"cases_closed.{outcome}": count for outcome, count in report.cases_closed.items() if count},
        "stage_changes": report.stage_changes,
        **{f"promises.{outcome}": count for outcome, count in report.promises.items()},
        **{f"installments.{outcome}": count for outcome, count in report.installments.items()},
        "arrangements_completed": report.arrangements_completed,
        "arrangements_broken": report.arrangements_broken,
        "statuses_changed": report.statuses_changed,
        "promise_dates_changed": report.promise_dates_changed,
        "cases_assigned": report.cases_assigned,
    }


def credit_lines_step(on: datetime.date) -> dict:
    """Restore the credit lines whose accounts have been current long enough (lending/credit_lines)."""
    from lending.credit_lines.services import credit_lines_restore_due

    return credit_lines_restore_due(on=on)


def credit_lines_available() -> bool:
    """Whether lending's credit lines are installed (the step is registered only then)."""
    try:
        from lending.credit_lines import services
    except ImportError:
        return False
    return hasattr(services, "credit_lines_restore_due")
