"""Celery tasks of the court bundles."""
