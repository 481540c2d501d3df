"""The trial tracker's Django project, on top of every app: settings, URLs, WSGI, the Celery app, the
system checks, the health endpoint and the simulated trial."""

from trialtracker.celery import app as celery_app

__all__ = ["celery_app"]
