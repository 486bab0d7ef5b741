"""Celery tasks of the letters."""
