"""
Access to one case, or one thing of a case (an arrangement, a visit), by URL.

The scope comes first: whoever may not see the object gets 404 — a collector
of another team, a field agent without a visit there, an agency agent —
whatever rights their role has, so no id can be probed for existence. Only a
user who sees the object and lacks the right to act on it gets 403.

A case in the legal stage is read-only to whoever does not work litigation
(WORK_LEGAL): its collectors still open it, but every action on it, or on
its arrangements and visits, is a 403 (issue 11). A case placed with an
agency is read-only the same way to the lender's staff (only its agency's
agents work it) but for what managing agencies needs (MANAGE_AGENCIES: the recall).
"""

from collections.abc import Callable
from functools import wraps

from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import Http404

from accounts.permissions import Capability, require_capability, user_can
from collection.models import Stage
from collection.selectors.approvals import arrangements_visible_to
from collection.selectors.cases import cases_visible_to
from collection.selectors.visits import visits_visible_to

# What a user may still do on a legal-stage case without WORK_LEGAL: look, and reveal (audited).
READ_ONLY_CAPABILITIES = frozenset({Capability.VIEW_CASES, Capability.REVEAL_CONTACT_DETAILS})


def in_scope_required(
    capability: str,
    scope: Callable[[object], QuerySet] = cases_visible_to,
    key: str = "pk",
    stage_field: str | None = None,
):
    """
    404 unless `scope(user)` holds the object of URL argument `key`; then 403
    without `capability`; then, with `stage_field` (the path to the case's
    stage), 403 for an action on a legal-stage case without WORK_LEGAL.
    """

    def decorator(view):
        @wraps(view)
        def wrapped(request, *args, **kwargs):
            if not request.user.is_authenticated:
                return redirect_to_login(request.get_full_path())
            found = scope(request.user).filter(pk=kwargs[key])
            stages = list(found.values_list(stage_field, flat=True)[:1]) if stage_field else found.exists()
            if not stages:
                raise Http404
            require_capability(request.user, capability)
            if stage_field and not stage_allows(request.user, stages[0], capability):
                raise PermissionDenied
            return view(request, *args, **kwargs)

        return wrapped

    return decorator


def stage_allows(user, stage: str, capability: str) -> bool:
    """Whether `user` may do what `capability` stands for on a case in `stage` (legal and agency are read-only)."""
    if capability in READ_ONLY_CAPABILITIES:
        return True
    if stage == Stage.LEGAL:
        return user_can(user, Capability.WORK_LEGAL)
    if stage == Stage.AGENCY:
        return user_can(user, Capability.WORK_AGENCY_CASES) or capability == Capability.MANAGE_AGENCIES
    return True


def case_required(capability: str):
    return in_scope_required(capability, cases_visible_to, stage_field="stage")


def arrangement_required(capability: str):
    return in_scope_required(capability, arrangements_visible_to, stage_field="case__stage")


def visit_required(capability: str):
    return in_scope_required(capability, visits_visible_to, stage_field="case__stage")
