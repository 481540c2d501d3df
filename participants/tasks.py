"""Celery tasks of participants: thin wrappers over services."""

from celery import shared_task

from participants.services import staff_notifications_send


@shared_task(acks_late=True)
def send_staff_notifications() -> int:
    return staff_notifications_send()
