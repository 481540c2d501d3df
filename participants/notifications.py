"""Emails to staff (an emergency unblinding, a request for a role and its decision, a
participant's request to reschedule, the daily reminders digest).

A service writes a :class:`~participants.models.StaffNotification` in the same transaction as what
it reports, and asks for the unsent ones to be sent once that transaction commits
(:func:`participants.tasks.staff_notifications_queue`): a notification is never sent about something
that was rolled back, and one whose sending fails stays unsent for the next run.
"""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.core.mail import send_mail
from django.db import transaction
from django.utils import timezone

from participants.models import StaffNotification


def unblinded_team(trial):
    """The active people who hold, at a site of ``trial``, a role the protocol in force names to be
    told of unblinding (``unblinding.notify_roles``)."""
    roles = trial.version_on().protocol.unblinding.notify_roles
    return (
        get_user_model()
        .objects.filter(memberships__site__trial=trial, memberships__role_id__in=roles, is_active=True)
        .distinct()
        .order_by("pk")
    )


def staff_notifications_send() -> int:
    """Send every unsent staff notification by email, each in its own transaction.

    A row is locked (others skip it), sent, and marked sent before the next, so one failure does
    not roll back or repeat the others; a failed row stays unsent for the next run.
    """
    sent = 0
    for pk in list(StaffNotification.objects.filter(sent_at__isnull=True).values_list("pk", flat=True)):
        with transaction.atomic():
            note = (
                StaffNotification.objects.select_for_update(skip_locked=True)
                .filter(pk=pk, sent_at__isnull=True)
                .select_related("recipient")
                .first()
            )
            if note is None:
                continue
            if note.recipient.email:
                send_mail(note.subject, note.body, None, [note.recipient.email])
            note.sent_at = timezone.now()
            note.save(update_fields=["sent_at"])
            sent += 1
    return sent
