"""Celery tasks of reminders: thin wrappers over services. Payloads carry ids, never contact details."""

from celery import shared_task


@shared_task(acks_late=True)
def send_notification(notification_id: int) -> str:
    from reminders.dispatch import notification_send

    return notification_send(notification_id=notification_id)


@shared_task(acks_late=True)
def dispatch_reminders() -> dict:
    from reminders.dispatch import notifications_dispatch

    result = notifications_dispatch()
    return {"swept": result.swept, "claimed": result.claimed, "released": result.released}


@shared_task(acks_late=True)
def plan_reminders() -> int:
    from reminders.services import reminders_plan_all

    return reminders_plan_all(reason="daily reminder planning")


@shared_task(acks_late=True)
def coordinator_digest() -> int:
    from reminders.services import coordinator_digest_send

    return coordinator_digest_send()
