import pytest

DEFAULT_BUCKETS = [
    ("M0", "Current", 0, 0),
    ("M1", "1-30", 1, 30),
    ("M2", "31-60", 31, 60),
    ("M3", "61-90", 61, 90),
    ("M4", "91-120", 91, 120),
    ("M5", "121-150", 121, 150),
    ("M6", "151-180", 151, 180),
    ("M6+", "180+", 181, None),
]


@pytest.fixture
def buckets(db):
    """The default buckets (a data migration makes them; transactional tests flush them)."""
    from lending.models import Bucket

    for code, label, min_days, max_days in DEFAULT_BUCKETS:
        Bucket.objects.get_or_create(code=code, defaults={"label": label, "min_days": min_days, "max_days": max_days})
    return list(Bucket.objects.all())
