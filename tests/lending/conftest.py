import importlib

import pytest

# The buckets the data migration creates, from the migration itself.
DEFAULT_BUCKETS = importlib.import_module("lending.migrations.0002_default_buckets").DEFAULT_BUCKETS


@pytest.fixture
def buckets(db):
    """The default buckets (a data migration makes them; transactional tests flush them)."""
    from lending.models import Bucket

    for code, label, min_days, max_days in DEFAULT_BUCKETS:
        Bucket.objects.get_or_create(code=code, defaults={"label": label, "min_days": min_days, "max_days": max_days})
    return list(Bucket.objects.all())
