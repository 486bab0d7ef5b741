"""Arrangements as a user may see them (on the cases they see), and the requests waiting for their approval."""

from django.db.models import QuerySet
from django.shortcuts import get_object_or_404

from collection.models import Arrangement, ArrangementStatus
from collection.selectors.cases import cases_visible_to


def arrangements_visible_to(user) -> QuerySet[Arrangement]:
    return Arrangement.objects.filter(case__in=cases_visible_to(user))


def arrangement_visible_get(user, pk: int) -> Arrangement:
    """The arrangement (with its case) if the user may see its case, else 404."""
    return get_object_or_404(arrangements_visible_to(user).select_related("case"), pk=pk)


def approvals_waiting_for(user) -> QuerySet[Arrangement]:
    """The requests waiting for approval on the cases the user sees: a team lead's teams', a manager's all."""
    return (
        arrangements_visible_to(user)
        .filter(status=ArrangementStatus.PENDING_APPROVAL)
        .select_related("case", "case__borrower", "requested_by")
        .prefetch_related("installments")  # the dates the approver sees
    )


# An arrangement still in force or waiting: a case has at most one (the proposal page says which).
OPEN_STATUSES = (ArrangementStatus.PENDING_APPROVAL, ArrangementStatus.ACTIVE)


def arrangement_open_for(case) -> Arrangement | None:
    """The case's arrangement waiting for approval or active, if any (the case already read through the scope)."""
    return case.arrangements.filter(status__in=OPEN_STATUSES).first()
