"""Celery tasks of the court bundles."""

from celery import shared_task

__all__ = ["bundle_build_task"]


@shared_task(name="legal.bundles.tasks.bundle_build_task", acks_late=True)
def bundle_build_task(bundle_id: int) -> str | None:
    """Build one queued bundle. Safe to deliver twice: a bundle already claimed or finished is left alone."""
    from legal.bundles.services import bundle_build
    from legal.models import CourtBundle

    bundle = CourtBundle.objects.filter(pk=bundle_id).first()
    if bundle is None:
        return None
    return bundle_build(bundle=bundle).status
