"""Legal's Celery tasks, found by autodiscovery here; each part keeps its own beside its services."""

from legal.bundles.tasks import *  # noqa: F401, F403
from legal.letters.tasks import *  # noqa: F401, F403
from legal.limitation.tasks import *  # noqa: F401, F403
