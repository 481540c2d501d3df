"""Messages to staff, written with the event that causes them and sent after it commits."""

from __future__ import annotations

from django.conf import settings
from django.db import models


class StaffNotification(models.Model):
    """A message to a member of staff (e.g. the unblinded team after an emergency unblinding).

    Written in the same transaction as the event that causes it and sent after commit; never
    carries identity or allocation.
    """

    recipient = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(max_length=40)
    subject = models.CharField(max_length=200)
    body = models.TextField()
    created_at = models.DateTimeField(auto_now_add=True)
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["created_at", "pk"]

    def __str__(self) -> str:
        return f"{self.kind} to {self.recipient_id}"
