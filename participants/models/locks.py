"""Locks on a trial's data, the trial unblinded for analysis, and one participant unblinded in an
emergency.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q

from core import audit
from participants.models.enrolment import Participant


@audit.track()
class EmergencyUnblinding(models.Model):
    """One participant's allocation revealed to one authorised person, for a recorded reason."""

    participant = models.ForeignKey(Participant, on_delete=models.PROTECT, related_name="unblindings")
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    reason = models.TextField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["participant_id", "created_at"]
        constraints = [models.CheckConstraint(condition=~Q(reason=""), name="unblinding_has_reason")]

    def __str__(self) -> str:
        return f"unblinding of {self.participant_id}"


@audit.track()
class DataLock(models.Model):
    """A lock on a trial's clinical data (or one participant's): no change until it is unlocked.

    Active while ``unlocked_at`` is empty; locking and unlocking each need a reason.
    """

    trial = models.ForeignKey("trials.Trial", on_delete=models.PROTECT, related_name="locks")
    participant = models.ForeignKey(Participant, null=True, blank=True, on_delete=models.PROTECT, related_name="locks")
    reason = models.TextField()
    locked_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    locked_at = models.DateTimeField(auto_now_add=True)
    unlock_reason = models.TextField(blank=True)
    unlocked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    unlocked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["trial_id", "locked_at", "pk"]
        constraints = [
            models.CheckConstraint(condition=~Q(reason=""), name="lock_has_reason"),
            models.CheckConstraint(
                condition=Q(unlocked_at__isnull=True) | ~Q(unlock_reason=""), name="unlock_has_reason"
            ),
            models.UniqueConstraint(
                fields=["trial"],
                condition=Q(unlocked_at__isnull=True, participant__isnull=True),
                name="lock_one_active_per_trial",
            ),
            models.UniqueConstraint(
                fields=["participant"],
                condition=Q(unlocked_at__isnull=True, participant__isnull=False),
                name="lock_one_active_per_participant",
            ),
        ]

    def __str__(self) -> str:
        return f"lock {self.pk} of {self.participant_id or self.trial_id}"


@audit.track()
class AnalysisUnblinding(models.Model):
    """The whole trial unblinded for analysis, after the database was locked. Once only."""

    trial = models.OneToOneField("trials.Trial", on_delete=models.PROTECT, related_name="analysis_unblinding")
    reason = models.TextField()
    unblinded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    unblinded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.CheckConstraint(condition=~Q(reason=""), name="analysis_unblinding_has_reason")]

    def __str__(self) -> str:
        return f"analysis unblinding of {self.trial_id}"
