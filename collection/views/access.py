"""
Access to one case, or one thing of a case (an arrangement, a visit), by URL.

The scope comes first: whoever may not see the object gets 404 — a collector
of another team, a field agent without a visit there, an agency agent —
whatever rights their role has, so no id can be probed for existence. Only a
user who sees the object and lacks the right to act on it gets 403.
"""

from collections.abc import Callable
from functools import wraps

from django.contrib.auth.views import redirect_to_login
from django.db.models import QuerySet
from django.http import Http404

from accounts.permissions import require_capability
from collection.selectors.approvals import arrangements_visible_to
from collection.selectors.cases import cases_visible_to
from collection.selectors.visits import visits_visible_to


def in_scope_required(capability: str, scope: Callable[[object], QuerySet] = cases_visible_to, key: str = "pk"):
    """404 unless `scope(user)` holds the object of URL argument `key`; then 403 without `capability`."""

    def decorator(view):
        @wraps(view)
        def wrapped(request, *args, **kwargs):
            if not request.user.is_authenticated:
                return redirect_to_login(request.get_full_path())
            if not scope(request.user).filter(pk=kwargs[key]).exists():
                raise Http404
            require_capability(request.user, capability)
            return view(request, *args, **kwargs)

        return wrapped

    return decorator


def case_required(capability: str):
    return in_scope_required(capability, cases_visible_to)


def arrangement_required(capability: str):
    return in_scope_required(capability, arrangements_visible_to)


def visit_required(capability: str):
    return in_scope_required(capability, visits_visible_to)
