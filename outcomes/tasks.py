"""Celery tasks of outcomes: thin wrappers over its services."""

from __future__ import annotations

from celery import shared_task

from outcomes.checks import edit_checks_run_trial
from trials.models import Trial


@shared_task(acks_late=True)
def run_edit_checks() -> dict:
    """The nightly run of the edit checks over every trial (idempotent: safe to run twice)."""
    out = {}
    for trial in Trial.objects.order_by("code"):
        result = edit_checks_run_trial(trial=trial)
        out[trial.code] = {"raised": result.raised, "answered": result.answered}
    return out
