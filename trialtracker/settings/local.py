"""The embedded default: SQLite and in-process Celery unless the environment names services."""

from trialtracker.settings.base import *  # noqa: F403

DEBUG = env.bool("DJANGO_DEBUG", default=True)  # noqa: F405
