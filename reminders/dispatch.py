"""Dispatching the outbox: sweep stuck claims, claim due rows, hand each to a send task once.

:func:`notifications_dispatch` (the beat task every minute, or ``manage.py dispatch_reminders``)
first returns rows stuck in ``claimed`` to ``pending`` (a sender died before it could finish), then
claims due rows in batches with ``SELECT ... FOR UPDATE SKIP LOCKED`` (two dispatchers never claim
the same row) and, after the claim commits, hands the batch to ``enqueue``, which publishes one send
task per row whose only payload is the row's id (:func:`reminders.tasks.enqueue_sends`). If the
broker refuses, the rows not yet enqueued go back to ``pending``. Sending one row is
:mod:`reminders.sending`.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable
from dataclasses import dataclass

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from core import audit
from reminders.models import Notification, State

log = logging.getLogger(__name__)


@dataclass
class DispatchResult:
    swept: int = 0
    claimed: int = 0
    released: int = 0
    error: str = ""


def notifications_sweep(*, now: dt.datetime | None = None) -> int:
    """Return rows claimed longer than ``REMINDERS_CLAIM_TIMEOUT_SECONDS`` ago to ``pending``.

    Rows a sender holds locked are in flight and skipped.
    """
    now = now or timezone.now()
    cutoff = now - dt.timedelta(seconds=settings.REMINDERS_CLAIM_TIMEOUT_SECONDS)
    with transaction.atomic(), audit.context(reason="stuck reminder claims returned"):
        ids = list(
            Notification.objects.select_for_update(skip_locked=True)
            .filter(state=State.CLAIMED, claimed_at__lt=cutoff)
            .values_list("pk", flat=True)
        )
        if ids:
            Notification.objects.filter(pk__in=ids).update(state=State.PENDING, claimed_at=None, updated_at=now)
    return len(ids)


def notifications_claim(*, now: dt.datetime | None = None, limit: int | None = None) -> list[int]:
    """Claim up to ``limit`` due pending rows (oldest first) that no one else holds; returns their ids."""
    now = now or timezone.now()
    limit = limit or settings.REMINDERS_DISPATCH_BATCH
    with transaction.atomic():
        ids = list(
            Notification.objects.select_for_update(skip_locked=True)
            .filter(state=State.PENDING, due_at__lte=now)
            .order_by("due_at", "pk")
            .values_list("pk", flat=True)[:limit]
        )
        if ids:
            Notification.objects.filter(pk__in=ids).update(state=State.CLAIMED, claimed_at=now, updated_at=now)
    return ids


def notifications_release(ids: list[int], *, error: str) -> int:
    """Put claimed rows back to ``pending`` (their sends could not be enqueued)."""
    with transaction.atomic():
        return Notification.objects.filter(pk__in=ids, state=State.CLAIMED).update(
            state=State.PENDING, claimed_at=None, last_error=error[:500], updated_at=timezone.now()
        )


class EnqueueError(Exception):
    """The broker refused a batch; ``enqueued`` sends (whole batches) went before it."""

    def __init__(self, enqueued: int, cause: Exception):
        super().__init__(f"{cause.__class__.__name__}: {cause}")
        self.enqueued = enqueued


def notifications_dispatch(
    *, enqueue: Callable[[list[int]], int], now: dt.datetime | None = None, max_rows: int | None = None
) -> DispatchResult:
    """Sweep, then claim due rows batch by batch (at most ``max_rows`` in this run) and hand each
    batch to ``enqueue`` once its claim commits. ``enqueue(ids)`` publishes one send per id and
    returns how many it published, or raises :class:`EnqueueError` saying how many went first."""
    result = DispatchResult(swept=notifications_sweep(now=now))
    max_rows = max_rows or settings.REMINDERS_DISPATCH_MAX_PER_RUN
    while result.claimed < max_rows:
        ids = notifications_claim(now=now, limit=min(settings.REMINDERS_DISPATCH_BATCH, max_rows - result.claimed))
        if not ids:
            break
        result.claimed += len(ids)
        failure: list[str] = []

        def publish(ids=ids, failure=failure) -> None:
            try:
                enqueue(ids)
            except Exception as exc:  # the broker is down: keep the rows for the next run
                done = exc.enqueued if isinstance(exc, EnqueueError) else 0
                detail = str(exc) if isinstance(exc, EnqueueError) else f"{exc.__class__.__name__}: {exc}"
                failure.append(f"could not enqueue: {detail}")
                result.error = failure[0]
                result.released += notifications_release(ids[done:], error=failure[0])
                log.warning("reminders: %s; %d rows returned to pending", failure[0], len(ids) - done)

        transaction.on_commit(publish)  # runs now unless the caller holds a transaction
        if failure:
            break
    return result
