"""Reads of the court bundles, scoped through the case the file is about."""

from django.shortcuts import get_object_or_404

from collection.selectors.cases import case_visible_get
from legal.models import CourtBundle, LitigationFile

BUILDS_SHOWN = 10


def bundle_file_get(user, file_pk: int) -> LitigationFile:
    """The file if the user may see its case, else 404 (an outsider learns nothing of it)."""
    file = get_object_or_404(LitigationFile.objects.select_related("case__borrower"), pk=file_pk)
    case_visible_get(user, file.case_id)
    return file


def bundle_get(user, pk: int) -> CourtBundle:
    """A bundle whose file's case the user may see, else 404."""
    bundle = get_object_or_404(CourtBundle.objects.select_related("file__case"), pk=pk)
    case_visible_get(user, bundle.file.case_id)
    return bundle


def bundles_of_file(file: LitigationFile) -> list[CourtBundle]:
    """The file's latest builds, newest first, with who asked for each: one query."""
    return list(file.bundles.select_related("requested_by").order_by("-requested_at", "-id")[:BUILDS_SHOWN])
