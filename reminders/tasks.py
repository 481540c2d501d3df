"""Celery tasks of reminders: thin wrappers over services, and the publishing of send tasks.

Payloads carry ids, never contact details. Due rows go out in chunks: one :func:`send_notifications`
task carries up to ``SEND_CHUNK`` row ids, and sends each row on its own (its own lock, checks and
commit; :func:`reminders.sending.notifications_send`), so that Celery's cost per task is paid once
per chunk rather than once per reminder.
"""

from __future__ import annotations

import contextlib

from celery import shared_task

from reminders.dispatch import EnqueueError, notifications_dispatch
from reminders.sending import notification_send, notifications_send
from reminders.services import coordinator_digest_send, reminders_plan_all

ENQUEUE_CHUNK = 500  # rows whose sends are published in one broker round trip
SEND_CHUNK = 50  # rows one send task carries


@shared_task(acks_late=True)
def send_notifications(notification_ids: list[int]) -> dict[str, int]:
    return notifications_send(notification_ids=notification_ids)


@shared_task(acks_late=True)
def send_notification(notification_id: int) -> str:
    """One row: what earlier releases queued, still consumed after an upgrade."""
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
    """Publish :func:`send_notifications` for the ids, ``SEND_CHUNK`` ids a task, the tasks of
    ``ENQUEUE_CHUNK`` ids at a time in one broker round trip; returns how many ids were published
    (run at once when Celery runs tasks in-process).

    Raises :class:`~reminders.dispatch.EnqueueError` with the number of ids published before the
    batch the broker refused.
    """
    app = send_notifications.app
    done = 0
    if app.conf.task_always_eager:
        for start in range(0, len(ids), SEND_CHUNK):
            chunk = ids[start : start + SEND_CHUNK]
            send_notifications.apply(args=(chunk,), throw=True)
            done += len(chunk)
        return done
    with app.producer_or_acquire() as producer:
        for start in range(0, len(ids), ENQUEUE_CHUNK):
            batch = ids[start : start + ENQUEUE_CHUNK]
            chunks = [batch[i : i + SEND_CHUNK] for i in range(0, len(batch), SEND_CHUNK)]
            # On Redis (kombu 5.7+) the batch goes in one pipeline, one round trip; elsewhere each task
            # is published at once. A failed batch counts as not enqueued even if part of it was. That
            # is safe: its rows go back to pending, and of the sends queued for a row only one finds it
            # claimed and sends it; the others find it pending or sent and do nothing.
            try:
                with _batch(producer, len(chunks)):
                    for chunk in chunks:
                        send_notifications.apply_async(args=(chunk,), producer=producer, retry=False)
            except Exception as exc:
                raise EnqueueError(done, exc) from exc
            done += len(batch)
    return done
