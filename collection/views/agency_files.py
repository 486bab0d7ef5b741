"""
The file exchange's pages: the placement file's download, and (agency_files_returns.py)
the agency files page with its return-file upload, preview and error report.

Who: a manager (MANAGE_AGENCIES) for every agency; an agency's supervisor for
their own agency only — another agency's batch or upload is a 404, whatever
its id; a plain agency agent gets 403 (a supervisor's work).
"""

from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import get_object_or_404
from django.urls import path
from django.views.decorators.http import require_GET

from accounts.permissions import Capability, user_can
from collection.agencies.exchange import FORMATS, placement_file_response
from collection.agencies.members import agency_id_of, is_agency_supervisor
from collection.models import PlacementBatch


def exchange_agency_scope(user) -> tuple[bool, int | None]:
    """
    (may use the file exchange, the agency it is limited to): a manager (all
    agencies: None), an agency's supervisor (their agency); PermissionDenied otherwise.
    """
    if user_can(user, Capability.MANAGE_AGENCIES):
        return True, None
    if is_agency_supervisor(user):
        return True, agency_id_of(user)
    raise PermissionDenied


def exchange_access(view):
    """Log in first, then the exchange's scope (see exchange_agency_scope), handed to the view as `agency_id`."""

    def wrapped(request, *args, **kwargs):
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        _allowed, agency_id = exchange_agency_scope(request.user)
        return view(request, *args, agency_id=agency_id, **kwargs)

    wrapped.__name__ = view.__name__
    wrapped.__doc__ = view.__doc__
    return wrapped


def batches_for_exchange(agency_id: int | None):
    batches = PlacementBatch.objects.select_related("contract", "agency")
    return batches if agency_id is None else batches.filter(agency_id=agency_id)


@require_GET
@exchange_access
def placement_file(request, pk, *, agency_id):
    """The placement file of one batch, `?format=csv` (the default) or `xlsx`; audited."""
    batch = get_object_or_404(batches_for_exchange(agency_id), pk=pk)
    fmt = request.GET.get("format", "csv")
    if fmt not in FORMATS:
        raise Http404
    return placement_file_response(batch, fmt, actor=request.user)


urlpatterns = [
    path("agency/files/batches/<int:pk>/placement-file/", placement_file, name="placement_file"),
]
