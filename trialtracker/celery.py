"""The Celery app. Without ``REDIS_URL`` tasks run in-process (the embedded default).

Workers acknowledge late and requeue the task of a killed worker process, take one task at a time,
and keep due times in the database rather than in broker countdowns (see docs/operations.md).

Database connections live as long as Django's ``CONN_MAX_AGE`` says, in a worker as in a web
process: before and after each task, :func:`django.db.close_old_connections` closes a connection
that is too old, left in a transaction or broken, and keeps the others. Celery's own Django fix-up
would close the connection after every task (``CELERY_DB_REUSE_MAX`` unset), so that each task
paid for a new PostgreSQL backend with cold caches, more than a reminder's send costs.
"""

import os

from celery import Celery
from celery.signals import task_postrun, task_prerun
from django.db import close_old_connections

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "trialtracker.settings.local")

app = Celery("trialtracker")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


def _close_old_connections(sender=None, **_) -> None:
    """As Django does around a request; not for a task run eagerly inside the caller's transaction."""
    if sender is None or getattr(sender.request, "is_eager", False):
        return
    close_old_connections()


task_prerun.connect(_close_old_connections, weak=False, dispatch_uid="trialtracker-db-prerun")
task_postrun.connect(_close_old_connections, weak=False, dispatch_uid="trialtracker-db-postrun")
