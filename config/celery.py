"""
The Celery application: configured from Django settings (the CELERY_* names).

Tasks are found in every app's `tasks.py` and in its packages' (`collection/
nightly/tasks.py`, `lending/credit_lines/tasks.py`...), so a part keeps its
tasks beside its services without an import list to maintain.
"""

import os
import pkgutil
from importlib import import_module

from celery import Celery
from celery.app.routes import MapRoute

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

app = Celery("arrears")
app.config_from_object("django.conf:settings", namespace="CELERY")


def task_packages() -> list[str]:
    """Each installed app of the project, and its sub-packages one level down (where a `tasks` may live)."""
    from django.apps import apps
    from django.conf import settings

    packages = []
    for config in apps.get_app_configs():
        if not config.path.startswith(str(settings.BASE_DIR)) or ".venv" in config.path:
            continue  # Django's and third-party apps: autodiscovered below as usual
        packages.append(config.name)
        module = import_module(config.name)
        for info in pkgutil.iter_modules(module.__path__):
            if info.ispkg and info.name not in ("migrations", "management", "templatetags"):
                packages.append(f"{config.name}.{info.name}")
    return packages


app.autodiscover_tasks()
app.autodiscover_tasks(task_packages)


def queue_for(task_name: str) -> str:
    """The queue `task_name` is routed to (CELERY_TASK_ROUTES), or the default queue."""
    route = MapRoute(app.conf.task_routes or {})(task_name) or {}
    queue = route.get("queue", app.conf.task_default_queue)
    return getattr(queue, "name", queue)


class QueueTimeLimits:
    """
    A task annotation (CELERY_TASK_ANNOTATIONS): each task gets the soft and
    hard time limits of the queue it is routed to (ARREARS_QUEUE_TIME_LIMITS),
    unless its decorator sets limits of its own (`time_limit=`,
    `soft_time_limit=`), which are kept.
    """

    def annotate(self, task):
        from django.conf import settings

        # Celery has already given every task the global defaults; a value that differs was set by the task.
        conf = task.app.conf
        if task.time_limit != conf.task_time_limit or task.soft_time_limit != conf.task_soft_time_limit:
            return None
        limits = settings.ARREARS_QUEUE_TIME_LIMITS.get(queue_for(task.name))
        if limits is None:
            return None
        soft, hard = limits
        return {"soft_time_limit": soft, "time_limit": hard}

    def annotate_any(self):
        return None
