"""The case page's court-bundle panel: for whoever works litigation files, on a case with a file legal accepted."""

from accounts.permissions import Capability, user_can
from legal.bundles.services import NOT_BUILDABLE
from legal.models import ENDED_STATUSES, LitigationFile


def bundle_case_section(request, case) -> dict | None:
    if not user_can(request.user, Capability.WORK_LEGAL):
        return None
    file = (
        LitigationFile.objects.filter(case=case)
        .exclude(status__in=[*NOT_BUILDABLE, *ENDED_STATUSES])
        .order_by("-referred_at", "-id")
        .first()
    )
    return {"file": file} if file is not None else None
