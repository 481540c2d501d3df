"""The trial tracker's Django project: settings, URLs, the Celery app and cross-cutting pieces."""

from trialtracker.celery import app as celery_app

__all__ = ["celery_app"]
