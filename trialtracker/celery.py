"""The Celery app. Without ``REDIS_URL`` tasks run in-process (the embedded default).

Workers acknowledge late and requeue the task of a killed worker process, take one task at a time,
and keep due times in the database rather than in broker countdowns (see docs/operations.md).
"""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "trialtracker.settings.local")

app = Celery("trialtracker")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
