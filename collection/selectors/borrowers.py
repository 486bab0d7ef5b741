"""
Which borrowers a user may open in lending: registered with lending as its
borrower scope (collection/apps.py), since lending may not import collection.

Roles that see every case (VIEW_ALL_CASES) see every borrower; anyone else
only the borrowers of the cases they may see (cases_visible_to): a collector
their own and their team's, a team lead their teams', a field agent those they
have a visit for, and nobody else any.
"""

from django.db.models import QuerySet

from accounts.permissions import Capability, user_can
from collection.selectors import cases_visible_to


def borrowers_in_case_scope(user, borrowers: QuerySet) -> QuerySet:
    if user_can(user, Capability.VIEW_ALL_CASES):
        return borrowers
    return borrowers.filter(id__in=cases_visible_to(user).values("borrower_id"))
