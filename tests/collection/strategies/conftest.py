import datetime

import pytest
from django.utils import timezone


@pytest.fixture
def today() -> datetime.date:
    return timezone.localdate()
