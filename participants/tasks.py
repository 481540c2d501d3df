"""Celery tasks of participants: thin wrappers over services."""

from celery import shared_task
from django.db import transaction

from participants.notifications import staff_notifications_send


@shared_task(acks_late=True)
def send_staff_notifications() -> int:
    return staff_notifications_send()


def staff_notifications_queue() -> None:
    """Send the unsent staff notifications once the current transaction commits (at once outside one)."""
    transaction.on_commit(send_staff_notifications.delay)
