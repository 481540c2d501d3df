"""Celery tasks of reminders: thin wrappers over services, and the publishing of send tasks.

Payloads carry ids, never contact details.
"""

from __future__ import annotations

import contextlib

from celery import shared_task

from reminders.dispatch import EnqueueError, notifications_dispatch
from reminders.sending import notification_send
from reminders.services import coordinator_digest_send, reminders_plan_all

ENQUEUE_CHUNK = 500  # sends published in one broker round trip


@shared_task(acks_late=True)
def send_notification(notification_id: int) -> str:
    return notification_send(notification_id=notification_id)


@shared_task(acks_late=True)
def dispatch_reminders() -> dict:
    result = notifications_dispatch(enqueue=enqueue_sends)
    return {"swept": result.swept, "claimed": result.claimed, "released": result.released}


@shared_task(acks_late=True)
def plan_reminders() -> int:
    return reminders_plan_all(reason="daily reminder planning")


@shared_task(acks_late=True)
def coordinator_digest() -> int:
    return coordinator_digest_send()


def _batch(producer, size: int):
    batch = getattr(producer, "batch", None)
    return batch(max_size=size + 1) if batch is not None else contextlib.nullcontext()


def enqueue_sends(ids: list[int]) -> int:
    """Publish one :func:`send_notification` per id, in batches of ``ENQUEUE_CHUNK``; returns how
    many were published (run at once when Celery runs tasks in-process).

    Raises :class:`~reminders.dispatch.EnqueueError` with the number published before the batch the
    broker refused.
    """
    app = send_notification.app
    done = 0
    if app.conf.task_always_eager:
        for pk in ids:
            send_notification.apply(args=(pk,), throw=True)
            done += 1
        return done
    with app.producer_or_acquire() as producer:
        for start in range(0, len(ids), ENQUEUE_CHUNK):
            chunk = ids[start : start + ENQUEUE_CHUNK]
            # On Redis (kombu 5.7+) the chunk goes in one pipeline, one round trip; elsewhere each is
            # published at once. A failed chunk counts as not enqueued even if part of it was. That is
            # safe: its rows go back to pending, and of the sends queued for a row only one finds it
            # claimed and sends it; the others find it pending or sent and do nothing.
            try:
                with _batch(producer, len(chunk)):
                    for pk in chunk:
                        send_notification.apply_async(args=(pk,), producer=producer, retry=False)
            except Exception as exc:
                raise EnqueueError(done, exc) from exc
            done += len(chunk)
    return done
